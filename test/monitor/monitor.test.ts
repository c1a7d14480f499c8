import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { raceMonitor, serveMetrics, type MetricsEndpoint } from '../../src/monitor/index.js';
import { runAttack } from '../../src/attack/run.js';
import { startCounterServer, type CounterServer } from '../../src/scenarios/counter/server.js';

let server: CounterServer | undefined;
let endpoint: MetricsEndpoint | undefined;
afterEach(async () => {
  await server?.close(200);
  await endpoint?.close();
  server = undefined;
  endpoint = undefined;
});

/** The value of one sample in Prometheus text, summed over its label sets; 0 when absent. */
function sample(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
}

function captureLogs(): { lines: () => Array<Record<string, unknown>>; logger: ReturnType<typeof pino> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, sink), lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('the race monitor, unit', () => {
  it('pairs two requests that read the same version and both wrote it; not a request that re-read', async () => {
    const m = raceMonitor();
    const a = m.begin('/Svc/A');
    const b = m.begin('/Svc/B');
    const c = m.begin('/Svc/C');
    m.read('acct:1', 4, a);
    m.read('acct:1', 4, b);
    m.write('acct:1', 5, a);
    m.read('acct:1', 5, c);
    m.write('acct:1', undefined, b);
    m.write('acct:1', 6, c);
    expect(m.counts.suspectedLostUpdates).toBe(1);
    expect(m.suspects[0]).toMatchObject({ kind: 'lost-update', key: 'acct:1', lost: 1, first: { id: a.id, readVersion: 4 }, second: { id: b.id, readVersion: 4 } });
    // Inside `run`, the current request is found without passing it.
    await m.run(c, async () => {
      await new Promise((r) => setTimeout(r, 1));
      m.write('acct:1', 3);
    });
    expect(m.counts.versionRegressions).toBe(1);
    const text = await m.metricsText();
    expect(sample(text, 'racelab_monitor_suspected_lost_updates_total')).toBe(1);
    expect(text).toContain('racelab_monitor_suspected_lost_updates_total{method="/Svc/B",key_class="acct"} 1');
    expect(sample(text, 'racelab_monitor_version_regressions_total')).toBe(1);
    expect(sample(text, 'racelab_monitor_in_flight')).toBe(3);
  });

  it('counts every update a stale write overwrote, not only the first pair', () => {
    // A and C read v0; A writes v1; B reads v1 and writes v2; C writes v3 based on v0: C wrote over A's and B's
    // updates. A counter would end at 1 after 3 increments: 2 lost.
    const m = raceMonitor();
    const [a, b, c] = ['/A', '/B', '/C'].map((x) => m.begin(x));
    m.read('counter', 0, a);
    m.read('counter', 0, c);
    m.write('counter', undefined, a);
    m.read('counter', 1, b);
    m.write('counter', undefined, b);
    m.write('counter', undefined, c);
    expect(m.counts.suspectedLostUpdates).toBe(2);
    expect(m.suspects).toHaveLength(1);
    expect(m.suspects[0]).toMatchObject({ lost: 2, overwrittenVersion: 2, first: { id: b!.id }, second: { id: c!.id, readVersion: 0 } });
  });

  it('tells apart two requests that carry the same x-request-id (a retry of one submit), but not one request from itself', () => {
    const m = raceMonitor();
    const first = m.begin('/Pay', 'submit-42');
    const retry = m.begin('/Pay', 'submit-42');
    m.read('order:42', 0, first);
    m.read('order:42', 0, retry);
    m.write('order:42', undefined, first);
    m.write('order:42', undefined, retry);
    expect(m.counts.suspectedLostUpdates).toBe(1);
    expect(m.suspects[0]).toMatchObject({ first: { id: 'submit-42' }, second: { id: 'submit-42' } });
    // One request that writes a key twice from one read wrote over nothing of anyone else's.
    const twice = m.begin('/Pay');
    m.read('order:7', 0, twice);
    m.write('order:7', undefined, twice);
    m.write('order:7', undefined, twice);
    expect(m.counts.suspectedLostUpdates).toBe(1);
  });

  it('flags transitions the declared state machine forbids', () => {
    const m = raceMonitor({ stateMachines: { order: { initial: 'new', allowed: { new: ['paid', 'cancelled'], paid: ['shipped'] } } } });
    m.transition('order:1', 'paid');
    m.transition('order:1', 'shipped');
    expect(m.counts.illegalTransitions).toBe(0);
    m.transition('order:2', 'cancelled');
    m.transition('order:2', 'shipped');
    expect(m.counts.illegalTransitions).toBe(1);
    expect(m.suspects[0]).toMatchObject({ kind: 'illegal-transition', key: 'order:2', from: 'cancelled', to: 'shipped' });
  });

  it('stays bounded: keys beyond maxKeys are forgotten, oldest first', () => {
    const m = raceMonitor({ maxKeys: 100, versionsPerKey: 4 });
    const r = m.begin('/x');
    for (let i = 0; i < 10_000; i++) {
      m.read(`k:${i}`, 1, r);
      m.write(`k:${i}`, 2, r);
    }
    expect((m as unknown as { keys: Map<string, unknown> }).keys.size).toBe(100);
  });

  it('wrap() makes each call of a plain handler a request', async () => {
    const m = raceMonitor();
    let version = 0;
    const handler = m.wrap('POST /inc', async () => {
      const seen = version;
      m.read('counter', seen);
      await new Promise((r) => setTimeout(r, 20));
      version = seen + 1;
      m.write('counter', version);
    });
    await Promise.all([handler(), handler(), handler()]);
    expect(m.counts.requests).toBe(3);
    expect(m.counts.suspectedLostUpdates).toBe(2);
    expect(m.counts.untracked).toBe(0);
  });
});

