import { open, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { extname } from 'node:path';
import { messageOf, RacelabError } from '../core/errors.js';
import type { History, HistoryEvent, PairedHistory } from './event.js';
import { parseJepsenEdn, parseJepsenLog } from './jepsen.js';
import { formatHistoryJsonl, JsonlEventReader, parseHistoryJsonl, parseHistoryJsonlHeader, type HistoryHeader } from './jsonl.js';
import { OperationPairer, pairOperations } from './operations.js';
import { tracer } from '../core/trace.js';
import { HistoryReadStopped } from './stopped.js';

export { HistoryReadStopped };

const trace = tracer('history');

export interface ReadHistoryOptions {
  /**
   * Asked between chunks of a JSON Lines file (every megabyte or so), every thousand lines or forms of a Jepsen
   * log or EDN history, and between reading, parsing and pairing; true stops the read with `HistoryReadStopped`.
   * How a caller holds reading to a time budget or stops it on a signal.
   */
  readonly stop?: () => boolean;
}

export type HistoryFormat = 'jsonl' | 'edn' | 'jepsen-log';
export const HISTORY_FORMATS: readonly HistoryFormat[] = ['jsonl', 'edn', 'jepsen-log'];

const parsers: Record<HistoryFormat, (text: string, stop?: () => boolean) => HistoryEvent[]> = {
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

export function parseHistoryFormat(text: string, subject = 'format'): HistoryFormat | 'auto' {
  if (text === 'auto' || (HISTORY_FORMATS as readonly string[]).includes(text)) return text as HistoryFormat | 'auto';
  throw new RacelabError('BAD_OPTION', `"${text}" is not a history format; use auto, ${HISTORY_FORMATS.join(', ')}`, { subject });
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

export function parseHistory(text: string, format: HistoryFormat | 'auto' = 'auto', fileName = 'the history', options: ReadHistoryOptions = {}): ParsedHistory {
  const chosen = format === 'auto' ? detectHistoryFormat(text, fileName) : format;
  if (!chosen) {
    throw new RacelabError(
      'BAD_HISTORY',
      `${fileName}: cannot tell its format (racelab JSON Lines, Jepsen EDN or a Jepsen log); pass \`format\` ${HISTORY_FORMATS.join('|')}`,
    );
  }
  let events: HistoryEvent[];
  try {
    events = parsers[chosen](text, options.stop);
  } catch (e) {
    throw e instanceof HistoryReadStopped ? new HistoryReadStopped(fileName, e.operations) : e;
  }
  if (events.length === 0) throw new RacelabError('BAD_HISTORY', `${fileName}: no operations in it (read as ${chosen})`);
  return { events, format: chosen, header: chosen === 'jsonl' ? parseHistoryJsonlHeader(text) : {} };
}

function unreadable(path: string, e: unknown): RacelabError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : messageOf(e);
  return new RacelabError('BAD_HISTORY', `${path}: ${why}; give the path of a history file (JSON Lines, EDN or a Jepsen log)`);
}

/** A parse error names the file first. */
function namingFile(path: string, e: unknown): unknown {
  return e instanceof RacelabError && e.code === 'BAD_HISTORY' && !e.message.startsWith(path) ? new RacelabError('BAD_HISTORY', `${path} ${e.message}`) : e;
}

/** Reads a history file: racelab's JSON Lines, Jepsen EDN or a Jepsen text log. Errors name file and line. */
export async function readHistoryFile(path: string, format: HistoryFormat | 'auto' = 'auto', options: ReadHistoryOptions = {}): Promise<ParsedHistory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw unreadable(path, e);
  }
  try {
    return parseHistory(text, format, path, options);
  } catch (e) {
    throw namingFile(path, e);
  }
}

/** A history file read straight into operations (`readPairedHistoryFile`). */
export interface PairedHistoryFile {
  readonly paired: PairedHistory;
  readonly format: HistoryFormat;
  readonly header: HistoryHeader;
}

/** The start of a file read to tell its format: at least the 64 Ki characters `detectHistoryFormat` looks at. */
const PREFIX_BYTES = 256 * 1024;
const CHUNK_BYTES = 1024 * 1024;

/**
 * Reads a history file and pairs its operations, as `readHistoryFile` then `pairOperations` do, with the same
 * result and the same errors. A JSON Lines file is read in chunks and each event paired as its line arrives:
 * neither the file's text nor its list of events is ever in memory (on a 50 MB history they were most of a
 * check's memory), only the operations.
 */
