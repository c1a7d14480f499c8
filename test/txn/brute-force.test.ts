import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTxnHistory, toTxnHistory, type TxnWorkload as Workload } from '../../src/index.js';
import { bruteSerializable, historyArbitrary } from './brute.js';

/**
 * The checker against the brute-force reference on 500 small random histories per property. The checker is
 * sound (an anomaly it reports means no serial order exists) for both workloads, and for list-append, where
 * every read shows a whole order, it is also complete on these histories: no serial order ⇒ an anomaly.
 */
describe.each(['list-append', 'rw-register'] as Workload[])('%s against brute force', (workload) => {
  for (const realtime of [false, true]) {
    const model = realtime ? 'strict-serializable' : 'serializable';
    it(`${model}: ruled out exactly when no ${realtime ? 'real-time respecting ' : ''}serial order exists${workload === 'rw-register' ? ' (ruled out ⇒ none exists)' : ''}`, () => {
      let ruledOut = 0;
      let consistent = 0;
      fc.assert(
        fc.property(historyArbitrary(workload), (events) => {
          const h = toTxnHistory(events, workload);
          const report = checkTxnHistory(h, { realtime, process: false });
          const serializable = bruteSerializable(h, realtime);
          const verdict = report.models[model];
          if (verdict === 'ruled-out') ruledOut++;
          else consistent++;
          if (verdict === 'ruled-out') expect(serializable, JSON.stringify(report.anomalies.map((a) => a.explanation))).toBe(false);
          if (workload === 'list-append' && !serializable) expect(verdict).toBe('ruled-out');
        }),
        { numRuns: 500, seed: 15 },
      );
      // Both outcomes occur, or the property says nothing.
      expect(ruledOut).toBeGreaterThan(25);
      expect(consistent).toBeGreaterThan(50);
    });
  }
});
