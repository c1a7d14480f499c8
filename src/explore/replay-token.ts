import { RacelabError } from '../core/errors.js';
import type { StrategyName } from './strategy.js';
import { KEY_PATTERN } from './transition.js';

/**
 * Everything needed to run one schedule again: which workload (name and parameters), the workload's seed, and
 * the schedule itself, one transition key per step. The strategy and run number say where it came from.
 */
export interface ReplayToken {
  readonly workload: string;
  readonly params: Readonly<Record<string, string>>;
  readonly strategy: StrategyName;
  readonly seed: number;
  readonly run: number;
  readonly schedule: readonly string[];
}

const VERSION = 'rl1';
const STRATEGIES: readonly StrategyName[] = ['random', 'pct', 'dfs', 'replay'];

/**
 * `rl1/counter/clients=2,increments=1,variant=vulnerable/dfs/7/1/0.1.1.0/2k9x1q`: version, workload, parameters,
 * strategy, seed, run, schedule (step keys joined by `.`), checksum. Plain ASCII with no spaces or shell
 * metacharacters, so it pastes into a terminal or a test unquoted; the checksum catches a truncated copy.
 */
export function formatReplayToken(token: ReplayToken): string {
  const params = Object.keys(token.params)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(token.params[k] as string)}`)
    .join(',');
  const body = [
    VERSION,
    encodeURIComponent(token.workload),
    params || '-',
    token.strategy,
    String(token.seed >>> 0),
    String(token.run),
    token.schedule.length > 0 ? token.schedule.join('.') : '-',
  ].join('/');
  return `${body}/${checksum(body)}`;
}

export function parseReplayToken(text: string): ReplayToken {
  const token = String(text).trim();
  const bad = (why: string): RacelabError =>
    new RacelabError('BAD_TOKEN', `replay token: ${why}; paste the whole token racelab printed (it starts with ${VERSION}/)`);
  const parts = token.split('/');
  if (parts[0] !== VERSION) throw bad(`"${token.slice(0, 24)}${token.length > 24 ? '…' : ''}" is not a racelab replay token`);
  if (parts.length !== 8) throw bad(`expected 8 fields separated by "/", found ${parts.length}`);
  const [, workload, params, strategy, seed, run, schedule, sum] = parts as [string, string, string, string, string, string, string, string];
  if (checksum(parts.slice(0, 7).join('/')) !== sum) throw bad('the checksum does not match (the token was truncated or changed)');
  if (!STRATEGIES.includes(strategy as StrategyName)) throw bad(`unknown strategy "${strategy}"`);
  if (!/^\d+$/.test(seed) || Number(seed) > 0xffff_ffff) throw bad(`bad seed "${seed}"`);
  if (!/^\d+$/.test(run)) throw bad(`bad run number "${run}"`);
  const keys = schedule === '-' ? [] : schedule.split('.');
  if (keys.some((k) => !KEY_PATTERN.test(k))) throw bad('the schedule has a malformed step');
  const paramMap: Record<string, string> = {};
  try {
    if (params !== '-') {
      for (const pair of params.split(',')) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw bad(`bad parameter "${pair}"`);
        paramMap[decodeURIComponent(pair.slice(0, eq))] = decodeURIComponent(pair.slice(eq + 1));
      }
    }
    return { workload: decodeURIComponent(workload), params: paramMap, strategy: strategy as StrategyName, seed: Number(seed), run: Number(run), schedule: keys };
  } catch (e) {
    if (e instanceof RacelabError) throw e;
    throw bad('a field is not valid percent-encoding');
  }
}

/** FNV-1a, 32 bits, in base 36: enough to catch a truncated or mistyped token. */
function checksum(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}
