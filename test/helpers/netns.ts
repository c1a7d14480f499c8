/**
 * Several hosts on one machine, for tests: network namespaces `rlt-<pid>-<host>` (pid: the test process that
 * made them), each with one veth interface into a bridge `rlb<pid>` and an address from the benchmarking range
 * 198.18.0.0/24 (RFC 2544). No namespace has a default route, and the bridge has no address: traffic goes
 * between the test's own hosts and nowhere else.
 *
 * Everything a lab makes goes away whatever happens: `remove()` from afterAll, and again from process exit and
 * signal handlers (it is idempotent and synchronous). `leftovers()` lists what is still there, for a test to
 * assert it is nothing; `sweepStaleNetns()` removes what earlier test processes that died left behind.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const PREFIX = 'rlt-';
const SUBNET = '198.18.0';

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryIp(args: string[]): void {
  try {
    ip(args);
  } catch {
    // Already gone.
  }
}

function listNetns(): string[] {
  try {
    return ip(['netns', 'list'])
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((n) => n !== '');
  } catch {
    return [];
  }
}

function listLinks(): string[] {
  try {
    return ip(['-o', 'link', 'show'])
      .split('\n')
      .flatMap((l) => {
        const m = /^\d+:\s+([^:@\s]+)/.exec(l);
        return m ? [m[1] as string] : [];
      });
  } catch {
    return [];
  }
}

function pidsIn(ns: string): number[] {
  try {
    return ip(['netns', 'pids', ns])
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills every process in the namespace, then deletes it (its veth end goes with it). */
function removeNetns(ns: string): void {
  for (const pid of pidsIn(ns)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  tryIp(['netns', 'delete', ns]);
}

/**
 * Whether this process may create network namespaces (root, and `ip netns` works), checked by making one and
 * removing it. Under CI=true a machine that cannot throws, so the suite fails; elsewhere it skips, saying why.
 */
export function netnsAvailable(): boolean {
  let why: string | undefined;
  if (process.platform !== 'linux') why = `network namespaces are Linux only (this is ${process.platform})`;
  else if (process.getuid?.() !== 0) why = 'creating network namespaces needs root';
  else {
    const probe = `${PREFIX}${process.pid}-probe`;
    try {
      ip(['netns', 'add', probe]);
    } catch (e) {
      why = `\`ip netns add\` failed (${(e as { stderr?: string }).stderr?.trim() || (e as Error).message})`;
    } finally {
      tryIp(['netns', 'delete', probe]);
    }
  }
  if (why === undefined) return true;
  if (process.env.CI === 'true') throw new Error(`${why} (CI=true: tests that need namespaces fail rather than skip)`);
  console.warn(`skipping network namespace tests: ${why}`);
  return false;
}

/**
 * Removes namespaces `rlt-<pid>-*`, veths `rlv<pid>x*` and bridges `rlb<pid>` whose test process is gone, with
 * every process still inside them. Returns what it removed.
 */
export function sweepStaleNetns(): string[] {
  const removed: string[] = [];
  const dead = (pid: number): boolean => pid !== process.pid && !alive(pid);
  for (const ns of listNetns()) {
    const m = /^rlt-(\d+)-/.exec(ns);
    if (m && dead(Number(m[1]))) {
      removeNetns(ns);
      removed.push(ns);
    }
  }
  for (const link of listLinks()) {
    const m = /^rl[bv](\d+)/.exec(link);
    if (m && dead(Number(m[1])) && listLinks().includes(link)) {
      tryIp(['link', 'delete', link]);
      removed.push(link);
    }
  }
  return removed;
}

/** One host of a lab: its namespace and address. */
export interface LabHost {
  readonly name: string;
  readonly netns: string;
  readonly address: string;
  /** Starts a command inside this host's namespace (`ip netns exec` execs it: the child is the command). */
  spawn(command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
}

export interface Lab {
  readonly bridge: string;
  readonly hosts: Readonly<Record<string, LabHost>>;
  host(name: string): LabHost;
  /** Kills every process in the lab's namespaces, deletes its interfaces and namespaces; safe to call twice. */
  remove(): void;
  /** Namespaces, interfaces and processes of this lab still present (empty after `remove()`). */
  leftovers(): string[];
}

const HOST_NAME = /^[a-z][a-z0-9]{0,9}$/;

/**
 * Makes one namespace per host name, addresses 198.18.0.2, .3, … in the order given, all on one bridge.
 * Stale labs of dead test processes are swept first.
 */
export function createLab(names: readonly string[]): Lab {
  if (names.length === 0 || names.length > 200) throw new Error('a lab has 1 to 200 hosts');
  for (const n of names) if (!HOST_NAME.test(n)) throw new Error(`host name "${n}": 1 to 10 lowercase letters and digits`);
  sweepStaleNetns();
  const pid = process.pid;
  const bridge = `rlb${pid}`;
  const veth = (i: number): string => `rlv${pid}x${i}`;
  const ours = (): { netns: string[]; links: string[] } => ({
    netns: listNetns().filter((n) => n.startsWith(`${PREFIX}${pid}-`)),
    links: listLinks().filter((l) => l === bridge || l.startsWith(`rlv${pid}x`)),
  });
  let removed = false;
  const remove = (): void => {
    const { netns, links } = ours();
    for (const ns of netns) for (const p of pidsIn(ns)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    // Deleting the root-side end of a veth deletes both ends at once (a namespace's own cleanup is deferred).
    for (const l of links) if (l !== bridge) tryIp(['link', 'delete', l]);
    tryIp(['link', 'delete', bridge]);
    for (const ns of netns) removeNetns(ns);
    if (!removed) {
      removed = true;
      process.off('exit', remove);
      for (const s of SIGNALS) process.off(s, onSignal);
    }
  };
  const onSignal = (s: NodeJS.Signals): void => {
    remove();
    process.kill(process.pid, s);
  };
  process.once('exit', remove);
  for (const s of SIGNALS) process.once(s, onSignal);

  const hosts: Record<string, LabHost> = {};
  try {
    ip(['link', 'add', bridge, 'type', 'bridge']);
    ip(['link', 'set', bridge, 'up']);
    names.forEach((name, i) => {
      const netns = `${PREFIX}${pid}-${name}`;
      const address = `${SUBNET}.${i + 2}`;
      ip(['netns', 'add', netns]);
      ip(['link', 'add', veth(i), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      ip(['link', 'set', veth(i), 'master', bridge, 'up']);
      ip(['-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
      ip(['-n', netns, 'link', 'set', 'lo', 'up']);
      hosts[name] = {
        name,
        netns,
        address,
        spawn: (command, args, options = {}) => spawn('ip', ['netns', 'exec', netns, command, ...args], options),
      };
    });
  } catch (e) {
    remove();
    throw e;
  }
  return {
    bridge,
    hosts,
    host: (name) => {
      const h = hosts[name];
      if (!h) throw new Error(`no host ${name} in this lab`);
      return h;
    },
    remove,
    leftovers: () => {
      const { netns, links } = ours();
      return [...netns, ...links, ...netns.flatMap((ns) => pidsIn(ns).map((p) => `pid ${p} in ${ns}`))];
    },
  };
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Live child processes of `pid` (zombies not counted: they are exited, only not yet reaped). */
export function childPids(pid = process.pid): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') out.push(Number(entry));
    } catch {
      // Exited while listing.
    }
  }
  return out;
}
