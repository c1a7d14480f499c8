import { describe, expect, it } from 'vitest';
import { runAttack } from '../../src/attack/run.js';
import type { AttackOptions } from '../../src/attack/report.js';
import { RacelabError } from '../../src/core/errors.js';
import { parseTarget } from '../../src/grpc/client.js';

describe('parseTarget', () => {
  it('takes host:port, IPv6 in brackets, and trims', () => {
    expect(parseTarget(' localhost:50051 ')).toBe('localhost:50051');
    expect(parseTarget('[::1]:8080')).toBe('[::1]:8080');
  });

  it('refuses what is not an address, naming the parameter', () => {
    for (const bad of ['localhost', 'host:0', 'host:70000', '']) {
      expect(() => parseTarget(bad)).toThrow(RacelabError);
      expect(() => parseTarget(bad)).toThrow(/^target: ".*" is not host:port/);
    }
  });

  it('refuses no address at all with a RacelabError, not a TypeError (a library caller of runAttack without target)', async () => {
    expect(() => parseTarget(undefined as unknown as string, 'targets')).toThrow(/^targets: no address given; write host:port/);
    const e: unknown = await runAttack({} as AttackOptions).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RacelabError);
    expect(e).toMatchObject({ code: 'BAD_OPTION', subject: 'target' });
  });
});
