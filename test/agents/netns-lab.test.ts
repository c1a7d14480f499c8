/**
 * The namespaces the many-hosts tests run in (test/helpers/netns.ts): hosts reach each other on the bridge and
 * nothing else (no route out, the machine's own loopback services are not theirs); remove() leaves nothing,
 * not even a process started inside; a lab left by a test process that died is swept.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createLab, netnsAvailable, sweepStaleNetns } from '../helpers/netns.js';

const up = netnsAvailable();

/** A pid no process has: a child that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync('true');
  return r.pid as number;
}

describe.skipIf(!up)('test hosts as network namespaces', { timeout: 30_000 }, () => {
  it('hosts reach each other and nothing else; remove() kills what runs inside and leaves nothing', async () => {
    const lab = createLab(['h1', 'h2']);
    try {
      const [h1, h2] = [lab.host('h1'), lab.host('h2')];
      expect([h1.address, h2.address]).toEqual(['198.18.0.2', '198.18.0.3']);
      const inH1 = (command: string, args: string[] = []): ReturnType<typeof spawnSync> => spawnSync('ip', ['netns', 'exec', h1.netns, command, ...args], { encoding: 'utf8', timeout: 5000 });
      // h2 serves a line on TCP; h1 reads it over the bridge.
      const server = h2.spawn(process.execPath, ['-e', `require('net').createServer((s) => s.end('hello from h2')).listen(7000, '${h2.address}', () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'ignore'] });
      await new Promise((r) => server.stdout?.once('data', r));
      const fetch = (host: string, port: number): string =>
        String(inH1(process.execPath, ['-e', `const s = require('net').connect(${port}, '${host}'); s.setTimeout(1000, () => { console.log('timeout'); process.exit(); }); s.on('data', (d) => process.stdout.write(d)); s.on('error', (e) => console.log(e.code));`]).stdout);
      expect(fetch(h2.address, 7000)).toBe('hello from h2');
      // The machine's own loopback services are not on h1's loopback.
      expect(fetch('127.0.0.1', 4222)).toMatch(/ECONNREFUSED/);
      // Only the bridge's subnet is routed: no default route, so the rest of the world is unreachable.
      expect(String(inH1('ip', ['route']).stdout).trim().split('\n')).toEqual([expect.stringMatching(/^198\.18\.0\.0\/24 dev eth0/)]);
      expect(String(inH1('ip', ['route', 'get', '1.1.1.1']).stderr)).toMatch(/unreachable/);
      // A process left running in a namespace is killed by remove().
      const sleeper = h2.spawn('sleep', ['300'], { stdio: 'ignore' });
      const gone = new Promise((r) => sleeper.once('exit', (_c, s) => r(s)));
      await new Promise((r) => setTimeout(r, 100));
      expect(lab.leftovers()).toEqual(expect.arrayContaining([h1.netns, h2.netns, lab.bridge, `pid ${sleeper.pid} in ${h2.netns}`]));
      lab.remove();
      expect(await gone).toBe('SIGKILL');
      expect(lab.leftovers()).toEqual([]);
      lab.remove();
    } finally {
      lab.remove();
    }
  });

  it("sweeps a dead test process's namespaces, veths and bridge", () => {
    const pid = deadPid();
    const ns = `rlt-${pid}-stale`;
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['link', 'add', `rlb${pid}`, 'type', 'bridge']);
    execFileSync('ip', ['link', 'add', `rlv${pid}x0`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    const removed = sweepStaleNetns();
    expect(removed).toEqual(expect.arrayContaining([ns, `rlb${pid}`]));
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(ns);
    expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).not.toMatch(new RegExp(`rl[bv]${pid}`));
    // A live process's lab is not touched: this one's own.
    const lab = createLab(['h1']);
    try {
      expect(sweepStaleNetns()).toEqual([]);
      expect(lab.leftovers()).toContain(lab.host('h1').netns);
    } finally {
      lab.remove();
    }
  });
});
