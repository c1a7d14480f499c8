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
  /** The options that change what a schedule means (absent: the defaults, as in every `rl1` token). */
  readonly options?: SchedulingOptions;
}

/**
 * The exploration options that change scheduling, so a schedule replays only under the same ones: whether tasks
 * ran with the ambient scheduler, how real I/O was treated, whether instrumented awaits were points, and whether
 * the code's timers were virtual. Each is recorded only when it differs from the default.
 */
export interface SchedulingOptions {
  readonly ambient?: boolean;
  readonly io?: 'report' | 'atomic';
  readonly instrumentation?: boolean;
  readonly virtualTime?: boolean;
}

const VERSION = 'rl2';
const VERSIONS = ['rl1', 'rl2'];
const STRATEGIES: readonly StrategyName[] = ['random', 'pct', 'pos', 'portfolio', 'dfs', 'replay'];

/**
 * `rl2/counter/clients=2,increments=1,variant=vulnerable/dfs/-/7/1/0.1.1.0/2k9x1q`: version, workload, parameters,
 * strategy, scheduling options (`ambient,io=atomic`, or `-`), seed, run, schedule (step keys joined by `.`),
 * checksum. Plain ASCII with no spaces or shell metacharacters, so it pastes into a terminal or a test unquoted;
 * the checksum catches a truncated copy. With default options the token is `rl1`, the same without that field.
 */
export function formatReplayToken(token: ReplayToken): string {
  const params = Object.keys(token.params)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(token.params[k] as string)}`)
    .join(',');
  const options = formatOptions(token.options ?? {});
  // Default options keep the `rl1` form (no options field), so tokens of ported code read as they always did.
  const body = [
    options === '-' ? 'rl1' : VERSION,
    encodeURIComponent(token.workload),
    params || '-',
    token.strategy,
    ...(options === '-' ? [] : [options]),
    String(token.seed >>> 0),
    String(token.run),
    token.schedule.length > 0 ? token.schedule.join('.') : '-',
  ].join('/');
  return `${body}/${checksum(body)}`;
}

export function parseReplayToken(text: string): ReplayToken {
  const token = String(text).trim();
  const bad = (why: string): RacelabError =>
    new RacelabError('BAD_TOKEN', `replay token: ${why}; paste the whole token racelab printed (it starts with rl1/ or rl2/)`);
  const parts = token.split('/');
  if (!VERSIONS.includes(parts[0] ?? '')) throw bad(`"${token.slice(0, 24)}${token.length > 24 ? '…' : ''}" is not a racelab replay token`);
  const fields = parts[0] === 'rl1' ? 8 : 9;
  if (parts.length !== fields) throw bad(`expected ${fields} fields separated by "/", found ${parts.length}`);
  if (checksum(parts.slice(0, fields - 1).join('/')) !== parts[fields - 1]) throw bad('the checksum does not match (the token was truncated or changed)');
  if (parts[0] === 'rl1') parts.splice(4, 0, '-');
  const [, workload, params, strategy, optionText, seed, run, schedule] = parts as [string, string, string, string, string, string, string, string];
  const options = parseOptions(optionText);
  if (!options) throw bad(`bad scheduling options "${optionText}"`);
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
    return {
      workload: decodeURIComponent(workload),
      params: paramMap,
      strategy: strategy as StrategyName,
      seed: Number(seed),
      run: Number(run),
      schedule: keys,
      ...(Object.keys(options).length > 0 ? { options } : {}),
    };
  } catch (e) {
    if (e instanceof RacelabError) throw e;
    throw bad('a field is not valid percent-encoding');
  }
}

function formatOptions(o: SchedulingOptions): string {
  const parts: string[] = [];
  if (o.ambient === true) parts.push('ambient');
  if (o.io === 'atomic') parts.push('io=atomic');
  if (o.instrumentation === false) parts.push('instrumentation=off');
  if (o.virtualTime !== undefined && o.virtualTime !== (o.ambient === true)) parts.push(`time=${o.virtualTime ? 'virtual' : 'real'}`);
  return parts.length > 0 ? parts.join(',') : '-';
}

function parseOptions(text: string): SchedulingOptions | undefined {
  const o: { ambient?: boolean; io?: 'atomic'; instrumentation?: boolean; virtualTime?: boolean } = {};
  if (text === '-') return o;
  for (const part of text.split(',')) {
    if (part === 'ambient') o.ambient = true;
    else if (part === 'io=atomic') o.io = 'atomic';
    else if (part === 'instrumentation=off') o.instrumentation = false;
    else if (part === 'time=virtual' || part === 'time=real') o.virtualTime = part === 'time=virtual';
    else return undefined;
  }
  return o;
}

/**
 * The options a replay runs with: the token's, unless the caller set one to something else, which is refused
 * naming the option (the same schedule under other options is another program).
 */
export function replayOptions(token: ReplayToken, given: SchedulingOptions): Required<Pick<SchedulingOptions, 'ambient' | 'instrumentation'>> & SchedulingOptions {
  const made = token.options ?? {};
  const wanted = {
    ambient: made.ambient === true,
    io: made.io ?? 'report',
    instrumentation: made.instrumentation !== false,
    virtualTime: made.virtualTime ?? made.ambient === true,
  };
  const asked = {
    ambient: given.ambient,
    io: given.io,
    instrumentation: given.instrumentation,
    virtualTime: given.virtualTime ?? (given.ambient === undefined ? undefined : given.ambient),
  };
  for (const key of ['ambient', 'io', 'instrumentation', 'virtualTime'] as const) {
    if (asked[key] !== undefined && asked[key] !== wanted[key]) {
      throw new RacelabError(
        'BAD_TOKEN',
        `replay token: it was made with ${key}: ${JSON.stringify(wanted[key])}, but this replay has ${key}: ${JSON.stringify(asked[key])}; replay with the options the token was made with (or leave them out: the token's are used)`,
      );
    }
  }
  return { ambient: wanted.ambient, io: wanted.io, instrumentation: wanted.instrumentation, virtualTime: wanted.virtualTime };
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
