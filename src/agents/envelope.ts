import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RacelabError, messageOf } from '../core/errors.js';

/**
 * A job on the wire: `{ body, sig, key }`. `body` is the JSON text that was signed (kept as text, so the agent
 * verifies the exact bytes the coordinator signed, not a re-serialization), `sig` its Ed25519 signature in base64,
 * `key` the signer's key fingerprint (so a refusal can say which key signed it). Publishing to an agent's subject
 * takes NATS credentials; making it act takes the coordinator's private key as well.
 */
export interface SignedMessage {
  readonly body: string;
  readonly sig?: string;
  readonly key?: string;
}

/** What the coordinator signs. `nonce` and `expiresAtMs` (wall clock) make a captured message useless later. */
export interface Envelope<P = unknown> {
  readonly v: 1;
  readonly type: string;
  readonly id: string;
  readonly nonce: string;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  readonly payload: P;
}

/** Why an agent refused a message; each is counted in its health report. */
export type RefusalReason =
  | 'malformed'
  | 'unsigned'
  | 'untrusted-key'
  | 'bad-signature'
  | 'expired'
  | 'replayed'
  | 'unknown-type'
  | 'bad-job'
  | 'target-not-allowed'
  | 'over-caps'
  | 'busy';

export const REFUSAL_REASONS: readonly RefusalReason[] = ['malformed', 'unsigned', 'untrusted-key', 'bad-signature', 'expired', 'replayed', 'unknown-type', 'bad-job', 'target-not-allowed', 'over-caps', 'busy'];

export class Refusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    detail: string,
  ) {
    super(detail);
  }
}

/** The longest an envelope may live: the agent remembers nonces until their expiry, so this bounds its memory. */
export const MAX_ENVELOPE_LIFETIME_MS = 5 * 60_000;
/** Clocks of different hosts disagree; a message issued this far in the agent's future is still accepted. */
export const CLOCK_TOLERANCE_MS = 30_000;

/** sha256 of the raw public key, 16 hex digits: enough to tell keys apart in a refusal. */
export function keyFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export interface KeyPairPem {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly fingerprint: string;
}

export function generateSigningKeys(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: keyFingerprint(publicKey),
  };
}

function readKeyFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new RacelabError('BAD_OPTION', `cannot read ${file} (${messageOf(e)}); \`racelab keygen\` writes a key pair`, { subject: what });
  }
}

function requireEd25519(key: KeyObject, file: string, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new RacelabError('BAD_OPTION', `${file} holds an ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519; \`racelab keygen\` writes one`, { subject: what });
  }
  return key;
}

/** An Ed25519 public key from a PEM file (`trustKey`). */
export function loadPublicKey(file: string, what = 'trustKey'): KeyObject {
  const text = readKeyFile(file, what);
  if (/PRIVATE KEY/.test(text)) {
    throw new RacelabError('BAD_OPTION', `${file} is a private key; give the agent the public one (the .pub file \`racelab keygen\` wrote)`, { subject: what });
  }
  try {
    return requireEd25519(createPublicKey(text), file, what);
  } catch (e) {
    if (e instanceof RacelabError) throw e;
    throw new RacelabError('BAD_OPTION', `${file} is not a PEM public key (${messageOf(e)}); \`racelab keygen\` writes one`, { subject: what });
  }
}

/** An Ed25519 private key from a PEM file (`signKey`). */
export function loadPrivateKey(file: string, what = 'signKey'): KeyObject {
  const text = readKeyFile(file, what);
  try {
    return requireEd25519(createPrivateKey(text), file, what);
  } catch (e) {
    if (e instanceof RacelabError) throw e;
    throw new RacelabError('BAD_OPTION', `${file} is not a PEM private key (${messageOf(e)}); \`racelab keygen\` writes one`, { subject: what });
  }
}

export interface SealOptions {
  readonly ttlMs?: number;
  readonly nowMs?: number;
  readonly id?: string;
}

