import { expect, it } from 'vitest';
import { counterVariants } from '../../src/scenarios/counter/registry.js';
import { impactScenarios } from '../../src/scenarios/impacts/registry.js';
import { servedVariants } from '../../src/scenarios/impacts/scenario.js';
import { runCli } from '../helpers/cli.js';

// The help text is written out (the CLI loads no registry to print it): it must list what `serve` really runs.
it('racelab serve --help lists every variant serve runs, per scenario', async () => {
  const run = await runCli(['serve', '--help']);
  expect(run.code).toBe(0);
  const help = run.stdout.replace(/\s+/g, ' ');
  const listed = (scenario: string): string[] => new RegExp(`${scenario}: ([a-z0-9| -]+)`).exec(help)?.[1]?.split(/ \| |, and | /).filter(Boolean) ?? [];
  expect(listed('counter').sort()).toEqual(Object.keys(counterVariants).sort());
  for (const s of impactScenarios) {
    expect(help, s.name).toContain(` ${s.name} `);
    const names = servedVariants(s).map((v) => v.name);
    const inHelp = new RegExp(`${s.name}: (.*?)(;|$)`).exec(help)?.[1] ?? '';
    for (const v of names) expect(inHelp, `${s.name} ${v}`).toMatch(new RegExp(`(^| )${v}( |,|$)`));
  }
});
