import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actorDemoPage, renderActorDemo, renderReportPage } from '../../../src/report/index.js';
import { runActorDemo, type ActorDemoReport } from '../../../src/scenarios/actors/index.js';
import { expectOneLineError, runCli } from '../../helpers/cli.js';

const count = (html: string, re: RegExp): number => html.match(re)?.length ?? 0;

describe('runActorDemo', () => {
  it('runs the chosen patterns, vulnerable and fixed, and explains each from its own numbers', async () => {
    const progress: string[] = [];
    const report = await runActorDemo({ patterns: ['check-then-act', 'state-machine'], seed: 3, onProgress: (l) => progress.push(l) });
    expect(report.kind).toBe('actor-demo');
    expect(report.settings).toEqual({ seed: 3, senders: null, messages: null, patterns: ['check-then-act', 'state-machine'] });
    expect(report.runs.map((r) => `${r.pattern}/${r.variant}/${r.form}`)).toEqual([
      'check-then-act/get-then-set/vulnerable',
      'check-then-act/agent-get-then-update/vulnerable',
      'check-then-act/atomic-increment/fixed',
      'check-then-act/cas-version/fixed',
      'check-then-act/agent-update/fixed',
      'state-machine/check-then-set-status/vulnerable',
      'state-machine/state-machine/fixed',
    ]);
    expect(report.summary).toEqual({ vulnerable: 3, vulnerableShowingRace: 3, fixed: 4, fixedHolding: 4 });
    expect(progress).toHaveLength(7);
    const racy = report.runs[0]!;
    expect(racy.explanation).toContain(`the count ended at ${racy.observed}: ${racy.lostEffects} updates lost`);
    const sm = report.runs[6]!;
    expect(sm.explanation).toContain(`rejected ${sm.details?.transitionsRejected} events`);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);

    const text = renderActorDemo(report);
    expect(text).toContain('racelab demo actors');
    expect(text).toMatch(/== check-then-act: stale state across messages/);
    expect(text).toMatch(/invariant\s+BROKEN\s+BROKEN\s+holds\s+holds\s+holds/);
    expect(text).toMatch(new RegExp(`lost increments\\s+${racy.lostEffects}\\s`));
    expect(text).toContain('3 of 3 vulnerable variants broke their invariant in this run');
  });

  it('--senders/--messages override every pattern; --variant picks variants', async () => {
    const report = await runActorDemo({ patterns: ['counter-cast'], variants: ['counter', 'seed-send'], senders: 3, messages: 7 });
    expect(report.runs.map((r) => r.variant)).toEqual(['seed-send', 'counter']);
    expect(report.runs.map((r) => r.expected)).toEqual([21, 21]);
    expect(report.explanation.join(' ')).toContain("its Counter lost 0 of 21 increments and never handled two at once");
  });

  it('rejects unknown names before running anything', async () => {
    await expect(runActorDemo({ patterns: ['counter-cast', 'bogus'] })).rejects.toMatchObject({ code: 'UNKNOWN_SCENARIO' });
    await expect(runActorDemo({ patterns: ['counter-cast'], variants: ['get-then-set'] })).rejects.toThrow(
      /^variant: "get-then-set" is not a variant of pattern counter-cast; use one of seed-send/,
    );
  });
});

