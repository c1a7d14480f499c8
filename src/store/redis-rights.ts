import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RacelabError, messageOf } from '../core/errors.js';

const PROBE_SCRIPT = 'return 1';
const PROBE_SHA = createHash('sha1').update(PROBE_SCRIPT).digest('hex');

/**
 * Every command the Redis store sends, directly or from its Lua scripts (a script's `redis.call` is checked
 * against the user's ACL like any command), each with a harmless try on a probe key of its own namespace. `ACL
 * DRYRUN` would answer without trying, but only for a user allowed to run ACL, which a restricted user is not.
 */
const PROBES: ReadonlyArray<readonly [command: string, run: (r: Redis, key: string) => Promise<unknown>]> = [
  // PX: the probe key expires on its own even if racelab dies before the DEL below.
  ['set', (r, k) => r.set(k, '0', 'PX', 10_000)],
  ['get', (r, k) => r.get(k)],
  ['mget', (r, k) => r.mget(k, k)],
  ['incr', (r, k) => r.incr(k)],
  ['incrby', (r, k) => r.incrby(k, 1)],
  ['pexpire', (r, k) => r.pexpire(k, 10_000)],
  ['multi', (r) => r.call('multi')],
  [
    'exec',
    async (r) => {
      // Left in MULTI, the connection would queue every later command instead of running it.
      await r.call('exec').catch(async (e: unknown) => {
        await r.call('discard').catch(() => undefined);
        throw e;
      });
    },
  ],
  ['watch', (r, k) => r.watch(k)],
  ['unwatch', (r) => r.unwatch()],
  ['eval', (r) => r.eval(PROBE_SCRIPT, 0)],
  ['evalsha', (r) => r.evalsha(PROBE_SHA, 0)],
  ['scan', (r, k) => r.scan('0', 'MATCH', k, 'COUNT', 1)],
  ['del', (r, k) => r.del(k)],
];

/** Where the probe ran, for the message. */
export interface RedisRightsContext {
  readonly where: string;
  readonly user: string;
  /** The namespace's key prefix, `racelab:<namespace>:`. */
  readonly prefix: string;
}

/**
 * Whether a Redis error is the user's ACL refusing something: a NOPERM reply, a script's `redis.call` refused
 * (Redis words those "The user executing the script can't …"), or a MULTI aborted by a refused command.
 */
export function isRedisRefusal(e: unknown): boolean {
  const previous = (e as { previousErrors?: unknown } | null)?.previousErrors;
  const texts = [messageOf(e), ...(Array.isArray(previous) ? previous.map(messageOf) : [])];
  return texts.some((t) => /NOPERM|user executing the script can't/i.test(t));
}

/**
 * A refusal in the middle of a run (a right removed by `ACL SETUSER … -cmd` while racelab ran): the probes are
 * tried again, so the message names every command now missing and the rule that gives it back, as at open.
 */
export async function explainRedisRefusal(redis: Redis, ctx: RedisRightsContext, e: unknown): Promise<RacelabError> {
  try {
    await checkRedisRights(redis, ctx, ' (refused in the middle of the run)');
  } catch (refused) {
    if (refused instanceof RacelabError) return refused;
  }
  // Given back already, or refused on something no probe tries: the reply as Redis gave it.
  return new RacelabError(
    'BAD_STORE',
    `Redis user "${ctx.user}" at ${ctx.where} was refused a command in the middle of the run (${messageOf(e).split('\n')[0]}); give the user back the rights it had at the start (ACL SETUSER ${ctx.user} …)`,
    { subject: 'store' },
  );
}

/**
 * Tries each command the store uses, once, at open: a Redis user with ACL rules (`ACL SETUSER`) that lacks one gets
 * the rule to add now, not a NOPERM from inside a Lua script in the middle of a run. Commands and key patterns are
 * both checked; every missing one is named in one `ACL SETUSER` line.
 */
export async function checkRedisRights(redis: Redis, ctx: RedisRightsContext, when = ''): Promise<void> {
  const key = `${ctx.prefix}probe:${randomBytes(6).toString('hex')}`;
  const commands: string[] = [];
  let keysDenied = false;
  for (const [command, run] of PROBES) {
    try {
      await run(redis, key);
    } catch (e) {
      const msg = messageOf(e);
      if (!/NOPERM/.test(msg)) continue; // e.g. EXEC without MULTI, NOSCRIPT: the command itself was allowed
      if (/access one of the keys|access a key/i.test(msg)) keysDenied = true;
      else commands.push(command);
    }
  }
  if (!commands.length && !keysDenied) return;
  const missing = [...commands.map((c) => c.toUpperCase()), ...(keysDenied ? [`the keys ${ctx.prefix}*`] : [])];
  const rules = [...commands.map((c) => `+${c}`), ...(keysDenied ? ['~racelab:*'] : [])];
  throw new RacelabError(
    'BAD_STORE',
    `Redis user "${ctx.user}" at ${ctx.where} may not use ${missing.join(', ')}${when}; as an admin run: ACL SETUSER ${ctx.user} ${rules.join(' ')}`,
    { subject: 'store' },
  );
}
