import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { runAttack } from '../../../src/attack/index.js';
import { refuse, startPlainServer, type PlainServer } from '../../helpers/plain-scenario-server.js';

/**
 * A plain grpc-js coupon service (no await between check and take: no race) whose Issue of round 2's code makes
 * the code and then answers Unavailable, once: the answer is lost, the call is not. The attack's retry of that
 * setup call then finds the code there (AlreadyExists).
 */
function startLossyIssue(): { issued: string[]; start(): Promise<PlainServer> } {
  const codes = new Map<string, { limit: number; users: Set<string> }>();
  const issued: string[] = [];
  let lost = false;
  return {
    issued,
    start: () =>
      startPlainServer('coupon.proto', 'racelab.coupon.v1.Coupons', {
        Issue: async (r: { code: string; limit: number }) => {
          issued.push(r.code);
          if (codes.has(r.code)) throw refuse(grpc.status.ALREADY_EXISTS, `coupon "${r.code}" was already issued`);
          codes.set(r.code, { limit: r.limit, users: new Set() });
          if (r.code.endsWith('-2') && !lost) {
            lost = true;
            throw refuse(grpc.status.UNAVAILABLE, 'the answer was lost on the way back');
          }
          return { remaining: r.limit, limit: r.limit };
        },
        Redeem: async (r: { code: string; user: string }) => {
          const c = codes.get(r.code);
          if (!c) throw refuse(grpc.status.NOT_FOUND, `no coupon "${r.code}"`);
          if (c.users.has(r.user) || c.users.size >= c.limit) throw refuse(grpc.status.FAILED_PRECONDITION, 'refused');
          c.users.add(r.user);
          return { remaining: c.limit - c.users.size };
        },
        Status: async (r: { code: string }) => {
          const c = codes.get(r.code);
          if (!c) throw refuse(grpc.status.NOT_FOUND, `no coupon "${r.code}"`);
          return { remaining: c.limit - c.users.size, limit: c.limit };
        },
      }),
  };
}

describe('attack --scenario coupon: a setup call answered Unavailable whose effect landed', () => {
  let server: PlainServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('takes AlreadyExists on the retry as the setup done, says so in a warning, and runs every round', async () => {
    const service = startLossyIssue();
    server = await service.start();
    const report = await runAttack({ target: server.target, scenario: 'coupon', sync: 'parallel', count: 8, rounds: 3, pauseMs: 0 });
    // Round 2's code was issued twice: the call whose answer was lost, and the retry that found it.
    const round2 = service.issued.filter((c) => c.endsWith('-2'));
    expect(round2).toHaveLength(2);
    expect(new Set(round2).size).toBe(1);
    expect(report.rounds).toHaveLength(3);
    expect(report.verdict, report.warnings.join('\n')).toBe('no-race');
    expect(report.targetDown).toBeUndefined();
    expect(report.warnings.join('\n')).toMatch(/round 2: the setup call was answered Unavailable \(.*the answer was lost on the way back\), and its retry found what it makes already there \(.*AlreadyExists.*\); taken as made by the first attempt/);
  }, 60_000);
});
