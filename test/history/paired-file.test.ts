import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HistoryReadStopped, pairOperations, readHistoryFile, readPairedHistoryFile } from '../../src/history/index.js';
import { counterHistoryJsonl } from '../../bench/large-history.mjs';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('racelab-paired-file-');

/** What `racelab check` read before the streaming reader: the whole file, then the pairing. */
async function wholeThenPaired(path: string): Promise<unknown> {
  try {
    const parsed = await readHistoryFile(path);
    return { paired: pairOperations(parsed.events), format: parsed.format, header: parsed.header };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

async function streamed(path: string): Promise<unknown> {
  try {
    return await readPairedHistoryFile(path);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('readPairedHistoryFile', () => {
  it('gives what reading the whole file then pairing gives, for every sample history', async () => {
    const samples = join(__dirname, '../../data/histories');
    const files = readdirSync(samples).filter((f) => /\.(jsonl|edn|log)$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) expect(await streamed(join(samples, f)), f).toEqual(await wholeThenPaired(join(samples, f)));
  });

  it('pairs a large file read in many chunks (lines cut at chunk ends, a header, CRLF, multi-byte text) as the whole file', async () => {
    const big = counterHistoryJsonl({ operations: 30_000 });
    const path = write('big.jsonl', big.replace(/\n/g, (m, at: number) => (at % 7 === 0 ? '\r\n' : m)).replace('"f":"get"', '"f":"get","note":"é€😀"'));
    const out = (await streamed(path)) as { paired: { operations: unknown[] }; header: unknown };
    expect(out.paired.operations).toHaveLength(30_000);
    expect(out.header).toEqual({ initial: 0 });
    expect(out).toEqual(await wholeThenPaired(path));
  });

  it('fails with the same one-line error as before, a line that cannot be read named before a pairing error', async () => {
    const cases: Record<string, string> = {
      'syntax-after-pairing.jsonl': '{"process":0,"type":"ok","f":"read","value":1}\n{"process":0,"type":"invoke","f":"read"}\nnot json\n',
      'pairing.jsonl': '{"process":0,"type":"invoke","f":"read"}\n{"process":0,"type":"invoke","f":"read"}\n',
      'time-mix.jsonl': '{"process":0,"type":"invoke","f":"read","time":1}\n{"process":0,"type":"ok","f":"read","value":1}\n',
      'bad-field.jsonl': '{"process":-0.5,"type":"invoke","f":"read"}\n',
      'empty.jsonl': '\n\n',
      'header-only.jsonl': '{"initial":3}\n',
      'no-extension': '{"process":0,"type":"invoke","f":"read"}\n{"process":0,"type":"ok","f":"read","value":1}',
      'unknown.txt': 'hello\n',
    };
    for (const [name, text] of Object.entries(cases)) {
      const path = write(name, text);
      const before = await wholeThenPaired(path);
      expect(await streamed(path), name).toEqual(before);
    }
    expect(await streamed(join(dir, 'syntax-after-pairing.jsonl'))).toEqual({ error: expect.stringMatching(/line 3: not valid JSON/) as unknown });
    expect(await streamed(join(dir, 'nope.jsonl'))).toEqual({ error: expect.stringMatching(/nope\.jsonl: no such file/) as unknown });
  });

  it('reads a file whose first line is longer than the part read to tell the format', async () => {
    const long = `{"process":0,"type":"invoke","f":"write","value":"${'x'.repeat(300 * 1024)}"}\n{"process":0,"type":"ok","f":"write","value":null}\n`;
    const path = write('long-first-line', long);
    expect(await streamed(path)).toEqual(await wholeThenPaired(path));
  });
});

describe('readPairedHistoryFile: stop', () => {
  const op = '{"process":0,"type":"invoke","f":"increment","value":null}\n{"process":0,"type":"ok","f":"increment","value":null}\n';

  it('a JSON Lines file is stopped between chunks, with the operations read so far', async () => {
    // 30,000 operations, about 3 MB: several chunks.
    const path = write('stop.jsonl', `{"initial":0}\n${op.repeat(30_000)}`);
    let asked = 0;
    const stopped = await readPairedHistoryFile(path, 'auto', { stop: () => ++asked === 2 }).catch((e: unknown) => e);
    expect(stopped).toBeInstanceOf(HistoryReadStopped);
    const { operations, path: named } = stopped as HistoryReadStopped;
    expect(named).toBe(path);
    expect(operations).toBeGreaterThan(0);
    expect(operations).toBeLessThan(30_000);
    // Never stopped: the whole file, as before.
    expect((await readPairedHistoryFile(path, 'auto', { stop: () => false })).paired.operations).toHaveLength(30_000);
  });

  it('a Jepsen log and an EDN history are stopped as they are parsed, every 1,024 lines or forms', async () => {
    const log = write('stop.log', 'INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\t0\n'.repeat(2500));
    const edn = write('stop-forms.edn', '{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value 0}\n'.repeat(2500));
    for (const path of [log, edn]) {
      // Asked before the file is read, after 1,024 lines or forms, then after 2,048: stopped there.
      let asked = 0;
      const stopped = await readPairedHistoryFile(path, 'auto', { stop: () => ++asked === 3 }).catch((e: unknown) => e);
      expect(stopped, path).toBeInstanceOf(HistoryReadStopped);
      expect((stopped as HistoryReadStopped).path).toBe(path);
      expect((stopped as HistoryReadStopped).operations).toBe(1024);
    }
  });

  it('a Jepsen file is stopped between reading, parsing and pairing', async () => {
    const path = write('stop.edn', '{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value 0}\n');
    let asked = 0;
    const stopped = await readPairedHistoryFile(path, 'auto', { stop: () => ++asked === 2 }).catch((e: unknown) => e);
    expect(stopped).toBeInstanceOf(HistoryReadStopped);
    expect((stopped as HistoryReadStopped).operations).toBe(1);
  });
});
