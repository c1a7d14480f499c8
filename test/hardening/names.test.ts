import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../helpers/cli.js';

describe('errors that name what is wrong and the fix', () => {
  it('serve --host 256.1.1.1, demo nope, an unknown host name in client', async () => {
    const [host, demo, dns] = await Promise.all([
      runCli(['serve', '--host', '256.1.1.1', '--port', '0']),
      runCli(['demo', 'nope']),
      runCli(['client', '--target', 'no-such-host.invalid:50051', '--connect-timeout', '30s']),
    ]);
    expect(expectOneLineError(host)).toMatch(/^racelab: --host: 256\.1\.1\.1 is not an IPv4 address \(each of its four parts is 0 to 255\); use e\.g\. 127\.0\.0\.1/);
    expect(expectOneLineError(demo)).toMatch(/^racelab: demo: "nope" is not a demo; run one of grpc, .*actors.*replicas/);
    // Refused on the name, not after the 30 s connect timeout.
    expect(expectOneLineError(dns)).toMatch(/^racelab: --target: the host name no-such-host\.invalid does not resolve \(\w+\); check its spelling/);
  }, 60_000);

  it('attack and list on an unknown host name say the name does not resolve, not that nothing accepts connections', async () => {
    const [attack, list] = await Promise.all([
      runCli(['attack', '--target', 'no-such-host.invalid:50051', '--scenario', 'counter', '--rounds', '1']),
      runCli(['list', 'no-such-host.invalid:50051']),
    ]);
    for (const run of [attack, list]) {
      const line = expectOneLineError(run);
      expect(line).toMatch(/the host name in no-such-host\.invalid:50051 does not resolve \((ENOTFOUND|EAI_AGAIN)\); check its spelling/);
      expect(line).not.toContain('nothing accepts connections');
    }
  }, 60_000);
});