/** Signs `payload` as a message of `type`, valid for `ttlMs` (default 30 s). */
export function sealEnvelope<P>(privateKey: KeyObject, type: string, payload: P, o: SealOptions = {}): SignedMessage {
  const now = o.nowMs ?? Date.now();
  const envelope: Envelope<P> = {
    v: 1,
    type,
    id: o.id ?? randomBytes(8).toString('hex'),
    nonce: randomBytes(16).toString('base64url'),
    issuedAtMs: now,
    expiresAtMs: now + Math.min(o.ttlMs ?? 30_000, MAX_ENVELOPE_LIFETIME_MS),
    payload,
  };
  const body = JSON.stringify(envelope);
  return { body, sig: sign(null, Buffer.from(body), privateKey).toString('base64'), key: keyFingerprint(privateKey) };
}

/**
 * Nonces seen, each kept until its envelope expires: a replay within the lifetime is caught here, one after it
 * by the expiry. Bounded by the message rate times MAX_ENVELOPE_LIFETIME_MS.
 */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  /** True the first time a nonce is offered (and records it), false for a replay. */
  admit(nonce: string, expiresAtMs: number, nowMs: number): boolean {
    for (const [n, exp] of this.seen) if (exp < nowMs - CLOCK_TOLERANCE_MS) this.seen.delete(n);
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, expiresAtMs);
    return true;
  }
  get size(): number {
    return this.seen.size;
  }
}

function isEnvelope(x: unknown): x is Envelope {
  const e = x as Partial<Envelope> | null;
  return (
    typeof e === 'object' && e !== null && e.v === 1 && typeof e.type === 'string' && typeof e.id === 'string' && typeof e.nonce === 'string' && e.nonce.length >= 16 &&
    Number.isFinite(e.issuedAtMs) && Number.isFinite(e.expiresAtMs) && 'payload' in e
  );
}

/**
 * Opens a message from the wire, or throws a Refusal saying why not. Order matters: the signature is checked
 * before anything in the body is believed, and the nonce is recorded only for a message that verified and has
 * not expired, so a forger cannot burn a nonce the real coordinator will use.
 */
export function openEnvelope(data: Uint8Array | string, trusted: KeyObject, nonces: NonceCache, nowMs: number = Date.now()): Envelope {
  let msg: Partial<SignedMessage>;
  try {
    msg = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8')) as Partial<SignedMessage>;
  } catch {
    throw new Refusal('malformed', 'the message is not JSON');
  }
  if (typeof msg !== 'object' || msg === null || typeof msg.body !== 'string') throw new Refusal('malformed', 'the message has no signed body');
  if (typeof msg.sig !== 'string' || msg.sig === '') throw new Refusal('unsigned', 'the message is not signed');
  const mine = keyFingerprint(trusted);
  if (msg.key !== mine) throw new Refusal('untrusted-key', `signed by key ${String(msg.key).slice(0, 16)}, not the trusted key ${mine}`);
  if (!verify(null, Buffer.from(msg.body), trusted, Buffer.from(msg.sig, 'base64'))) {
    throw new Refusal('bad-signature', `the signature does not verify with the trusted key ${mine}`);
  }
  let envelope: unknown;
  try {
    envelope = JSON.parse(msg.body);
  } catch {
    throw new Refusal('malformed', 'the signed body is not JSON');
  }
  if (!isEnvelope(envelope)) throw new Refusal('malformed', 'the signed body is not a racelab envelope (v, type, id, nonce, issuedAtMs, expiresAtMs, payload)');
  if (envelope.expiresAtMs - envelope.issuedAtMs > MAX_ENVELOPE_LIFETIME_MS) {
    throw new Refusal('expired', `the envelope would live ${envelope.expiresAtMs - envelope.issuedAtMs}ms, more than the ${MAX_ENVELOPE_LIFETIME_MS}ms an agent accepts`);
  }
  if (nowMs > envelope.expiresAtMs) throw new Refusal('expired', `the envelope expired ${nowMs - envelope.expiresAtMs}ms ago`);
  if (envelope.issuedAtMs > nowMs + CLOCK_TOLERANCE_MS) throw new Refusal('expired', `the envelope was issued ${envelope.issuedAtMs - nowMs}ms in this agent's future`);
  if (!nonces.admit(envelope.nonce, envelope.expiresAtMs, nowMs)) throw new Refusal('replayed', `nonce ${envelope.nonce.slice(0, 8)}… was already used (job ${envelope.id})`);
  return envelope;
}
