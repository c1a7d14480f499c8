import { RacelabError } from './errors.js';

const DURATION = /^(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)?$/;
const SCALE_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses `500ms`, `2s`, `1.5m`, or a bare number of milliseconds. `what` names the option in the error, so the
 * user sees `--delay: "5 parsecs" is not a duration; write e.g. 500ms, 2s or 1m`.
 */
export function parseDuration(text: string, what: string, limits: { maxMs?: number } = {}): number {
  const m = DURATION.exec(String(text).trim());
  if (!m) {
    throw new RacelabError('BAD_DURATION', `${what}: "${text}" is not a duration; write e.g. 500ms, 2s or 1m`);
  }
  const ms = Number(m[1]) * (SCALE_MS[m[2] ?? 'ms'] ?? 1);
  if (limits.maxMs !== undefined && ms > limits.maxMs) {
    throw new RacelabError('BAD_DURATION', `${what}: ${text} is too long; the most allowed is ${formatMs(limits.maxMs)}`);
  }
  return ms;
}

/** Parses a whole number within [min, max]; the error names the option and the allowed range. */
export function parseCount(text: string | number, what: string, min: number, max: number): number {
  const s = String(text).trim();
  const n = /^-?\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new RacelabError('BAD_COUNT', `${what}: "${s}" must be a whole number from ${min} to ${max}`);
  }
  return n;
}

export function parsePort(text: string | number, what = 'port'): number {
  const s = String(text).trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new RacelabError('BAD_PORT', `"${s}" is not a TCP port; use a number from 1 to 65535 (0 picks a free one)`, { subject: what });
  }
  return n;
}

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${+(ms / 1000).toFixed(2)}s`;
  if (ms >= 1) return `${+ms.toFixed(1)}ms`;
  return `${Math.round(ms * 1000)}µs`;
}

/** `25%`: part of whole, rounded; `0%` when whole is 0. */
export const pct = (part: number, whole: number): string => (whole > 0 ? `${Math.round((100 * part) / whole)}%` : '0%');

/**
 * `1 call`, `2 calls`, `0 calls`: a count and its noun, singular only for exactly 1. `many` is the plural when it
 * is not the noun plus `s` (`1 process`, `2 processes`); `show` writes the number (`1,024` with toLocaleString).
 * Every count racelab prints in text goes through here.
 */
export const plural = (n: number, word: string, many = `${word}s`, show: (n: number) => string = String): string => `${show(n)} ${n === 1 ? word : many}`;

/** Report fields that hold measurements (times, rates, spreads, statistics), by racelab's camelCase names. */
const MEASUREMENT_KEY = /(?:Ms|Micros|Us|Seconds|PerSecond|Rate|Ratio|Spread|Offset|Mean|Stddev|P50|P90|P95|P99|P999)$|^(?:ms|micros|mean|stddev|min|max|median|p50|p90|p95|p99|p999|rate|ratio)$/;

/**
 * A measurement as a report prints it: no float noise (`106.69872699999999`). Microseconds keep one decimal;
 * anything else three decimals (a millisecond to the microsecond) from 1 up, three significant digits below 1
 * (a small ratio keeps its digits). Whole numbers are returned as they are.
 */
export function roundMeasurement(value: number, unit: 'micros' | 'other' = 'other'): number {
  if (!Number.isFinite(value) || Number.isInteger(value)) return value;
  if (unit === 'micros') return Math.round(value * 10) / 10;
  if (Math.abs(value) >= 1) return Math.round(value * 1000) / 1000;
  return Number(value.toPrecision(3));
}

/**
 * A `JSON.stringify` replacer that rounds measurement fields (by name, and the numbers of an array under such a
 * name, e.g. `latenciesMs`), leaving every other number, such as a value a service returned, as it is.
 */
export function roundMeasurements(key: string, value: unknown): unknown {
  if (!MEASUREMENT_KEY.test(key)) return value;
  const unit = /Micros$|Us$|^micros$/.test(key) ? 'micros' : 'other';
  if (typeof value === 'number') return roundMeasurement(value, unit);
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value.map((v: number) => roundMeasurement(v, unit));
  return value;
}
