// Types for the tests that import the generators in large-history.mjs.
export function counterHistoryJsonl(options: { operations: number; clients?: number; readEvery?: number; lostUpdate?: boolean }): string;
export function appendHeavyKvHistory(options: { operations: number; clients?: number; keys?: number; seed?: number }): Array<Record<string, unknown>>;
