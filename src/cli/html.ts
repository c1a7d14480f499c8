import { writeFile } from 'node:fs/promises';
import { RacelabError } from '../core/errors.js';
import { cannotWrite, ensureWritableFile } from './files.js';
import { printProgress } from './output.js';

/** `--html FILE`: a path that cannot be written is bad input before the run starts, not after minutes of it. */
export async function checkHtmlPath(path: string | undefined): Promise<void> {
  if (path === undefined) return;
  if (path.trim() === '') throw new RacelabError('BAD_OPTION', '--html: needs a file name, e.g. --html report.html');
  await ensureWritableFile(path, '--html');
}

/** Writes the page and says where, and how big it is (pages are meant to stay small enough to attach). */
export async function writeHtmlPage(path: string, html: string): Promise<void> {
  // Checked before the run (checkHtmlPath), but a disk can fill, or a folder go, while it runs: one line, no stack.
  await writeFile(path, html).catch((e: unknown) => {
    throw new RacelabError('BAD_OPTION', `--html: ${cannotWrite(path, e)}`);
  });
  const bytes = Buffer.byteLength(html);
  printProgress(`report page written to ${path} (${bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(2)} MB` : `${Math.ceil(bytes / 1024)} KB`})`);
}

/** The command line as typed (quoted where a shell needs it), for a page's "reproduce" section. */
export function commandLine(): string {
  const args = process.argv.slice(2).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`));
  return ['racelab', ...args].join(' ');
}
