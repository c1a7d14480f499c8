import { describe, expect, it } from 'vitest';
import { formatMs } from '../../../src/core/units.js';
import { renderGrpcDemo } from '../../../src/report/index.js';
import { completionWaves } from '../../../src/scenarios/counter/demo.js';
import { counterVariants, explainGrpcDemo, runGrpcDemo, type GrpcDemoRun } from '../../../src/scenarios/counter/index.js';

/** The text's paragraphs, unwrapped: renderGrpcDemo wraps at 100 columns. */
const paragraphs = (text: string): string[] => text.split('\n\n').map((p) => p.replace(/\n/g, ' '));

/** `1 increment`, `2 increments`: the noun must agree with the number before it. */
function expectAgreement(text: string, singular: string, many = `${singular}s`): void {
  for (const m of text.matchAll(new RegExp(`\\b(\\d+) (${many}|${singular})\\b`, 'g'))) {
    expect(m[0], text).toBe(`${m[1]} ${Number(m[1]) === 1 ? singular : many}`);
  }
}

describe('demo grpc: every number in the explanation is a field of the same report', () => {
  it('2 clients x 3 increments, 20ms window: counts, lost updates, wave spacing and wall times', async () => {
    const report = await runGrpcDemo({ clients: 2, increments: 3, delayMs: 20 });
    const text = renderGrpcDemo(report);
    const paras = paragraphs(text);
    for (const r of report.runs) {
      const p = paras.find((x) => x.startsWith(`${r.variant}: `));
      expect(p, text).toBeDefined();
      const head = /^\S+: (\d+) client process(?:es)? sent (\d+) increments?; the server acknowledged (\d+) and the counter ended at (\d+)\./.exec(p!);
      expect(head, p).not.toBeNull();
      expect(head!.slice(1).map(Number)).toEqual([r.clients, r.incrementsSent, r.acknowledged, r.finalValue]);
      expectAgreement(p!, 'client process', 'client processes');
      expectAgreement(p!, 'increment');
      if (r.lostUpdates > 0) {
        expect(p).toMatch(new RegExp(`${r.lostUpdates} acknowledged updates? \\(\\d+%\\) (was|were) lost\\. Up to ${r.maxHandlersInFlight} increments? (was|were) inside the server at once`));
      } else {
        expect(p).toContain('No update was lost');
      }
      // Sentences begin with a capital letter.
      expect(p).not.toMatch(/\. [a-z]/);
    }
    const vuln = report.runs.find((r) => r.variant === 'vulnerable')!;
    const mutex = report.runs.find((r) => r.variant === 'mutex')!;
    const seed = paras.find((x) => x.startsWith('The seed says'))!;
    const waves = (r: GrpcDemoRun): string =>
      r.completionWaveSpacingMedianMs > 0
        ? `in waves of ${r.completionWaveMedian} (median), one wave's first answer about ${formatMs(r.completionWaveSpacingMedianMs)} (median) after the previous one's`
        : `in one wave of ${r.completionWaveMedian}`;
    expect(seed).toContain(`the vulnerable server answered ${waves(vuln)}, and the mutex server ${waves(mutex)}`);
    // The mutex holds each increment for the whole window: its answers, one per wave, are at least a window apart.
    expect(mutex.completionWaveMedian).toBe(1);
    expect(mutex.completionWaveSpacingMedianMs).toBeGreaterThanOrEqual(0.9 * 20);
    const times = `${formatMs(mutex.wallMs)} for the mutex run against ${formatMs(vuln.wallMs)} for the vulnerable one (p99 latency ${formatMs(mutex.latencyP99Ms)} against ${formatMs(vuln.latencyP99Ms)})`;
    expect(seed).toContain(mutex.wallMs > vuln.wallMs ? `Serializing cost time: ${times}.` : `Serializing cost no wall time in this run: ${times}.`);
  });

  it('waves are spaced from first answer to first answer, not by the quiet gap between them', () => {
    // Three waves: ends at 0, 1, 2 ms; at 20, 21 ms; at 40 ms. The quiet gaps are 18 and 19 ms; the spacing 20 and 20.
    const ends = [0, 1000, 2000, 20_000, 21_000, 40_000].map((endMicros) => ({ endMicros }));
    expect(completionWaves(ends, 1500)).toEqual({ sizes: [3, 2, 1], spacingsMs: [20, 20] });
  });

  it('a variant without lost updates is described in whole sentences, whatever its summary starts with', () => {
    const run = (variant: string, inFlight: number, clients = 3): GrpcDemoRun => ({
      variant,
      summary: counterVariants[variant]!.summary,
      clients,
      incrementsSent: clients,
      acknowledged: clients,
      failed: 0,
      unknown: 0,
      expected: clients,
      finalValue: clients,
      lostUpdates: 0,
      wallMs: 10,
      latencyP50Ms: 1,
      latencyP99Ms: 2,
      maxHandlersInFlight: inFlight,
      completionWaveMedian: 1,
      completionWaveSpacingMedianMs: 0,
    });
    const names = ['mutex', 'pg-atomic', 'pg-for-update', 'pg-version', 'pg-serializable', 'redis-watch', 'redis-incr', 'cas', 'txn'];
    const settings = { clients: 3, increments: 1, delayMs: 20, maxConcurrency: 10, store: 'memory' };
    const lines = explainGrpcDemo({ kind: 'grpc-demo', settings, runs: names.map((v) => run(v, 3)) });
    for (const [i, line] of lines.entries()) {
      const v = names[i]!;
      expect(line).not.toMatch(/at once, but /);
      expect(line).not.toMatch(/\. [a-z]/);
      expect(line).toContain('No update was lost, with up to 3 increments inside the server at once.');
      if (v !== 'mutex') expect(line).toContain(`How ${v} updates: ${counterVariants[v]!.summary}.`);
    }
    const [one] = explainGrpcDemo({ kind: 'grpc-demo', settings: { ...settings, clients: 1 }, runs: [run('mutex', 1, 1)] });
    expect(one).toBe(
      'mutex: 1 client process sent 1 increment; the server acknowledged 1 and the counter ended at 1. No update was lost: no two increments were inside the server at once, so none could overwrite another.',
    );
  });
});
