import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAttack } from '../../src/attack/index.js';
import { check } from '../../src/check/checker.js';
import { parseHistoryJsonl } from '../../src/history/jsonl.js';
import { startScenarioServer } from '../../src/scenarios/impacts/server.js';

/**
 * Serves a scenario's variant, records one `attack --sync last-frame --record` burst of `count` calls, and returns
 * what `racelab check --model <scenario's model>` says of that history; the server and the file are removed.
 */
export async function recordedVerdict(scenario: string, variant: string, model: string, count: number): Promise<string> {
  const server = await startScenarioServer({ scenario, variant, delayMs: 60 });
  const file = join(tmpdir(), `racelab-${scenario}-${process.pid}-${variant}.jsonl`);
  try {
    await runAttack({ target: server.target, scenario, sync: 'last-frame', count, rounds: 1, record: file });
    return check(parseHistoryJsonl(await readFile(file, 'utf8')), model, { budgetMs: 10_000 }).verdict;
  } finally {
    await rm(file, { force: true });
    await server.close();
  }
}
