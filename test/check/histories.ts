import { ednToJson, readEdn, type HistoryEvent } from '../../src/history/index.js';

/**
 * A history written compactly, one event per line: `<process> <type> <f> [value as EDN]`, e.g.
 * `0 invoke write 1`, `2 ok read 1`, `1 info cas`. Lines are events in real-time order (no times).
 */
export function hist(text: string): HistoryEvent[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s+(invoke|ok|fail|info)\s+(\S+)\s*(.*)$/.exec(l);
      if (!m) throw new Error(`bad test history line: ${l}`);
      const [, p, type, f, v] = m as unknown as [string, string, HistoryEvent['type'], string, string];
      return { process: /^\d+$/.test(p) ? Number(p) : p, type, f, value: v ? ednToJson(readEdn(v)) : null };
    });
}
