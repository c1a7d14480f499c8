import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkTxnHistory, readTxnHistoryFile, type ConsistencyModel, type TxnWorkload } from '../../src/index.js';

/** Elle's published example histories (data/elle, sources in its README) and the anomalies Elle expects. */
interface Expected {
  file: string;
  workload: TxnWorkload;
  realtime: boolean;
  anomalies: string[];
  ruledOut?: ConsistencyModel[];
  notRuledOut?: ConsistencyModel[];
}

const dir = new URL('../../data/elle/', import.meta.url);
const cases = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as Expected[];

describe('Elle example histories', () => {
  it.each(cases.map((c) => [c.file, c] as const))('%s', async (_, c) => {
    const history = await readTxnHistoryFile(new URL(c.file, dir).pathname, c.workload);
    const report = checkTxnHistory(history, { realtime: c.realtime, process: true });
    expect(Object.keys(report.anomalyCounts).sort()).toEqual([...c.anomalies].sort());
    expect(report.verdict).toBe(c.anomalies.length > 0 ? 'illegal' : 'ok');
    for (const m of c.ruledOut ?? []) expect(report.models[m], m).toBe('ruled-out');
    for (const m of c.notRuledOut ?? []) expect(report.models[m], m).toBe('not-ruled-out');
    // Every cycle is explained step by step, naming transactions by the line they completed on.
    for (const a of report.anomalies) {
      if (!a.cycle) continue;
      expect(a.explanation.length).toBe(a.cycle.length + 3 + (a.type.includes('-') && /realtime|process/.test(a.type) ? 1 : 0));
      for (const step of a.cycle) expect(step.why).toMatch(/T@\d+/);
    }
  });
});
