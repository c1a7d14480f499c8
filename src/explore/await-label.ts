import { fileURLToPath } from 'node:url';
import { shortValue } from '../core/short-value.js';
import { siteFile, type AwaitSite } from '../sched/await-site.js';

/** `wallet.ts:35`: the file's last path segment and the line, as a trace prints an await's place. */
export function siteLocation(site: AwaitSite): string {
  if (site.line === 0) return ''; // a controlled() call: its text names the object
  const slash = Math.max(site.file.lastIndexOf('/'), site.file.lastIndexOf('\\'));
  return `${site.file.slice(slash + 1)}:${site.line}`;
}

/**
 * An await's step label: `wallet.ts:35 this.accounts.findById(accountId)` for the call going out, with `returns`
 * (the response coming back) or `pending` (a wait's description) after it. Once the call has been made, `call`
 * names it with its argument values instead of its source text: `wallet.ts:35 findById("acc1") returns`.
 */
export function siteLabel(site: AwaitSite, phase?: 'returns' | 'pending', call?: string): string {
  const location = siteLocation(site);
  const head = `${location ? `${location} ` : ''}${site.kind === 'for-await' ? 'for await ' : ''}${call ?? site.text}`;
  return phase ? `${head} ${phase}` : head;
}

/** For a sentence: `src/wallet.ts:35:18 (await this.accounts.findById(accountId))`. */
export function describeSite(site: AwaitSite): string {
  if (site.line === 0) return `the call ${site.text}`;
  return `${site.file}:${site.line}:${site.column + 1} (${site.kind === 'then' ? '.then of ' : 'await '}${site.text})`;
}

/** A value as a trace shows what an await returned: ` -> {balance:100}`, or nothing when it is undefined. */
export function formatValue(value: unknown): string {
  return value === undefined ? '' : ` -> ${shortValue(value)}`;
}

/**
 * A file as a stack frame names it (a file: URL for an ES module, a path for CommonJS), for a sentence: as await
 * sites are written (siteFile), relative to the current directory when it is under it.
 */
export function stackFile(file: string): string {
  let path = file;
  try {
    if (file.startsWith('file:')) path = fileURLToPath(file);
  } catch {
    return file;
  }
  return siteFile(path, process.cwd());
}
