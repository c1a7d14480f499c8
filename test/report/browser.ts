import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * For `describe.skipIf(!chromiumAvailable())`: true when the system Chromium is installed. Under CI=true a
 * missing browser throws, so the suite fails instead of skipping (install it with `apt-get install chromium`).
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const why = `${CHROMIUM} is missing (apt-get install -y chromium)`;
  if (process.env.CI === 'true') throw new Error(`${why}; CI=true: browser tests fail rather than skip`);
  console.warn(`skipping browser tests: ${why}`);
  return false;
}

/** Opens a headless Chromium page with its own temporary profile, runs `fn`, and closes everything. */
export async function withPage<T>(fn: (page: Page, errors: string[]) => Promise<T>, viewport = { width: 1400, height: 900 }): Promise<T> {
  const profile = mkdtempSync(join(tmpdir(), 'racelab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport,
  });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    // A self-contained page must not reach the network: any request other than the page itself fails the test.
    await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : (errors.push(`request to ${route.request().url()}`), route.abort())));
    return await fn(page, errors);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
