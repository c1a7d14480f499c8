import { describe, expect, it } from 'vitest';
import { check, checkVerbose } from '../../src/check/checker.js';
import { hist } from './histories.js';

const call = (order: string, key: string): string => `{:order "${order}" :idempotency_key "${key}"}`;
const answer = (charges: number, replayed: boolean): string => `{:charges ${charges} :replayed ${replayed}}`;

describe('racelab check --model checkout', () => {
  it('two checkouts with one key that both charged: illegal, and the second charge is the one named', () => {
    const r = checkVerbose(
      hist(`
        0 invoke charges {:order "o1"}
        0 ok charges 0
        1 invoke checkout ${call('o1', 'k1')}
        2 invoke checkout ${call('o1', 'k1')}
        1 ok checkout ${answer(1, false)}
        2 ok checkout ${answer(2, false)}`),
      'checkout',
    );
    expect(r.verdict).toBe('illegal');
    expect(r.explanation.join('\n')).toMatch(/The response that cannot be explained is process 2's checkout o1 with key k1 → charged \(2 charges in all\)/);
  });
  it('one charge and its replays, overlapping: ok', () => {
    const r = check(
      hist(`
        1 invoke checkout ${call('o1', 'k1')}
        2 invoke checkout ${call('o1', 'k1')}
        3 invoke checkout ${call('o1', 'k1')}
        2 ok checkout ${answer(1, true)}
        1 ok checkout ${answer(1, false)}
        3 ok checkout ${answer(1, true)}
        0 invoke charges {:order "o1"}
        0 ok charges 1`),
      'checkout',
    );
    expect(r.verdict).toBe('ok');
  });
  it('a key used before the history answered as a replay with the count unchanged: ok; with a moved count: illegal', () => {
    const before = `
        0 invoke charges {:order "o1"}
        0 ok charges 1
        1 invoke checkout ${call('o1', 'old')}`;
    expect(check(hist(`${before}\n1 ok checkout ${answer(1, true)}`), 'checkout').verdict).toBe('ok');
    expect(check(hist(`${before}\n1 ok checkout ${answer(2, true)}`), 'checkout').verdict).toBe('illegal');
  });
  it('two keys for two orders each charge once; an unknown outcome may have charged', () => {
    const r = check(
      hist(`
        1 invoke checkout ${call('o1', 'k1')}
        2 invoke checkout ${call('o2', 'k2')}
        1 ok checkout ${answer(1, false)}
        2 info checkout ${call('o2', 'k2')}
        0 invoke charges {:order "o2"}
        0 ok charges 1`),
      'checkout',
    );
    expect(r.verdict).toBe('ok');
  });
  it('a history without the replayed flag is bad input naming what a checkout returns', () => {
    expect(() => check(hist(`1 invoke checkout ${call('o1', 'k1')}\n1 ok checkout 1`), 'checkout')).toThrow(/a checkout returns \{charges, replayed\}/);
  });
});
