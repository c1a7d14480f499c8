import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkVerbose } from '../../src/check/index.js';
import { parseHistoryJsonl, type HistoryEvent } from '../../src/history/index.js';
import { renderCheckReport, renderHistoryHtml } from '../../src/report/index.js';
import { chromiumAvailable, withPage } from './browser.js';

const dir = mkdtempSync(join(tmpdir(), 'racelab-report-'));
const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let t = 0;
const ev = (process: number, type: HistoryEvent['type'], f: string, value: unknown = null): HistoryEvent => ({ process, type, f, value, time: (t += 100) });

/** Two keys: x is fine; y has a stale read. Plus an unknown-outcome put and a failed one, and a value that looks like markup. */
function kvHistory(): HistoryEvent[] {
  t = 0;
  return [
    ev(0, 'invoke', 'put', ['x', '<script>alert(1)</script>']),
    ev(0, 'ok', 'put', ['x', '<script>alert(1)</script>']),
    ev(1, 'invoke', 'put', ['y', 'a']),
    ev(1, 'ok', 'put', ['y', 'a']),
    ev(2, 'invoke', 'put', ['y', 'b']),
    ev(2, 'ok', 'put', ['y', 'b']),
    ev(3, 'invoke', 'put', ['x', 'z']),
    ev(3, 'info', 'put', ['x', 'z']),
    ev(1, 'invoke', 'get', ['y', null]),
    ev(1, 'ok', 'get', ['y', 'a']),
    ev(0, 'invoke', 'append', ['x', '!']),
    ev(0, 'fail', 'append', ['x', '!']),
    ev(0, 'invoke', 'get', ['x', null]),
    ev(0, 'ok', 'get', ['x', '<script>alert(1)</script>']),
  ];
}

