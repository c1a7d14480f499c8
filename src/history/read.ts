import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { messageOf, RacelabError } from '../core/errors.js';
import type { History, HistoryEvent } from './event.js';
import { parseJepsenEdn, parseJepsenLog } from './jepsen.js';
import { formatHistoryJsonl, parseHistoryJsonl, parseHistoryJsonlHeader, type HistoryHeader } from './jsonl.js';

export type HistoryFormat = 'jsonl' | 'edn' | 'jepsen-log';
export const HISTORY_FORMATS: readonly HistoryFormat[] = ['jsonl', 'edn', 'jepsen-log'];

const parsers: Record<HistoryFormat, (text: string) => HistoryEvent[]> = {
  jsonl: parseHistoryJsonl,
  edn: parseJepsenEdn,
  'jepsen-log': parseJepsenLog,
};

/** Tells the format from the content (first meaningful line), then from the file extension. */
export function detectHistoryFormat(text: string, fileName = ''): HistoryFormat | undefined {
  if (/jepsen\.util\s*[-:]\s/.test(text.slice(0, 64 * 1024))) return 'jepsen-log';
  // The first meaningful line, found without splitting the whole file (a 50 MB history is 300,000 lines).
  let first: string | undefined;
  for (let at = 0; at < text.length && first === undefined; ) {
    const end = text.indexOf('\n', at);
    const line = text.slice(at, end === -1 ? text.length : end).trim();
    if (line !== '' && !line.startsWith(';')) first = line;
    at = end === -1 ? text.length : end + 1;
  }
  if (first !== undefined) {
    if (/^\{\s*"/.test(first)) return 'jsonl';
    if (/^(\{\s*:|\[|\(|#[A-Za-z{])/.test(first)) return 'edn';
  }
  const ext = extname(fileName).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.edn') return 'edn';
  if (ext === '.log') return 'jepsen-log';
  return undefined;
}

export function parseHistoryFormat(text: string, what = '--format'): HistoryFormat | 'auto' {
  if (text === 'auto' || (HISTORY_FORMATS as readonly string[]).includes(text)) return text as HistoryFormat | 'auto';
  throw new RacelabError('BAD_OPTION', `${what}: "${text}" is not a history format; use auto, ${HISTORY_FORMATS.join(', ')}`);
}

/** Parses a history text in the given format (or the detected one). */
/**
 * What a history file holds. `header.initial` is present only when the file says where the object started
 * (racelab's JSON Lines header); Jepsen's formats never say, their models' conventions do (the checker's
 * `init`).
 */
export interface ParsedHistory {
  readonly events: HistoryEvent[];
  readonly format: HistoryFormat;
  readonly header: HistoryHeader;
}

export function parseHistory(text: string, format: HistoryFormat | 'auto' = 'auto', fileName = 'the history'): ParsedHistory {
  const chosen = format === 'auto' ? detectHistoryFormat(text, fileName) : format;
  if (!chosen) {
    throw new RacelabError(
      'BAD_HISTORY',
      `${fileName}: cannot tell its format (racelab JSON Lines, Jepsen EDN or a Jepsen log); pass --format ${HISTORY_FORMATS.join('|')}`,
    );
  }
  const events = parsers[chosen](text);
  if (events.length === 0) throw new RacelabError('BAD_HISTORY', `${fileName}: no operations in it (read as ${chosen})`);
  return { events, format: chosen, header: chosen === 'jsonl' ? parseHistoryJsonlHeader(text) : {} };
}

/** Reads a history file: racelab's JSON Lines, Jepsen EDN or a Jepsen text log. Errors name file and line. */
export async function readHistoryFile(path: string, format: HistoryFormat | 'auto' = 'auto'): Promise<ParsedHistory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : messageOf(e);
    throw new RacelabError('BAD_HISTORY', `${path}: ${why}; give the path of a history file (JSON Lines, EDN or a Jepsen log)`);
  }
  try {
    return parseHistory(text, format, path);
  } catch (e) {
    if (e instanceof RacelabError && e.code === 'BAD_HISTORY' && !e.message.startsWith(path)) {
      throw new RacelabError('BAD_HISTORY', `${path} ${e.message}`);
    }
    throw e;
  }
}

/** Writes a history as racelab JSON Lines. */
export async function writeHistoryFile(path: string, history: History, header: HistoryHeader = {}): Promise<void> {
  await writeFile(path, formatHistoryJsonl(history, header));
}
