import { RacelabError } from '../core/errors.js';

/**
 * A namespace no other run on this machine uses: every stream, consumer, queue and exchange a run creates carries
 * it, so runs side by side never touch each other's, and a leak check can list exactly what one run made.
 */
export function brokerNamespace(prefix = 'racelab'): string {
  return `${prefix}-${process.pid.toString(36)}${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
}

/** A URL safe to print: the password masked. */
export function maskBrokerUrl(url: string): string {
  const masked = url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
  // nats://TOKEN@host: the user part alone is a token
  return /^nats:/i.test(masked) ? masked.replace(/^(nats:\/\/)[^:/@]+@/i, '$1***@') : masked;
}

/** Per-key names and subjects carry the key: keep keys to what every broker accepts in a name. */
export function checkKey(key: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(key)) throw new RacelabError('BAD_OPTION', `message key "${key}": use 1 to 64 letters, digits, _ or -`);
  return key;
}

/** Waits `ms` real milliseconds (the real adapters' pauses and polls). */
export function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
