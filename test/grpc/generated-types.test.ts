import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('generated proto types', () => {
  it('are up to date with proto/ (run `npm run proto` after changing a .proto)', () => {
    const out = mkdtempSync(join(tmpdir(), 'racelab-proto-'));
    try {
      execFileSync(process.execPath, [join(root, 'scripts', 'gen-proto-types.mjs'), '--out', out], { stdio: 'pipe' });
      // Packaged protos (racelab.bank.v1, …) generate into folders: compare every file, at any depth.
      const files = (dir: string): string[] =>
        (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[]).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
      const fresh = files(out);
      const checkedIn = files(join(root, 'src', 'generated'));
      expect(checkedIn).toEqual(fresh);
      for (const f of fresh) {
        expect(readFileSync(join(root, 'src', 'generated', f), 'utf8'), `src/generated/${f} is stale: run npm run proto`).toBe(
          readFileSync(join(out, f), 'utf8'),
        );
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
