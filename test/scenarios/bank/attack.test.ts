import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runAttack } from '../../../src/attack/index.js';
import { bankVariants } from '../../../src/scenarios/bank/variants.js';
import { startScenarioServer, type ScenarioServer } from '../../../src/scenarios/impacts/server.js';
import { check } from '../../../src/check/checker.js';
import { parseHistoryJsonl } from '../../../src/history/jsonl.js';

// A 60 ms window between the check and the write: every call of a last-frame burst starts inside it, on a
// loaded machine too, so the vulnerable variant's double spend is certain and the fixes must be exact.
const DELAY_MS = 60;
const memoryVariants = bankVariants.filter((v) => !v.requires);

describe('racelab attack --scenario bank --sync last-frame against racelab serve --scenario bank', () => {
  let server: ScenarioServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  for (const v of memoryVariants) {
    it(`${v.name}: ${v.name === 'vulnerable' ? 'race (money created)' : 'no race'}`, async () => {
      server = await startScenarioServer({ scenario: 'bank', variant: v.name, delayMs: DELAY_MS });
      const report = await runAttack({ target: server.target, scenario: 'bank', sync: 'last-frame', count: 4, rounds: 2, pauseMs: 0 });
      expect(report.verdict, report.warnings.join('\n')).toBe(v.name === 'vulnerable' ? 'race' : 'no-race');
      // Every call was accepted: the opening balances cover the whole attack, so a refusal cannot hide a race.
      expect(report.totals.ok).toBe(16);
      const audit = await server.service.handlers.Audit!({} as never, undefined as never) as { total: number; minimum: number };
      if (v.name === 'vulnerable') expect(audit.total).toBeGreaterThan(200_000 - 8);
      else expect(audit).toMatchObject({ total: 200_000 - 8 });
    }, 60_000);
  }

  it('records a history that racelab check --model bank finds not linearizable for vulnerable, linearizable for txn', async () => {
    for (const variant of ['vulnerable', 'txn']) {
      server = await startScenarioServer({ scenario: 'bank', variant, delayMs: DELAY_MS });
      const file = join(tmpdir(), `racelab-bank-${process.pid}-${variant}.jsonl`);
      try {
        await runAttack({ target: server.target, scenario: 'bank', sync: 'last-frame', count: 3, rounds: 1, record: file });
        const history = parseHistoryJsonl(await readFile(file, 'utf8'));
        expect(check(history, 'bank', { budgetMs: 10_000 }).verdict).toBe(variant === 'vulnerable' ? 'illegal' : 'ok');
      } finally {
        await rm(file, { force: true });
        await server.close();
        server = undefined;
      }
    }
  }, 60_000);
});
