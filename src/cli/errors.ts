import type { ErrorCode, RacelabError } from '../core/errors.js';

/** Exit status for bad input: the user can fix it by changing the command line, the input file or the environment. */
export const EXIT_BAD_INPUT = 2;
/** Exit status for an internal error (a bug in racelab), distinct from 1 (a race found) and 2 (bad input). */
export const EXIT_INTERNAL = 70;
/**
 * Exit status when the target fails a call (`client`, `call`): the command line was fine and the run could not
 * finish as asked, which a script must tell apart from bad input (2) and from a verdict (1, 3).
 */
export const EXIT_CALL_FAILED = 4;

/**
 * Exit status by error code; every code not listed is bad input. The actor runtime used against its rules
 * inside a racelab command is racelab's bug, not the user's.
 */
const EXIT_BY_CODE: Partial<Record<ErrorCode, number>> = {
  ACTOR_MISUSE: EXIT_INTERNAL,
  CALL_FAILED: EXIT_CALL_FAILED,
};

/** The flag a user typed for the parameter a library error is about. */
const FLAG_BY_SUBJECT: Readonly<Record<string, string>> = {
  port: '--port',
  host: '--host',
  target: '--target',
  read: '--read',
  store: '--store',
  count: '--count',
  sync: '--sync',
  connections: '--connections',
  rate: '--rate',
  duration: '--duration',
  invariant: '--invariant',
  broker: '--broker',
  allowTargets: '--allow-targets',
  trustKey: '--trust-key',
  signKey: '--sign-key',
  name: '--name',
  subjectPrefix: '--subject-prefix',
  nats: '--nats',
  agents: '--agents',
  agentCount: '--agent-count',
  silentMs: '--agent-silence',
  natsCreds: '--nats-creds',
  natsNkey: '--nats-nkey',
  rounds: '--rounds',
  pause: '--pause',
  settle: '--settle',
  mss: '--mss',
  concurrency: '--concurrency',
  deadline: '--deadline',
  record: '--record',
  tls: '--tls',
  ca: '--ca',
  cert: '--cert',
  key: '--key',
  serverName: '--server-name',
  metadata: '--metadata',
  proto: '--proto',
  call: '--call',
  data: '--data',
  scenario: '--scenario',
  variant: '--variant',
  pattern: '--pattern',
  clients: '--clients',
  increments: '--increments',
  delayMs: '--delay',
  linearizability: '--linearizability',
  work: '--work',
  senders: '--senders',
  messages: '--messages',
  keys: '--keys',
  consumers: '--consumers',
  crashes: '--crashes',
  ackTimeouts: '--ack-timeouts',
  listen: '--listen',
  replicas: '--replicas',
  variants: '--variants',
  targets: '--targets',
  workers: '--workers',
  restarts: '--restarts',
  pauses: '--pauses',
  flood: '--flood',
  killProcesses: '--kill-processes',
  strategy: '--strategy',
  shardPool: '--agents',
  model: '--model',
  format: '--format',
  setup: '--setup-call',
  'setup.data': '--setup-data',
  before: '--before',
  'before.data': '--before-data',
  after: '--after',
  'after.data': '--after-data',
};

/**
 * A library message names another parameter in backticks (`tls`, `delayMs`); the CLI shows the flag instead.
 * Backticked words that are not parameters (`racelab serve`) are left as they are. The CLI also passes a
 * report's warnings through it before printing them.
 */
export function flagWords(text: string): string {
  return text.replace(/`([A-Za-z]+)`/g, (m: string, name: string) => FLAG_BY_SUBJECT[name] ?? m);
}

/** What the CLI adds to a library error: where the user can go next, in the CLI's words. */
const CLI_HINT: Partial<Record<ErrorCode, (e: RacelabError) => string | undefined>> = {
  UNREACHABLE: (e) => (e.subject === 'target' ? '`racelab serve` starts one' : undefined),
};

export function exitStatusFor(e: RacelabError): number {
  return EXIT_BY_CODE[e.code] ?? EXIT_BAD_INPUT;
}

/**
 * The one line the CLI prints for a library error: its subject as the flag (a subject that is a phrase, such as
 * "`call` Counter/Increment", has its backticked parameter shown as the flag), and the CLI's hint.
 */
export function cliMessage(e: RacelabError): string {
  const subject = e.subject !== undefined ? (FLAG_BY_SUBJECT[e.subject] ?? flagWords(e.subject)) : undefined;
  const hint = CLI_HINT[e.code]?.(e);
  const detail = flagWords(e.detail);
  return `${subject !== undefined ? `${subject}: ${detail}` : detail}${hint ? ` (${hint})` : ''}`;
}

/**
 * The `error.code` of a command line commander refused before any command ran (`--json` prints it as JSON like
 * racelab's own errors). These are the CLI's codes, not the library's: no library call can make them.
 */
const USAGE_CODE_BY_COMMANDER: Readonly<Record<string, string>> = {
  'commander.unknownOption': 'UNKNOWN_OPTION',
  'commander.unknownCommand': 'UNKNOWN_COMMAND',
  'commander.missingArgument': 'MISSING_ARGUMENT',
  'commander.excessArguments': 'EXCESS_ARGUMENTS',
  'commander.missingMandatoryOptionValue': 'MISSING_OPTION',
  'commander.optionMissingArgument': 'MISSING_OPTION_VALUE',
  // racelab declares no argument parsers: commander refuses a value only for not being one of an option's choices.
  'commander.invalidArgument': 'BAD_CHOICE',
  'commander.conflictingOption': 'CONFLICTING_OPTIONS',
};

/** The JSON error code for commander's error code; BAD_USAGE for any other refusal (help shown for no command). */
export function usageCode(commanderCode: string): string {
  return USAGE_CODE_BY_COMMANDER[commanderCode] ?? 'BAD_USAGE';
}

/** Commander's error message as one line like racelab's own: its suggestion joins the same line. */
export function commanderLine(message: string): string {
  return message.replace(/^error: /, '').replace(/\s*\n\(Did you mean (.+)\?\)\s*$/, '; did you mean $1?').trim();
}
