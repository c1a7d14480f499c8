import { afterAll } from 'vitest';
import { removeTempDirs } from './helpers/tmp.js';

// Folders a test file made with tempDir() go when the file is done.
afterAll(removeTempDirs);
