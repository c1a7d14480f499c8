import type { SyncMode } from '../burst/sync-policy.js';
import type { Random } from '../core/random.js';
import type { HistoryLog } from './record.js';
import type { AttackOptions } from './report.js';
import type { Resolved } from './resolve.js';

/** What a flood (flood-round.ts) and a series of bursts (burst-rounds.ts) get from the attack around them (run.ts). */
export interface AttackRun {
  readonly options: AttackOptions;
  readonly resolved: Resolved;
  readonly sync: SyncMode;
  /** Seeded by the attack's seed: templated values (`{{uuid}}`) and burst plans. */
  readonly random: Random;
  /** `{{run}}`: drawn once per run, not from the seed (see attack/template.ts). */
  readonly runId: string;
  /** The report's warnings, added to as the run goes. */
  readonly warnings: string[];
  readonly progress: (line: string) => void;
  /** Present when the run is recorded (`record`). */
  readonly history: HistoryLog | undefined;
  /**
   * On the check channel, before or after round `round`'s burst (its data templated for that round; 0 for a
   * flood): the setup call, or the state read; undefined without that call.
   */
  read(which: 'setup' | 'before' | 'after', round: number): Promise<unknown>;
}
