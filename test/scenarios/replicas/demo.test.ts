import { describe, expect, it } from 'vitest';
import type { ReplicasDemoReport } from '../../../src/scenarios/replicas/index.js';
import { runCli } from '../../helpers/cli.js';
import { PG_URL, serviceAvailable } from '../../helpers/services.js';

const pgUp = await serviceAvailable('PostgreSQL', PG_URL);

describe.skipIf(!pgUp)('racelab demo replicas', () => {
  it('mutex exact on 1 replica, lossy on 3; store-level fixes exact on 3; the kill loses no acknowledged increment', async () => {
    const run = await runCli(
      ['demo', 'replicas', '--store', PG_URL, '--calls', '30', '--concurrency', '9', '--delay', '40ms', '--variants', 'pg-atomic,pg-for-update', '--json'],
      { timeoutMs: 90_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as ReplicasDemoReport;
    expect(report.kind).toBe('replicas-demo');
    expect(report.runs.map((r) => `${r.variant}x${r.replicas}`)).toEqual(['mutexx1', 'mutexx3', 'pg-atomicx3', 'pg-for-updatex3']);
    const [one, three, atomic, forUpdate] = report.runs;
    expect(one!.exact).toBe(true);
    expect(three!.lostUpdates).toBeGreaterThan(0);
    expect(three!.finalValue).toBe(three!.acknowledged - three!.lostUpdates);
    for (const r of [atomic!, forUpdate!]) {
      expect(r.exact).toBe(true);
      expect(r.finalValue).toBe(30);
      expect(r.callsPerSecond).toBeGreaterThan(0);
      expect(r.latencyP99Ms).toBeGreaterThanOrEqual(r.latencyP50Ms);
    }
    const [kill] = report.kills;
    expect(kill!.durable).toBe(true);
    expect(kill!.lostAcknowledged).toBe(0);
    expect(kill!.finalValue).toBeGreaterThanOrEqual(kill!.acknowledged);
    // The explanation quotes this run's numbers.
    const text = report.explanation.join(' ');
    expect(text).toContain(`it lost ${three!.lostUpdates} of ${three!.acknowledged}`);
    expect(text).toContain(`no acknowledged increment was lost (final value ${kill!.finalValue} for ${kill!.acknowledged} acknowledged)`);
    expect(run.stdout).not.toContain('namespace=');
  });
});
