import { mkdir, readdir, rm } from 'node:fs/promises';
import { ownerIsGone, ownerTag } from '../../core/cleanup.js';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import type { ProcessId } from '../../history/event.js';
import { readHistoryFile, writeHistoryFile } from '../../history/read.js';
import { mergeHistories, type HistoryRecorder } from '../../history/recorder.js';
import type { RecordingOptions } from '../../grpc/recorder.js';

/**
 * How the Counter service's calls read as a history for the `counter` model: `Increment` is `increment`
 * (no value), `GetValue` is `get`, and its ok value is the count.
 */
export function counterRecording(recorder: HistoryRecorder, process?: ProcessId): RecordingOptions {
  return {
    recorder,
    ...(process !== undefined ? { process } : {}),
    describe: (method) => ({ f: method.endsWith('/GetValue') ? 'get' : method.endsWith('/Increment') ? 'increment' : method, value: null }),
    result: (method, response) => (method.endsWith('/GetValue') ? ((response as { value?: number } | undefined)?.value ?? 0) : null),
  };
}

/** The file a variant's history goes to: `file` itself for one variant, `name.<variant>.ext` for several. */
export function historyFileFor(file: string, variant: string, several: boolean): string {
  if (!several) return file;
  const ext = extname(file);
  return `${file.slice(0, file.length - ext.length)}.${variant}${ext || '.jsonl'}`;
}

const RECORDING_PREFIX = 'racelab-record-';

/**
 * A demo killed with -9 cannot remove its recording folder; the folder's name carries its owner (src/core/cleanup.ts),
 * and the next recording removes those whose process on this host is gone.
 */
async function removeAbandonedRecordings(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(RECORDING_PREFIX) && ownerIsGone(name)) await rm(join(tmpdir(), name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Recording a demo run whose clients are separate processes: each `racelab client --record` writes its own
 * history into a temporary folder; `finish` merges them by time (process i = client i; the monotonic clock is
 * shared by every process on the machine) into one file for `racelab check --model counter`.
 */
export class DemoRecording {
  private constructor(
    private readonly dir: string,
    readonly file: string,
  ) {}

  static async start(file: string): Promise<DemoRecording> {
    await removeAbandonedRecordings();
    const dir = join(tmpdir(), `${RECORDING_PREFIX}${ownerTag()}`);
    await mkdir(dir, { mode: 0o700 });
    return new DemoRecording(dir, file);
  }

  /** Extra arguments for client process `i`. */
  clientArgs(i: number): string[] {
    return ['--record', join(this.dir, `client-${i}.jsonl`)];
  }

  async finish(clients: number): Promise<string> {
    const sources = [];
    // Every client read the counter before the start barrier, before anyone incremented: they agree, and
    // when they do not (someone else wrote meanwhile) the start is unknown, which the checker handles.
    const initials = new Set<unknown>();
    for (let i = 0; i < clients; i++) {
      const { events, header } = await readHistoryFile(join(this.dir, `client-${i}.jsonl`), 'jsonl');
      initials.add(header.initial);
      sources.push({ events, rename: () => i });
    }
    const [initial] = initials;
    await writeHistoryFile(this.file, mergeHistories(sources), initials.size === 1 && initial !== undefined ? { initial } : {});
    return this.file;
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
