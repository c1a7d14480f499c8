// The simulation behind the sample histories (generate.mjs) and the history pages' hash
// (scripts/hash-history-pages.mjs). Reads the build (dist/).
import { Random } from '../../dist/index.js';

/**
 * Closed-loop clients against one sequential object in virtual time: each operation takes effect at a random
 * instant between its invocation and its response. `apply(op, rng)` runs it on the real object at that
 * instant (`rng` is the simulation's seeded random source). Some operations time out (`info`); half of those took
 * effect anyway. After an `info`, the client continues as a new process (process + clients), as Jepsen does.
 */
export function simulate({ seed, clients, ops, plan, apply, infoRate = 0.03 }) {
  const rng = Random.seeded(seed);
  const clientTime = new Array(clients).fill(0);
  const processOf = Array.from({ length: clients }, (_, i) => i);
  const planned = [];
  for (let i = 0; i < ops; i++) {
    const c = rng.int(clients);
    const call = clientTime[c] + 1 + rng.int(15);
    const ret = call + 5 + rng.int(60);
    clientTime[c] = ret;
    const info = rng.next() < infoRate;
    planned.push({ process: processOf[c], call, ret, point: call + rng.next() * (ret - call), info, happened: !info || rng.next() < 0.5, ...plan(rng, i) });
    if (info) processOf[c] += clients;
  }
  for (const p of [...planned].sort((a, b) => a.point - b.point)) apply(p, rng);
  const events = [];
  for (const p of planned) {
    events.push({ t: p.call, o: 0, e: { process: p.process, type: 'invoke', f: p.f, value: p.in } });
    const type = p.info ? 'info' : p.failed ? 'fail' : 'ok';
    events.push({ t: p.ret, o: 1, e: { process: p.process, type, f: p.f, value: type === 'ok' ? (p.out ?? p.in) : type === 'info' ? 'timed-out' : p.in } });
  }
  events.sort((a, b) => a.t - b.t || a.o - b.o);
  return events.map((x) => ({ ...x.e, time: x.t }));
}

