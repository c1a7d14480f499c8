import { describe, expect, it } from 'vitest';
import { ControlledScheduler, type Chooser, type StepRecord, type Transition } from '../../src/explore/index.js';
import type { Operation } from '../../src/sched/index.js';

// The controlled scheduler against a scripted chooser, as fast-check tests its scheduler with a mocked
// TaskSelector: no strategy, no explore loop, only the contract between the scheduler and its policy hook.

const write = (object: string, label: string): Operation => ({ kind: 'write', object, label });

/** Two tasks, each two points; `log` gets the label of every step as it runs. */
function twoTasks(scheduler: ControlledScheduler, log: string[]): void {
  for (const name of ['a', 'b']) {
    void scheduler.spawn(name, async () => {
      await scheduler.point(write('x', `${name}1`));
      log.push(`${name}1`);
      await scheduler.point(write('x', `${name}2`));
      log.push(`${name}2`);
    });
  }
}

interface Asked {
  readonly step: number;
  readonly enabled: string[];
  readonly previous: string | undefined;
}

/** Picks the first enabled transition of the named task, step after step; records what it was offered. */
function scripted(script: readonly string[], asked: Asked[]): Chooser {
  return {
    choose(enabled: readonly Transition[], step: number, previous: StepRecord | undefined): number {
      asked.push({ step, enabled: enabled.map((t) => `${t.taskName}:${t.kind}`), previous: previous?.taskName });
      const want = script[step];
      if (want === undefined) return -1;
      return enabled.findIndex((t) => t.taskName === want);
    },
  };
}

describe('ControlledScheduler with a scripted chooser', () => {
  it('runs exactly the order the chooser picks, asking once per step with the enabled transitions', async () => {
    const scheduler = new ControlledScheduler();
    const log: string[] = [];
    twoTasks(scheduler, log);
    const asked: Asked[] = [];
    const script = ['b', 'a', 'a', 'b'];
    const end = await scheduler.drive(scripted(script, asked), { maxSteps: 100 });
    expect(end.kind).toBe('complete');
    expect(log).toEqual(['b1', 'a1', 'a2', 'b2']);
    // One question per step, steps numbered from 0, each told the step taken just before it.
    expect(asked.map((a) => a.step)).toEqual([0, 1, 2, 3]);
    expect(asked.map((a) => a.previous)).toEqual([undefined, 'b', 'a', 'a']);
    // Both tasks are offered while both have a point ahead; once a is done, only b.
    expect(asked.slice(0, 3).map((a) => a.enabled.sort())).toEqual([
      ['a:point', 'b:point'],
      ['a:point', 'b:point'],
      ['a:point', 'b:point'],
    ]);
    expect(asked[3]?.enabled).toEqual(['b:point']);
    expect(scheduler.steps.map((s) => s.taskName)).toEqual(script);
  });

  it('another script, another interleaving: the scheduler decides nothing itself', async () => {
    const orders: string[][] = [];
    for (const script of [
      ['a', 'a', 'b', 'b'],
      ['b', 'b', 'a', 'a'],
      ['a', 'b', 'a', 'b'],
    ]) {
      const scheduler = new ControlledScheduler();
      const log: string[] = [];
      twoTasks(scheduler, log);
      const end = await scheduler.drive(scripted(script, []), { maxSteps: 100 });
      expect(end.kind).toBe('complete');
      orders.push(log);
    }
    expect(orders).toEqual([
      ['a1', 'a2', 'b1', 'b2'],
      ['b1', 'b2', 'a1', 'a2'],
      ['a1', 'b1', 'a2', 'b2'],
    ]);
  });

  it('a negative answer abandons the run where it stands', async () => {
    const scheduler = new ControlledScheduler();
    const log: string[] = [];
    twoTasks(scheduler, log);
    const end = await scheduler.drive(scripted(['a'], []), { maxSteps: 100 });
    expect(end.kind).toBe('abandoned');
    expect(log).toEqual(['a1']);
  });

  it('stops at the step limit, counting the chooser’s steps', async () => {
    const scheduler = new ControlledScheduler();
    const log: string[] = [];
    twoTasks(scheduler, log);
    const asked: Asked[] = [];
    const end = await scheduler.drive(scripted(['a', 'b', 'a', 'b'], asked), { maxSteps: 2 });
    expect(end.kind).toBe('step-limit');
    expect(asked).toHaveLength(2);
    expect(log).toEqual(['a1', 'b1']);
  });
});