describe('the race monitor on a live gRPC counter', () => {
  it('a scrape during an attack on the vulnerable counter sees the suspected lost updates rise; one log line per suspect', async () => {
    const logs = captureLogs();
    const monitor = raceMonitor({ logger: logs.logger });
    server = await startCounterServer({ variant: 'vulnerable', delayMs: 100, maxConcurrency: 100, monitor });
    endpoint = await serveMetrics(monitor, { port: 0 });
    expect(endpoint.host).toBe('127.0.0.1');
    const before = sample(await scrape(endpoint.url), 'racelab_monitor_suspected_lost_updates_total');
    const attack = runAttack({ target: server.target, scenario: 'counter', sync: 'parallel', count: 10, rounds: 6, pauseMs: 50 });
    // Scrape while the attack runs, as Prometheus would.
    let during = 0;
    let running = true;
    void attack.finally(() => (running = false));
    while (running) {
      during = Math.max(during, sample(await scrape(endpoint.url), 'racelab_monitor_suspected_lost_updates_total'));
      await new Promise((r) => setTimeout(r, 30));
    }
    const report = await attack;
    const after = sample(await scrape(endpoint.url), 'racelab_monitor_suspected_lost_updates_total');
    expect(before).toBe(0);
    expect(during).toBeGreaterThan(0);
    expect(report.totals.lost).toBeGreaterThan(0);
    // Every lost update the attack measured is one suspect, within the calls whose outcome is unknown.
    expect(Math.abs(after - report.totals.lost)).toBeLessThanOrEqual(report.totals.unknown);
    const text = await scrape(endpoint.url);
    // Every Increment was a request (reflection and the before/after reads are counted under their own methods).
    expect(text).toContain(`racelab_monitor_requests_total{method="/Counter/Increment"} ${report.totals.calls}`);
    expect(sample(text, 'racelab_monitor_in_flight')).toBe(0);
    const lines = logs.lines();
    expect(lines.reduce((n, l) => n + (l.lost as number), 0)).toBe(after);
    expect(lines[0]).toMatchObject({ suspect: 'lost-update', key: 'counter', first: { method: '/Counter/Increment' }, second: { method: '/Counter/Increment' } });
    const first = lines[0]!.first as { request: string; wroteAt: string };
    expect(first.request).not.toBe((lines[0]!.second as { request: string }).request);
    expect(Date.parse(first.wroteAt)).toBeGreaterThan(Date.now() - 600_000);
  }, 60_000);

  it.each(['mutex', 'atomic', 'cas', 'txn'])('no false positive on the fixed %s variant over 20 attack rounds', async (variant) => {
    const monitor = raceMonitor();
    server = await startCounterServer({ variant, delayMs: 5, maxConcurrency: 100, monitor });
    const report = await runAttack({ target: server.target, scenario: 'counter', sync: 'parallel', count: 10, rounds: 20, pauseMs: 0 });
    expect(report.totals.lost).toBe(0);
    expect(await monitor.metricsText()).toContain(`racelab_monitor_requests_total{method="/Counter/Increment"} ${report.totals.calls}`);
    expect(monitor.counts.suspectedLostUpdates).toBe(0);
    expect(monitor.counts.versionRegressions).toBe(0);
    expect(sample(await monitor.metricsText(), 'racelab_monitor_suspected_lost_updates_total')).toBe(0);
  }, 60_000);
});
