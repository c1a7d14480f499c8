import { afterAll } from 'vitest';
import { killLeftoverChildren } from './helpers/cli.js';
import { removeTempDirs } from './helpers/tmp.js';

// Folders a test file made with tempDir() go when the file is done.
afterAll(removeTempDirs);

// A CLI child whose test timed out or threw before stopping it goes too, not minutes later (or never).
afterAll(() => {
  const left = killLeftoverChildren();
  if (left > 0) console.warn(`test/setup.ts: killed ${left} racelab CLI process(es) a test left running`);
});
