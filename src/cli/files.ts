import { access, constants, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RacelabError } from '../core/errors.js';

/**
 * A report, page or recording goes to a file racelab can create or overwrite: checked before the run, so that a
 * typo in the path costs one line, not a whole run that ends in a stack.
 */
export async function ensureWritableFile(path: string, flag: string): Promise<void> {
  const isFolder = await stat(path).then((st) => st.isDirectory(), () => false);
  if (isFolder) throw new RacelabError('BAD_OPTION', `${flag}: ${path} is a folder; give a file path in it`);
  try {
    await access(path, constants.W_OK).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
      await access(dirname(path), constants.W_OK);
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RacelabError('BAD_OPTION', `${flag}: cannot write ${path} (${code === 'ENOENT' ? 'no such folder' : (code ?? String(e))}); give a writable file path`);
  }
}
