import { roundMeasurements } from '../core/units.js';
import { stopProgress } from './progress.js';

/**
 * Where command output goes: stdout for results, stderr for messages, so `--json` stays parseable. Each clears
 * the live progress line first (src/cli/progress.ts): a result or a message never lands on a half-drawn line.
 */
export function printResult(text: string): void {
  stopProgress();
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A message line on stderr (`racelab: SIGINT: stopping`); a run's live progress is progress.ts's. */
export function printProgress(text: string): void {
  stopProgress();
  process.stderr.write(`${text}\n`);
}

/**
 * The version of every JSON report's shape, its first field: a CI job parsing reports can tell a report it
 * knows from one it does not. Raised when a field is removed or changes meaning.
 */
export const JSON_SCHEMA_VERSION = 1;

export function printJson(value: unknown): void {
  stopProgress();
  const versioned = typeof value === 'object' && value !== null && !Array.isArray(value) ? { schemaVersion: JSON_SCHEMA_VERSION, ...value } : value;
  process.stdout.write(`${JSON.stringify(versioned, roundMeasurements, 2)}\n`);
}