describe('runActorDemo: per-message timelines', () => {
  it('records nothing unless asked; asked, the page draws every message, the lost updates in red', async () => {
    const plain = await runActorDemo({ patterns: ['counter-cast'], variants: ['task-per-message', 'counter-await'], seed: 5 });
    expect(plain.runs.every((r) => r.timeline === undefined)).toBe(true);
    expect(renderReportPage(actorDemoPage(plain, 'racelab demo actors'))).not.toContain('<svg class="timeline"');

    const report = await runActorDemo({ patterns: ['counter-cast'], variants: ['task-per-message', 'counter-await'], seed: 5, timeline: true });
    const [tasks, awaiting] = report.runs;
    expect(tasks!.variant).toBe('task-per-message');
    const t = tasks!.timeline!;
    expect(t.clock).toBe('real');
    expect(t.notKept).toBe(0);
    // Every cast the server handled, every task it started, the final get_count: 2 x 25 x 4 + 1.
    expect(t.messages).toHaveLength(201);
    expect(t.messages.filter((m) => m.what === 'increment task')).toHaveLength(100);
    expect(t.messages.filter((m) => m.what === 'cast increment')).toHaveLength(100);
    for (const m of t.messages) {
      expect(m.outcome).toBe('handled');
      expect(m.enqueuedMs).toBeLessThanOrEqual(m.startMs);
      expect(m.startMs).toBeLessThanOrEqual(m.endMs!);
      if (m.read) expect(m.read.atMs).toBeGreaterThanOrEqual(m.startMs);
      if (m.write) expect(m.write.atMs).toBeLessThanOrEqual(m.endMs!);
    }
    // The vulnerable run lost increments, and the timeline says which tasks wrote over an update they never read.
    expect(tasks!.lostEffects).toBeGreaterThan(0);
    const lost = t.messages.filter((m) => m.mark === 'lost');
    expect(lost.length).toBeGreaterThan(0);
    for (const m of lost) {
      const other = t.messages[m.markedBy! - 1]!;
      expect(other.write!.seq).toBeGreaterThan(m.read!.seq);
      expect(other.write!.seq).toBeLessThan(m.write!.seq);
    }
    // The fix read and wrote the count in every handler, one handler at a time: nothing to mark.
    const a = awaiting!.timeline!;
    expect(a.messages.filter((m) => m.read && m.write)).toHaveLength(100);
    expect(a.messages.filter((m) => m.mark !== undefined)).toEqual([]);

    const html = renderReportPage(actorDemoPage(report, 'racelab demo actors --html x.html'));
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)|<link|\ssrc=/);
    expect(count(html, /<svg class="timeline"/g)).toBe(2);
    expect(count(html, /<g class="call /g)).toBe(t.messages.length + a.messages.length);
    expect(count(html, /<g class="call [^"]*\blost"/g)).toBe(lost.length);
    expect(count(html, /<g class="call [^"]*\boverwritten"/g)).toBe(t.messages.filter((m) => m.mark === 'overwritten').length);
    expect(html).toContain(`task-per-message (vulnerable): 201 messages drawn; ${lost.length} wrote over an update they never read, in red`);
    expect(html).toContain('counter-await (fixed): 101 messages drawn; none marked');
    expect(html).toContain('message: entered the mailbox → handled');
    expect(html).toContain('LOST UPDATE: wrote over the update of #');
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it("the seed's raw sends are drawn as dropped, each one lost", async () => {
    const report = await runActorDemo({ patterns: ['counter-cast'], variants: ['seed-send'], seed: 2, senders: 2, messages: 3, timeline: true });
    const [run] = report.runs;
    const dropped = run!.timeline!.messages.filter((m) => m.outcome === 'dropped');
    expect(dropped).toHaveLength(Number(run!.details?.unexpectedMessages));
    expect(dropped).toHaveLength(6);
    expect(dropped.every((m) => m.mark === 'lost' && m.what === 'increment')).toBe(true);
  });

  it('keeps at most the cap per variant, and the page says so', async () => {
    const report = await runActorDemo({ patterns: ['counter-cast'], variants: ['counter'], seed: 1, timeline: { cap: 10 } });
    const t = report.runs[0]!.timeline!;
    expect(t.cap).toBe(10);
    expect(t.messages).toHaveLength(10);
    expect(t.notKept).toBe(91); // 100 casts and the final get_count, 10 kept
    const html = renderReportPage(actorDemoPage(report, 'racelab demo actors'));
    expect(count(html, /<g class="call /g)).toBe(10);
    expect(html).toContain('Only the first 10 messages of this run are drawn (the cap per variant); 91 more were handled.');
    await expect(runActorDemo({ patterns: ['counter-cast'], variants: ['counter'], timeline: { cap: 0 } })).rejects.toThrow(/timeline cap: 0 must be a whole number/);
  });

  it('shared-store and check-then-act: the read-then-write runs mark writes over unseen updates, the fixes none', async () => {
    const report = await runActorDemo({ patterns: ['shared-store', 'check-then-act'], variants: ['read-then-write', 'owner-actor', 'atomic-store-op', 'get-then-set', 'cas-version'], seed: 7, timeline: true });
    const by = new Map(report.runs.map((r) => [r.variant, r]));
    for (const v of ['read-then-write', 'get-then-set']) {
      const r = by.get(v)!;
      expect(r.lostEffects, v).toBeGreaterThan(0);
      const lost = r.timeline!.messages.filter((m) => m.mark === 'lost');
      expect(lost.length, v).toBeGreaterThan(0);
      // A write over one unseen update loses at least one increment: the marks never exceed what the count lost.
      expect(lost.length, v).toBeLessThanOrEqual(r.lostEffects);
    }
    expect(by.get('get-then-set')!.timeline!.messages.filter((m) => m.read && m.write).map((m) => m.lane)).toEqual(expect.arrayContaining(['client-1', 'client-4']));
    for (const v of ['owner-actor', 'atomic-store-op']) {
      const t = by.get(v)!.timeline!;
      expect(t.messages.filter((m) => m.read && m.write), v).toHaveLength(100);
      expect(t.messages.filter((m) => m.mark !== undefined), v).toEqual([]);
    }
  });

  // The racy variants report each read as its get enters the counter's mailbox and each write as its set does: one
  // mailbox, handled in order, so the order of the reports (seq) is the order the counter applied them, and the marks
  // are exact. Checked against the run itself: every read saw the value of the last write reported before it, and
  // the last write reported is the count the run ended with. (Reported when the get's answer came, a set applied in
  // between came before the read, which had not seen it: a lost update left unmarked.)
  it.each([
    ...[3, 7, 11, 19].map((seed) => ['get-then-set', seed] as const),
    ...[3, 7, 11, 19].map((seed) => ['agent-get-then-update', seed] as const),
  ])('check-then-act %s (seed %i): the reports come in the order the counter applied them, so every lost update is marked', async (variant, seed) => {
    const report = await runActorDemo({ patterns: ['check-then-act'], variants: [variant], seed, timeline: true });
    const run = report.runs[0]!;
    expect(run.lostEffects).toBeGreaterThan(0);
    const updates = run.timeline!.messages.filter((m) => m.read !== undefined && m.write !== undefined);
    expect(updates).toHaveLength(Number(run.expected));
    const writes = updates.map((m) => m.write!).sort((a, b) => a.seq - b.seq);
    for (const m of updates) {
      const before = writes.filter((w) => w.seq < m.read!.seq).at(-1);
      expect(m.read!.value, `message ${m.index}`).toBe(before?.value ?? 0);
    }
    expect(writes.at(-1)!.value).toBe(run.observed);
    // Every write over an update it did not read is marked, so no lost update goes unseen: with no mark, each set
    // would have written one more than the value it replaced, and nothing would be lost.
    expect(updates.filter((m) => m.mark === 'lost').length).toBeGreaterThan(0);
  });

  it('check-then-act agent-get-then-update marks writes over unseen updates; agent-update and cas-version mark none', async () => {
    const report = await runActorDemo({ patterns: ['check-then-act'], variants: ['agent-get-then-update', 'cas-version', 'agent-update'], seed: 11, timeline: true });
    const by = new Map(report.runs.map((r) => [r.variant, r]));
    const racy = by.get('agent-get-then-update')!;
    expect(racy.lostEffects).toBeGreaterThan(0);
    const lost = racy.timeline!.messages.filter((m) => m.mark === 'lost');
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.length).toBeLessThanOrEqual(racy.lostEffects);
    // Each mark's other write really lies between its read and its write.
    for (const m of lost) {
      const other = racy.timeline!.messages.find((o) => o.index === m.markedBy)!;
      expect(other.write!.seq).toBeGreaterThan(m.read!.seq);
      expect(other.write!.seq).toBeLessThan(m.write!.seq);
    }
    // Each compare-and-set the version check turned away is told on the counter's message that refused it.
    const cas = by.get('cas-version')!;
    const refused = cas.timeline!.messages.filter((m) => m.note?.startsWith('REFUSED'));
    expect(refused.length).toBe(Number(cas.details?.casConflicts));
    expect(refused.length).toBeGreaterThan(0);
    for (const m of refused) {
      expect(m.lane).toBe('counter');
      expect(m.what).toMatch(/^call \{cas: \d+, value: \d+\}$/);
      expect(m.mark).toBeUndefined();
    }
    const page = renderReportPage(actorDemoPage(report, 'racelab demo actors'));
    expect(page).toContain('REFUSED: the caller read version');
    for (const v of ['cas-version', 'agent-update']) {
      expect(by.get(v)!.lostEffects, v).toBe(0);
      expect(by.get(v)!.timeline!.messages.filter((m) => m.mark !== undefined), v).toEqual([]);
    }
  });

  it('idempotency-key: one purple mark per duplicated charge, the first charge of each key unmarked; the fix marks none', async () => {
    const report = await runActorDemo({ patterns: ['idempotency-key'], seed: 11, timeline: true });
    const [racy, fixed] = report.runs;
    expect(racy!.variant).toBe('retry-without-key');
    expect(racy!.duplicatedEffects).toBeGreaterThan(0);
    const ms = racy!.timeline!.messages;
    const dup = ms.filter((m) => m.mark === 'duplicated');
    expect(dup).toHaveLength(racy!.duplicatedEffects);
    expect(ms.filter((m) => m.mark !== undefined && m.mark !== 'duplicated')).toEqual([]);
    // One charge per key unmarked, every other charge of it marked, pointing at the first.
    const charges = ms.filter((m) => m.effect !== undefined);
    expect(charges).toHaveLength(Number(racy!.observed));
    expect(new Set(charges.filter((m) => m.mark === undefined).map((m) => m.effect!.key)).size).toBe(charges.filter((m) => m.mark === undefined).length);
    for (const m of dup) {
      const first = ms.find((o) => o.index === m.markedBy)!;
      expect(first.effect!.key).toBe(m.effect!.key);
      expect(first.mark).toBeUndefined();
      expect(first.effect!.seq).toBeLessThan(m.effect!.seq);
    }
    expect(fixed!.variant).toBe('idempotency-key');
    expect(fixed!.duplicatedEffects).toBe(0);
    expect(fixed!.timeline!.messages.filter((m) => m.effect !== undefined)).toHaveLength(Number(fixed!.expected));
    expect(fixed!.timeline!.messages.filter((m) => m.mark !== undefined)).toEqual([]);

    const html = renderReportPage(actorDemoPage(report, 'racelab demo actors'));
    expect(html).toContain(`retry-without-key (vulnerable): ${ms.length} messages drawn; ${dup.length} applied an effect once too often, outlined in purple`);
    expect(html).toContain('applied an effect once too often: a second time, or beyond its limit (duplicated effect)');
    expect(html.match(/class="call clickable status-\w+ duplicated"/g)).toHaveLength(dup.length);
    // No duplicate in the run, no purple legend entry.
    const plain = renderReportPage(actorDemoPage(await runActorDemo({ patterns: ['idempotency-key'], variants: ['idempotency-key'], seed: 11, timeline: true }), 'racelab demo actors'));
    expect(plain).not.toContain('applied an effect once too often: a second time, or beyond its limit (duplicated effect)');
  });

  it('state-machine: one purple mark per order settled twice (shipped and refunded), the fix none', async () => {
    const report = await runActorDemo({ patterns: ['state-machine'], seed: 11, timeline: true });
    const [racy, fixed] = report.runs;
    expect(racy!.variant).toBe('check-then-set-status');
    expect(racy!.duplicatedEffects).toBeGreaterThan(0);
    const ms = racy!.timeline!.messages;
    const dup = ms.filter((m) => m.mark === 'duplicated');
    expect(dup).toHaveLength(racy!.duplicatedEffects);
    expect(dup.length).toBe(racy!.details?.shippedAndRefunded);
    for (const m of dup) {
      const first = ms.find((o) => o.index === m.markedBy)!;
      expect(first.effect!.key).toBe(m.effect!.key);
      // One went to the warehouse, the other to payments.
      expect(new Set([first.lane, m.lane])).toEqual(new Set(['warehouse', 'payments']));
    }
    expect(fixed!.variant).toBe('state-machine');
    expect(fixed!.duplicatedEffects).toBe(0);
    expect(fixed!.timeline!.messages.filter((m) => m.effect !== undefined)).toHaveLength(Number(fixed!.expected));
    expect(fixed!.timeline!.messages.filter((m) => m.mark !== undefined)).toEqual([]);
  });

  it('async-writeback: one red mark per deposit the final balance lacks, pointing at the result that dropped it; the fixes none', async () => {
    const report = await runActorDemo({ patterns: ['async-writeback'], seed: 11, timeline: true });
    const by = new Map(report.runs.map((r) => [r.variant, r]));
    const racy = by.get('stale-writeback')!;
    expect(racy.lostEffects).toBeGreaterThan(0);
    const ms = racy.timeline!.messages;
    const lost = ms.filter((m) => m.mark === 'lost');
    expect(lost).toHaveLength(racy.lostEffects);
    expect(ms.filter((m) => m.mark !== undefined && m.mark !== 'lost')).toEqual([]);
    for (const m of lost) {
      expect(m.note).toMatch(/^LOST DEPOSIT \d+: its result was applied, then deposit \d+'s result/);
      // Its result was written, and the one that dropped it was written later.
      const other = ms.find((o) => o.index === m.markedBy)!;
      expect(other.write!.seq).toBeGreaterThan(m.write!.seq);
    }
    // Every deposit's read-modify-write is drawn.
    expect(ms.filter((m) => m.read && m.write)).toHaveLength(Number(racy.details?.deposits));
    for (const v of ['versioned-state', 'seq-ack']) {
      const r = by.get(v)!;
      expect(r.lostEffects, v).toBe(0);
      const windows = r.timeline!.messages.filter((m) => m.read && m.write);
      expect(windows, v).toHaveLength(Number(r.details?.deposits));
      expect(r.timeline!.messages.filter((m) => m.mark !== undefined), v).toEqual([]);
      // And no other result was written between a deposit's (last) read and its write.
      for (const m of windows) expect(windows.filter((o) => o.write!.seq > m.read!.seq && o.write!.seq < m.write!.seq), `${v} #${m.index}`).toEqual([]);
    }
    const html = renderReportPage(actorDemoPage(report, 'racelab demo actors'));
    expect(html).toContain(`${lost.length} whose effect the run lost (each says why), in red`);
  });

  it('flooding: one purple mark per use of the coupon beyond its limit, none under normal load, none for the atomic fixes', async () => {
    const report = await runActorDemo({ patterns: ['flooding'], seed: 11, timeline: true });
    for (const r of report.runs) {
      const ms = r.timeline!.messages;
      expect(r.timeline!.notKept, r.variant).toBe(0);
      const dup = ms.filter((m) => m.mark === 'duplicated');
      expect(dup, r.variant).toHaveLength(r.duplicatedEffects);
      expect(ms.filter((m) => m.mark !== undefined && m.mark !== 'duplicated'), r.variant).toEqual([]);
      const limit = Number(r.details?.limit);
      // Every use recorded: the normal-load phase's (within the limit) and the flood's.
      const uses = (phase: string): number => ms.filter((m) => m.effect?.key.endsWith(`${phase})`)).length;
      expect(uses('normal load'), r.variant).toBe(Number(r.details?.baselineRedeemed));
      expect(uses('flooded'), r.variant).toBe(Number(r.observed));
      for (const m of dup) {
        expect(m.effect!.key, r.variant).toBe(`a use of the coupon (limit ${limit}; flooded)`);
        expect(m.effect!.limit).toBe(limit);
      }
      if (r.form === 'vulnerable') expect(r.duplicatedEffects, r.variant).toBeGreaterThan(0);
      else expect(dup, r.variant).toEqual([]);
    }
    const html = renderReportPage(actorDemoPage(report, 'racelab demo actors'));
    expect(html).toContain('beyond its limit of');
  });

  it('supervisor-restart: one red mark per stale set the ledger refused (a lower bound of the lost increments), the fix none', async () => {
    const report = await runActorDemo({ patterns: ['supervisor-restart'], seed: 11, timeline: true });
    const [racy, fixed] = report.runs;
    expect(racy!.variant).toBe('restart-stale-write');
    expect(racy!.timeline!.notKept).toBe(0);
    const lost = racy!.timeline!.messages.filter((m) => m.mark === 'lost');
    expect(lost).toHaveLength(Number(racy!.details?.staleWriteCrashes));
    expect(lost.length).toBeGreaterThan(0);
    // The rest were lost with a crashed mailbox or by a client that never knew.
    expect(lost.length).toBeLessThanOrEqual(racy!.lostEffects);
    // What died in a crashed ledger's mailbox is drawn on the ledger's lane: never handled, no handler bar, not
    // marked (a caller hears of it and retries; a poison carried nothing), one per message the run counted.
    const died = racy!.timeline!.messages.filter((m) => m.outcome === 'died');
    expect(died.length).toBe(Number(racy!.details?.messagesLostWithCrashedMailbox));
    expect(died.length).toBeGreaterThan(0);
    for (const m of died) {
      expect(m.lane).toBe('ledger');
      expect(m.mark).toBeUndefined();
      expect(m.note).toMatch(/^died unhandled in ledger's mailbox when it exited \(error: /);
      expect(m.enqueuedMs).toBeLessThanOrEqual(m.startMs);
      // Who sent it: a client's get or set, or the chaos process's poison.
      expect(m.from).toMatch(m.what === 'cast poison' ? /^chaos$/ : /^client-\d+$/);
    }
    expect(died.map((m) => m.what)).toEqual(expect.arrayContaining([expect.stringMatching(/^cast \{set, \d+\}$|^call get$|^cast poison$/)]));
    const html = renderReportPage(actorDemoPage(report, 'racelab demo actors'));
    expect(html).toContain(`${died.length} died unhandled in the mailbox of an actor that crashed`);
    expect(html).toContain('NEVER HANDLED: still in the mailbox when the actor exited');
    expect(html).toContain(`#${died[0]!.index} ${died[0]!.what} from ${died[0]!.from} → ledger`);
    for (const m of lost) {
      expect(m.lane).toBe('ledger');
      expect(m.note).toMatch(/^LOST INCREMENT: set \d+ was computed from a stale get/);
    }
    expect(fixed!.variant).toBe('restart-atomic');
    expect(fixed!.lostEffects).toBe(0);
    expect(fixed!.timeline!.messages.filter((m) => m.mark !== undefined)).toEqual([]);
  });

  it('seq-ack no-seq: one red mark per operation the link dropped, one purple per operation applied twice', async () => {
    const report = await runActorDemo({ patterns: ['seq-ack'], seed: 11, timeline: true });
    const [racy, fixed] = report.runs;
    expect(racy!.variant).toBe('no-seq');
    expect(racy!.timeline!.notKept).toBe(0);
    const ms = racy!.timeline!.messages;
    const lost = ms.filter((m) => m.mark === 'lost');
    const dup = ms.filter((m) => m.mark === 'duplicated');
    expect(racy!.lostEffects + racy!.duplicatedEffects).toBeGreaterThan(0);
    expect(lost).toHaveLength(racy!.lostEffects);
    expect(dup).toHaveLength(racy!.duplicatedEffects);
    for (const m of lost) {
      expect(m.lane).toBe('link');
      expect(m.note).toMatch(/^LOST OPERATION: the link dropped it \(sender \d+ op \d+\)/);
    }
    for (const m of dup) expect(m.lane).toBe('receiver');
    expect(ms.filter((m) => m.effect !== undefined)).toHaveLength(Number(racy!.details?.applied));
    expect(fixed!.variant).toBe('seq-ack');
    expect(fixed!.lostEffects + fixed!.duplicatedEffects).toBe(0);
    expect(fixed!.timeline!.messages.filter((m) => m.mark !== undefined)).toEqual([]);
  });

  it('a vulnerable pattern that reports no reads or writes says its effects are not located, rather than "none marked"', async () => {
    // Every vulnerable pattern reports now: take one's run and drop what it reported.
    const report = await runActorDemo({ patterns: ['seq-ack'], variants: ['no-seq'], seed: 3, timeline: true });
    const [run] = report.runs;
    expect(run!.lostEffects + run!.duplicatedEffects).toBeGreaterThan(0);
    for (const m of run!.timeline!.messages) {
      delete m.effect;
      delete m.mark;
      delete m.markedBy;
      delete m.note;
    }
    const html = renderReportPage(actorDemoPage(report, 'racelab demo actors'));
    expect(html).toContain(`its ${run!.lostEffects} lost and ${run!.duplicatedEffects} duplicated effects are counted in the table, not located here`);
    expect(html).not.toContain('none marked');
  });
});

describe('racelab demo actors (CLI)', () => {
  it('--html draws every variant on a timeline; without --html nothing is recorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'racelab-actors-page-'));
    try {
      const file = join(dir, 'actors.html');
      const run = await runCli(['demo', 'actors', '--pattern', 'counter-cast', '--variant', 'task-per-message,counter', '--seed', '4', '--json', '--html', file], { timeoutMs: 60_000 });
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as ActorDemoReport;
      expect(report.runs.map((r) => r.timeline?.messages.length)).toEqual([201, 101]);
      const html = readFileSync(file, 'utf8');
      expect(count(html, /<svg class="timeline"/g)).toBe(2);
      expect(count(html, /<g class="call [^"]*\blost"/g)).toBe(report.runs[0]!.timeline!.messages.filter((m) => m.mark === 'lost').length);
      expect(count(html, /<g class="call [^"]*\blost"/g)).toBeGreaterThan(0);
      const plain = await runCli(['demo', 'actors', '--pattern', 'counter-cast', '--variant', 'counter', '--seed', '4', '--json'], { timeoutMs: 60_000 });
      expect((JSON.parse(plain.stdout) as ActorDemoReport).runs[0]!.timeline).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--json prints the report; every pattern runs, vulnerable and fixed', async () => {
    const run = await runCli(['demo', 'actors', '--json', '--seed', '42'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as ActorDemoReport;
    expect(report.settings.seed).toBe(42);
    expect(report.settings.patterns).toHaveLength(9);
    expect(report.runs.length).toBeGreaterThanOrEqual(29);
    expect(report.summary.fixedHolding).toBe(report.summary.fixed);
    expect(report.summary.vulnerableShowingRace).toBe(report.summary.vulnerable);
    expect(run.stderr).toBe(''); // no progress lines in --json mode
  });

  it('prints tables and explanations with the fresh seed in the title; piped, nothing on stderr', async () => {
    const run = await runCli(['demo', 'actors', '--pattern', 'flooding,seq-ack'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^racelab demo actors: .*\(seed \d+\)/);
    expect(run.stdout).toContain('== flooding:');
    expect(run.stdout).toContain('== seq-ack:');
    expect(run.stdout).toMatch(/mailboxHighWater/);
    // The progress lines are a terminal's live line (test/cli/progress.test.ts), not a pipe's.
    expect(run.stderr).toBe('');
  });

  it('bad options: one line, exit 2', async () => {
    for (const [args, message] of [
      [['--pattern', 'nope'], /--pattern: "nope" is not an actor pattern/],
      [['--pattern', ','], /--pattern: give at least one pattern name/],
      [['--variant', 'nope'], /--variant: "nope" is not a variant/],
      [['--seed', 'abc'], /--seed: "abc" must be a whole number/],
      [['--senders', '0'], /--senders: "0" must be a whole number from 1 to 64/],
      [['--messages', '1e9'], /--messages: "1e9" must be a whole number/],
    ] as const) {
      const run = await runCli(['demo', 'actors', ...args]);
      expect(expectOneLineError(run)).toMatch(message);
    }
  });
});
