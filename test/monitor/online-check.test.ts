import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runAttack } from '../../src/attack/run.js';
import { check } from '../../src/check/checker.js';
import { registerModel } from '../../src/check/register-model.js';
import { raceMonitor } from '../../src/monitor/index.js';
import { startCounterServer, type CounterServer } from '../../src/scenarios/counter/server.js';

let server: CounterServer | undefined;
afterEach(async () => {
  await server?.close(200);
  server = undefined;
});

/** The checks run on macrotasks after their windows close: let the queue drain. */
const drained = () => new Promise((r) => setTimeout(r, 200));

function sample(text: string, verdict: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`racelab_monitor_linearizability_windows_total{verdict="${verdict}"}`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

async function attacked(variant: string) {
  const monitor = raceMonitor({ linearizability: { key: 'counter', windowOps: 8, budgetMs: 200 } });
  server = await startCounterServer({ variant, delayMs: 10, maxConcurrency: 100, monitor });
  const report = await runAttack({ target: server.target, scenario: 'counter', sync: 'parallel', count: 8, rounds: 10, pauseMs: 20 });
  await drained();
  return { monitor, report, online: monitor.online! };
}

describe('the online linearizability monitor', () => {
  it('finds illegal windows on the vulnerable counter, each one a history the checker rejects again', async () => {
    const { monitor, report, online } = await attacked('vulnerable');
    expect(report.totals.lost).toBeGreaterThan(0);
    expect(online.counts.illegal).toBeGreaterThan(0);
    const text = await monitor.metricsText();
    expect(sample(text, 'illegal')).toBe(online.counts.illegal);
    expect(sample(text, 'ok') + sample(text, 'illegal') + sample(text, 'unknown') + sample(text, 'skipped')).toBe(online.counts.ok + online.counts.illegal + online.counts.unknown + online.counts.skipped);
    for (const h of online.illegalWindows) expect(check(h, registerModel(), { initial: 'unknown' }).verdict).toBe('illegal');
    // Two requests that read the same value and both wrote the next: the window shows the pair.
    const cas = online.illegalWindows[0]!.filter((e) => e.type === 'invoke' && e.f === 'cas').map((e) => JSON.stringify(e.value));
    expect(new Set(cas).size).toBeLessThan(cas.length);
  }, 60_000);

  it.each(['mutex', 'atomic', 'cas'])('no illegal window on the %s counter, and windows judged linearizable', async (variant) => {
    const { online } = await attacked(variant);
    expect(online.counts.illegal).toBe(0);
    expect(online.counts.ok).toBeGreaterThan(0);
  }, 60_000);

  it('built, racelab checks each window on a thread of its own, off the event loop; the verdict is the same', async () => {
    // The thread runs the built module (CLI tests build dist/ first); from the sources the checks run on the loop.
    expect(raceMonitor({ linearizability: { key: 'k' } }).online!.checksRunOn).toBe('event loop');
    const built = (await import(pathToFileURL(join(import.meta.dirname, '..', '..', 'dist', 'monitor', 'index.js')).href)) as typeof import('../../src/monitor/index.js');
    const monitor = built.raceMonitor({ linearizability: { key: 'k', windowOps: 2, budgetMs: 50 } });
    const online = monitor.online!;
    expect(online.checksRunOn).toBe('worker thread');
    // Two requests that both read 5 and wrote 6: a lost update.
    const a = monitor.begin('/W');
    const b = monitor.begin('/W');
    online.read(a, 5, 5, 10);
    online.read(b, 5, 5, 11);
    online.write(a, 6, 'last-read', 12);
    online.write(b, 6, 'last-read', 13);
    monitor.end(a, 0);
    monitor.end(b, 0);
    for (let i = 0; i < 100 && online.counts.illegal === 0; i++) await new Promise((r) => setTimeout(r, 50));
    try {
      expect(online.counts).toMatchObject({ ok: 0, illegal: 1, unknown: 0 });
      expect(online.illegalWindows).toHaveLength(1);
      expect(check(online.illegalWindows[0]!, registerModel(), { initial: 'unknown' }).verdict).toBe('illegal');
    } finally {
      await online.stopThread();
    }
  });

  it("a service that runs in a worker thread of its own keeps its messages: the monitor's module answers only in its check thread", async () => {
    const { Worker } = await import('node:worker_threads');
    const monitorModule = pathToFileURL(join(import.meta.dirname, '..', '..', 'dist', 'monitor', 'index.js')).href;
    // The service's thread loads the monitor, then answers its own messages; a message shaped like a window check
    // must reach the service, not be answered by the monitor.
    const service = new Worker(
      `const { parentPort } = require('node:worker_threads');
       import(${JSON.stringify(monitorModule)}).then(() => {
         parentPort.on('message', (m) => parentPort.postMessage({ service: m }));
         parentPort.postMessage('ready');
       });`,
      { eval: true },
    );
    try {
      const replies: unknown[] = [];
      await new Promise<void>((resolve) => service.on('message', (m) => (m === 'ready' ? resolve() : replies.push(m))));
      service.postMessage({ id: 1, history: [], budgetMs: 5 });
      // The service's answer, however late a loaded machine delivers it; then 300 ms for any other answer to come.
      await vi.waitFor(() => expect(replies.length).toBeGreaterThan(0), { timeout: 10_000, interval: 5 });
      await new Promise((r) => setTimeout(r, 300));
      expect(replies).toEqual([{ service: { id: 1, history: [], budgetMs: 5 } }]);
    } finally {
      await service.terminate();
    }
  });

  it('says unknown, never linearizable, for a window it cannot describe; skips a window while a check is queued', async () => {
    const monitor = raceMonitor({ linearizability: { key: 'k', windowOps: 2, budgetMs: 50 } });
    const online = monitor.online!;
    // A request that writes the key twice is not one register operation.
    const twice = monitor.begin('/W');
    online.write(twice, 1, 'last-read', 10);
    online.write(twice, 2, 'last-read', 11);
    monitor.end(twice, 0);
    const r = monitor.begin('/R');
    online.read(r, 2, 2, 12);
    monitor.end(r, 0);
    await drained();
    expect(online.counts).toMatchObject({ ok: 0, illegal: 0, unknown: 1 });
    // Two windows closing in one turn of the event loop: the second is skipped, and counted so.
    for (let i = 0; i < 4; i++) {
      const q = monitor.begin('/R');
      online.read(q, 2, 2, 20 + i);
      monitor.end(q, 0);
    }
    await drained();
    expect(online.counts).toMatchObject({ ok: 1, skipped: 1 });
  });
});
