import { roundMeasurements } from '../core/units.js';

/** Where command output goes: stdout for results, stderr for progress, so `--json` stays parseable. */
export function printResult(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printProgress(text: string): void {
  process.stderr.write(`${text}\n`);
}

/**
 * The version of every JSON report's shape, its first field: a CI job parsing reports can tell a report it
 * knows from one it does not. Raised when a field is removed or changes meaning.
 */
export const JSON_SCHEMA_VERSION = 1;

export function printJson(value: unknown): void {
  const versioned = typeof value === 'object' && value !== null && !Array.isArray(value) ? { schemaVersion: JSON_SCHEMA_VERSION, ...value } : value;
  process.stdout.write(`${JSON.stringify(versioned, roundMeasurements, 2)}\n`);
}
