import { describe, expect, it } from 'vitest';
import { Mutex, realScheduler, type Operation, type Scheduler } from '../../src/sched/index.js';

describe('Mutex', () => {
  it('runs critical sections one at a time, in the order they asked', async () => {
    const m = new Mutex('m');
    const log: string[] = [];
    const section = (id: number) =>
      m.runExclusive(async () => {
        log.push(`in ${id}`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`out ${id}`);
      });
    await Promise.all([section(1), section(2), section(3)]);
    expect(log).toEqual(['in 1', 'out 1', 'in 2', 'out 2', 'in 3', 'out 3']);
    expect(m.isLocked).toBe(false);
  });

  it('releases the lock when the section throws', async () => {
    const m = new Mutex('m');
    await expect(m.runExclusive(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(m.isLocked).toBe(false);
    expect(await m.runExclusive(() => 7)).toBe(7);
  });

  it('acquire is a scheduling point and a held lock is waited for through waitFor', async () => {
    const points: Operation[] = [];
    const waits: string[] = [];
    const s: Scheduler = {
      ...realScheduler,
      point: (op) => void points.push(op),
      waitFor: (p, label) => (waits.push(label), p),
    };
    const m = new Mutex('acct', s);
    const release = await m.acquire();
    const second = m.acquire();
    await Promise.resolve();
    release();
    (await second)();
    expect(points.map((p) => p.label)).toEqual(['lock acct', 'lock acct']);
    expect(points[0]?.object).toBe('acct');
    expect(waits).toEqual(['wait for acct']);
  });
});
