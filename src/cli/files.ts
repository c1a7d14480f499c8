import { open, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RacelabError, messageOf } from '../core/errors.js';

/**
 * Why a file could not be written once the run was over (a disk filled, a folder went, a path checked before the
 * run for a command that checks none): the clause after `--html: ` or `--record: `, naming the fix.
 */
export function cannotWrite(path: string, e: unknown): string {
  return `cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? messageOf(e)}); give a writable file path`;
}

/**
 * A report, page or recording goes to a file racelab can create or overwrite: checked before the run, so that a
 * typo in the path costs one line, not a whole run that ends in a stack.
 */
export async function ensureWritableFile(path: string, flag: string): Promise<void> {
  const isFolder = await stat(path).then((st) => st.isDirectory(), () => false);
  if (isFolder) throw new RacelabError('BAD_OPTION', `${flag}: ${path} is a folder; give a file path in it`);
  // Opened for real, not asked with access(): root passes every access() test, even in /proc. An existing file is
  // opened without truncating it; a new one is created and removed again.
  try {
    const existing = await open(path, 'r+').catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
      return undefined;
    });
    if (existing) await existing.close();
    else {
      await (await open(path, 'wx')).close();
      await unlink(path);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOENT from creating a file: the folder is missing, or is one no file can be made in (/proc).
    const why = code === 'ENOENT' ? ((await stat(dirname(path)).then((st) => st.isDirectory(), () => false)) ? 'no file can be created in that folder' : 'no such folder') : (code ?? String(e));
    throw new RacelabError('BAD_OPTION', `${flag}: cannot write ${path} (${why}); give a writable file path`);
  }
}

/**
 * A host to bind or reach, checked before anything starts: a dotted quad out of range is named as such, and a
 * name that does not resolve says so, instead of gRPC's "Name resolution failed" or a connection that waits.
 */
export async function checkHost(host: string, flag: string): Promise<void> {
  const { isIP } = await import('node:net');
  if (isIP(host) !== 0 || host === 'localhost') return;
  if (/^\d+(\.\d+){3}$/.test(host)) {
    throw new RacelabError('BAD_OPTION', `${flag}: ${host} is not an IPv4 address (each of its four parts is 0 to 255); use e.g. 127.0.0.1, or 0.0.0.0 for every interface`);
  }
  const { lookup } = await import('node:dns/promises');
  try {
    await lookup(host);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RacelabError('BAD_OPTION', `${flag}: the host name ${host} does not resolve (${code ?? 'lookup failed'}); check its spelling, or give an IP address such as 127.0.0.1`);
  }
}