export async function readPairedHistoryFile(path: string, format: HistoryFormat | 'auto' = 'auto', options: ReadHistoryOptions = {}): Promise<PairedHistoryFile> {
  const stop = options.stop ?? (() => false);
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (e) {
    throw unreadable(path, e);
  }
  try {
    const whole = async (): Promise<PairedHistoryFile> => {
      // Jepsen's formats are read whole, then parsed: the stop is asked between the two, and as the parse goes.
      if (stop()) throw new HistoryReadStopped(path, 0);
      const parsed = await readHistoryFile(path, format, { stop });
      if (stop()) throw new HistoryReadStopped(path, parsed.events.filter((e) => e.type === 'invoke').length);
      return { paired: pairOperations(parsed.events), format: parsed.format, header: parsed.header };
    };
    let chosen = format;
    if (chosen === 'auto') {
      let prefix: { text: string; all: boolean };
      try {
        prefix = await readPrefix(file);
      } catch (e) {
        throw unreadable(path, e);
      }
      // The format is told from the prefix only when the prefix holds all that `detectHistoryFormat` reads.
      if (!prefix.all && !firstLineEnds(prefix.text)) return await whole();
      const detected = detectHistoryFormat(prefix.text, path);
      if (detected !== 'jsonl') return await whole();
      chosen = detected;
    }
    if (chosen !== 'jsonl') return await whole();
    return await pairJsonlFile(file, path, stop);
  } finally {
    await file.close();
  }
}

async function readPrefix(file: FileHandle): Promise<{ text: string; all: boolean }> {
  const buffer = Buffer.alloc(PREFIX_BYTES);
  let size = 0;
  for (;;) {
    const { bytesRead } = await file.read(buffer, size, PREFIX_BYTES - size, size);
    if (bytesRead === 0) break;
    size += bytesRead;
    if (size === PREFIX_BYTES) break;
  }
  // A character cut at the end of the prefix is held back, not replaced.
  return { text: new StringDecoder('utf8').write(buffer.subarray(0, size)), all: size < PREFIX_BYTES };
}

/** Whether the text's first meaningful line (not blank, not a `;` comment) ends inside it. */
function firstLineEnds(text: string): boolean {
  for (let at = 0; at < text.length; ) {
    const end = text.indexOf('\n', at);
    if (end === -1) return false;
    const line = text.slice(at, end).trim();
    if (line !== '' && !line.startsWith(';')) return true;
    at = end + 1;
  }
  return false;
}

async function pairJsonlFile(file: FileHandle, path: string, stop: () => boolean): Promise<PairedHistoryFile> {
  const reader = new JsonlEventReader();
  const pairer = new OperationPairer();
  // A history that is not well formed fails as it did when the whole file was parsed before pairing: a line that
  // cannot be read is named first, wherever it is; then the first pairing error.
  let pairingError: unknown;
  let lineNo = 0;
  const take = (buffer: Buffer, start: number, end: number): void => {
    lineNo++;
    // A newline byte is never inside a UTF-8 character: each line decodes on its own.
    const event = reader.line(buffer.toString('utf8', start, end), lineNo);
    if (event === undefined || pairingError !== undefined) return;
    try {
      pairer.add(event, reader.events - 1);
    } catch (e) {
      pairingError = e;
    }
  };
  try {
    let carry = Buffer.alloc(0);
    let position = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      let bytesRead: number;
      try {
        ({ bytesRead } = await file.read(chunk, 0, CHUNK_BYTES, position));
      } catch (e) {
        throw unreadable(path, e);
      }
      if (bytesRead === 0) break;
      // Asked after each chunk is taken, so that every stop has read something.
      if (position > 0) {
        if (trace.enabled) trace(`${path}: ${pairer.operations} operations read`);
        if (stop()) throw new HistoryReadStopped(path, pairer.operations);
      }
      position += bytesRead;
      const buffer = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let start = 0;
      for (let end = buffer.indexOf(10, start); end !== -1; end = buffer.indexOf(10, start)) {
        take(buffer, start, end);
        start = end + 1;
      }
      carry = Buffer.from(buffer.subarray(start));
    }
    take(carry, 0, carry.length);
  } catch (e) {
    throw namingFile(path, e);
  }
  if (reader.events === 0) throw new RacelabError('BAD_HISTORY', `${path}: no operations in it (read as jsonl)`);
  if (pairingError !== undefined) throw pairingError;
  return { paired: pairer.finish(), format: 'jsonl', header: reader.header };
}

/** Writes a history as racelab JSON Lines. */
export async function writeHistoryFile(path: string, history: History, header: HistoryHeader = {}): Promise<void> {
  await writeFile(path, formatHistoryJsonl(history, header));
}