describe('renderHistoryHtml', () => {
  it('is one self-contained page: a lane per process, a bar per operation, markup in values escaped', () => {
    const report = checkVerbose(kvHistory(), 'kv');
    expect(report.verdict).toBe('illegal');
    const html = renderHistoryHtml(report, { source: 'kv.jsonl' });
    expect(html).not.toMatch(/https?:\/\/|<link|\ssrc=/);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.match(/class="lane-label"/g)).toHaveLength(4);
    expect(html.match(/<g class="op /g)).toHaveLength(report.operations);
    expect(html).toMatch(/class="op status-info[^"]*" data-op="\d+" data-partition="x"/);
    expect(html).toMatch(/class="op status-fail[^"]*" data-op="\d+" data-partition="x"/);
    // The break is y's stale read; the window band and thread are drawn.
    expect(html).toMatch(new RegExp(`class="op status-ok[^"]* break[^"]*" data-op="${report.window!.breakOperation}" data-partition="y"`));
    expect(html).toContain('class="window-band"');
    expect(html).toContain('<option value="y" selected>y (illegal)</option>');
  });

  it('numbers the linearization of an ok history and says how many operations were left out', () => {
    t = 0;
    const events: HistoryEvent[] = [];
    for (let i = 0; i < 30; i++) events.push(ev(i % 3, 'invoke', 'write', i), ev(i % 3, 'ok', 'write', i));
    const report = checkVerbose(events, 'register');
    const html = renderHistoryHtml(report, { maxOperations: 10 });
    expect(html).toContain('>#1 write 0<');
    expect(html).toContain('class="thread"');
    expect(html).toMatch(/10 of 30 operations drawn \(those around the start\); 20 left out/);
  });
});

describe('the check page fixes', () => {
  it('numbers the bars as the explanation does, and shows the state after each step of the linearization', () => {
    const report = checkVerbose(kvHistory(), 'kv');
    const html = renderHistoryHtml(report);
    // The explanation's [k] lines and the bars labelled [k] name the same operations.
    const numbered = report.explanation.filter((l) => /^\s+\[\d+\]/.test(l));
    expect(numbered.length).toBeGreaterThan(0);
    for (const line of numbered) {
      const [, k, description] = /\[(\d+)\] process \S+: (.*?), /.exec(line)!;
      const escaped = description!.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
      expect(html).toContain(`>[${k}] ${escaped}<`);
    }
    expect(html).not.toMatch(/>#\d+ /);
    // The linearization table: one row per step with the state after it, and the break.
    const order = report.partitionReports.find((p) => p.key === 'y')!.order;
    expect(html.match(/<tr data-op="\d+">/g)).toHaveLength(order.length);
    expect(html).toContain('<td>the key holds &quot;a&quot;</td>');
    expect(html).toContain('class="break-row"');
    // The table is the search's order over the whole key; the text's states are the window's: the page says so.
    expect(report.window).toBeDefined();
    expect(html).toContain("This order is the search's, over the whole history of the key. The explanation above follows the smallest failing window");
  });

  it('draws an unknown outcome as a short bar with a dashed tail, not a full-width lane', () => {
    const report = checkVerbose(kvHistory(), 'kv');
    const html = renderHistoryHtml(report);
    const info = /<g class="op status-info[^>]*>[\s\S]*?<rect x="([\d.]+)" y="\d+" width="([\d.]+)"/.exec(html)!;
    const svgWidth = Number(/<svg width="(\d+)" height="\d+" viewBox="0 0 \d+ \d+" role="img"/.exec(html)![1]);
    expect(Number(info[2])).toBeLessThan(svgWidth / 4);
    expect(html).toContain('class="open-end"');
  });
});

describe('renderCheckReport', () => {
  it('prints the verdict, the counts and the keys that failed', () => {
    const text = renderCheckReport(checkVerbose(kvHistory(), 'kv'), 'kv.jsonl');
    expect(text).toContain('racelab check kv.jsonl: model kv');
    expect(text).toContain('verdict: ILLEGAL (not linearizable)');
    expect(text).toContain('history: 7 operations from 4 processes (5 ok, 1 failed, 1 unknown outcome); 2 partitions');
    expect(text).toContain('partitions: 1 ok, 1 illegal, 0 unknown');
    expect(text).toMatch(/^y\s+illegal\s+3/m);
    expect(text).toContain('on key y');
  });
});

describe.skipIf(!chromiumAvailable())('the timeline page in Chromium', () => {
  it('renders without errors or network requests, shows the break, and filters by key', async () => {
    const report = checkVerbose(kvHistory(), 'kv');
    const file = join(dir, 'kv.html');
    writeFileSync(file, renderHistoryHtml(report, { source: 'kv.jsonl' }));
    const shot = join(dir, 'kv.png');
    await withPage(async (page, errors) => {
      await page.goto(`file://${file}`);
      expect(await page.locator('.lane-label').count()).toBe(4);
      expect(await page.locator('g.op').count()).toBe(report.operations);
      const broken = page.locator('g.op.break');
      expect(await broken.count()).toBe(1);
      const box = await broken.boundingBox();
      expect(box && box.width > 2 && box.height > 10).toBe(true);
      expect(await page.locator('#verdict').textContent()).toBe('not linearizable');
      // The tooltip says why this bar is red.
      expect(await broken.locator('title').textContent()).toContain('the linearization breaks here');
      await page.selectOption('#partition', 'y');
      expect(await page.locator('g.op[data-partition="x"].hidden').count()).toBe(await page.locator('g.op[data-partition="x"]').count());
      expect(await page.locator('g.op[data-partition="y"].hidden').count()).toBe(0);
      await page.selectOption('#partition', '');
      // Details are pinned by a click, not only shown on hover.
      await broken.click({ force: true });
      expect(await page.locator('#details').textContent()).toContain('the linearization breaks here');
      await page.screenshot({ path: shot, fullPage: true });
      await page.keyboard.press('Escape');
      expect(await page.locator('#details').isVisible()).toBe(false);
      mkdirSync(RESULTS, { recursive: true });
      await page.screenshot({ path: join(RESULTS, 'check-kv.png'), fullPage: true });
      expect(errors).toEqual([]);
    });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  });

  it('shows the whole label of every operation of the failing window, none over another', async () => {
    // A real kv history (data/histories): the read that breaks it is a short bar followed closely on its lane.
    const events = parseHistoryJsonl(readFileSync(join(import.meta.dirname, '..', '..', 'data', 'histories', 'kv-lost-append.jsonl'), 'utf8'));
    const report = checkVerbose(events, 'kv');
    const windowOps = report.window!.operations;
    const file = join(dir, 'kv-lost-append.html');
    writeFileSync(file, renderHistoryHtml(report, { source: 'kv-lost-append.jsonl' }));
    await withPage(async (page, errors) => {
      await page.goto(`file://${file}`);
      const shown = await page.locator('svg[aria-label="history timeline"]').evaluate((svg, ids) => {
        const texts = ids.map((id) => [...svg.querySelectorAll(`[data-op="${id}"] text`)].map((t) => t.textContent ?? ''));
        const callouts = [...svg.querySelectorAll('g.callout')].map((g) => g.querySelector('text')!.getBBox());
        const overlap = callouts.some((a, i) => callouts.some((b, j) => i < j && a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height));
        const inside = callouts.every((b) => b.x >= 0 && b.x + b.width <= Number(svg.getAttribute('width')) && b.y + b.height <= Number(svg.getAttribute('height')));
        return { texts, callouts: callouts.length, overlap, inside };
      }, windowOps);
      windowOps.forEach((id, k) => {
        const full = `[${k + 1}] ${report.timeline.find((o) => o.id === id)!.description}`;
        expect(shown.texts[k]!.some((t) => t.startsWith(full))).toBe(true);
      });
      // This history's break is cut in its bar (`[2] get "k1" → "…`), so at least that one is called out.
      expect(shown.callouts).toBeGreaterThan(0);
      expect(shown.overlap).toBe(false);
      expect(shown.inside).toBe(true);
      expect(errors).toEqual([]);
    });
  });
});
