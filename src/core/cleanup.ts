import { hostname } from 'node:os';

/**
 * What a run leaves on shared servers (store namespaces, `txn run` tables, keys) must go on every exit path.
 * Normal exits and errors remove it in the code that created it (`finally`); a signal does not reach those
 * blocks, because racelab exits once its children are gone, so the creator also registers the removal here and
 * the signal handler runs it (src/cli/signals.ts). kill -9 reaches neither: for that, every such name carries
 * its owner (host, pid, creation time), and a later run removes what belongs to a process of this host that no
 * longer exists.
 */

type Cleanup = () => Promise<unknown>;

const cleanups = new Map<number, { label: string; run: Cleanup }>();
let nextId = 0;

/** Registers a removal to run if racelab is stopped by a signal; call the returned function once it is done. */
export function onCleanup(label: string, run: Cleanup): () => void {
  const id = nextId++;
  cleanups.set(id, { label, run });
  return () => void cleanups.delete(id);
}

/** Labels of the removals still registered (for tests and traces). */
export function pendingCleanups(): string[] {
  return [...cleanups.values()].map((c) => c.label);
}

/**
 * Runs every registered removal, newest first, each bounded by `timeoutMs` so a server that stopped answering
 * cannot hold the exit; returns the labels of those that failed or timed out.
 */
export async function runCleanups(timeoutMs = 5000): Promise<string[]> {
  const pending = [...cleanups.entries()].reverse();
  cleanups.clear();
  const failed: string[] = [];
  for (const [, c] of pending) {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      c.run().then(
        () => 'ok' as const,
        () => 'failed' as const,
      ),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (outcome !== 'ok') failed.push(c.label);
  }
  return failed;
}

/** This host's name as it appears in owner tags: lower-case letters and digits, at most 12. */
export const OWNER_HOST = (hostname().toLowerCase().replace(/[^a-z0-9]/g, '') || 'host').slice(0, 12);

export interface Owner {
  readonly host: string;
  readonly pid: number;
  /** When the owning process made the name (ms since the epoch). */
  readonly createdMs: number;
}

/**
 * `<host><sep><pid><sep><created><sep><random>`: appended to a name a run creates on a shared server, so that a
 * later run can tell whose it is. `sep` is `-` for store namespaces and `_` for SQL table names.
 */
export function ownerTag(sep: '-' | '_' = '-'): string {
  const random = Math.floor(Math.random() * 36 ** 4).toString(36);
  return [OWNER_HOST, String(process.pid), Date.now().toString(36), random].join(sep);
}

/** The owner of a name that ends in an ownerTag (either separator), or undefined for any other name. */
export function ownerOf(name: string): Owner | undefined {
  const m = /[-_]([a-z0-9]{1,12})[-_](\d{1,10})[-_]([0-9a-z]{1,9})[-_][0-9a-z]{1,4}$/.exec(name);
  if (!m) return undefined;
  const createdMs = parseInt(m[3] as string, 36);
  return { host: m[1] as string, pid: Number(m[2]), createdMs };
}

/** True when the name's owner ran on this host and is gone: what it left is nobody's and can be removed. */
export function ownerIsGone(name: string): boolean {
  const owner = ownerOf(name);
  if (!owner || owner.host !== OWNER_HOST || owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false; // alive (or its pid reused: then the leftover waits for a later sweep)
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
