import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM_LAUNCH } from '../support/chromium.ts';

// Usage: pnpm bench:admin-list [--flags N] [--runs R] [--json]
//
// The admin UI's flags list with N flags (default 5,000) in headless Chromium, against a real
// server on a fresh Postgres database (DATABASE_URL, default the local one), with the UI's
// production build. Each run opens /flags in a fresh page (cold caches) and measures, from the
// navigation's start:
//   rows       the first rows painted;
//   interactive  the later of that and the end of the last long task (>50 ms) before it: when a
//              click or a keypress is answered at once;
// and then, on the loaded list: sort (a new order picked to its rows shown), more (the next page
// appended after "Show more"), toggle (a development switch flipped to its new state shown).
// Prints the median and the worst of R runs (default 5). The goal: interactive under 1 s.

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    flags: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(args.flags);
const RUNS = Number(args.runs);
if (!Number.isInteger(N) || N < 1 || !Number.isInteger(RUNS) || RUNS < 1) {
  console.error('--flags and --runs must be whole numbers >= 1');
  process.exit(2);
}
process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
// Imported after: the test server's helpers read DATABASE_URL when loaded.
const { startTestServer } = await import('../../../server/test/helpers/test-server.ts');
const { buildAdminUi, logIn, seedFlags } = await import('../admin-ui/harness.ts');
const progress = (m: string) => process.stderr.write(`${m}\n`);

const dist = mkdtempSync(join(tmpdir(), 'sb-bench-admin-list-'));
progress('building the admin UI…');
buildAdminUi(dist);
const server = await startTestServer({ env: { ADMIN_UI_DIR: dist } });
const browser = await chromium.launch(CHROMIUM_LAUNCH);
try {
  const cookie = await server.login();
  const seedStart = performance.now();
  progress(`creating ${N} flags through the API…`);
  await seedFlags(
    (method, path, body) => server.request(method, path, { cookie, body }),
    Array.from({ length: N }, (_, i) => `bench-${String(i).padStart(5, '0')}`),
    (key, i) => ({ name: `Bench flag ${i}`, description: `Flag ${key} of the list benchmark`, tags: [`team-${i % 10}`] }),
    8,
  );
  progress(`created in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  const figures: Record<'rows' | 'interactive' | 'sort' | 'more' | 'toggle', number[]> = {
    rows: [],
    interactive: [],
    sort: [],
    more: [],
    toggle: [],
  };
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await logIn(page, server.url);
    await page.addInitScript(() => {
      const w = window as unknown as { __longTasks: Array<{ start: number; end: number }> };
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, end: e.startTime + e.duration });
      }).observe({ type: 'longtask', buffered: true });
    });
    // A new document, so the navigation timing starts at zero.
    await page.goto(`${server.url}/flags`);
    const rowsAt = await page.waitForFunction(() => (document.querySelector('table.flags-table tbody tr') ? performance.now() : 0), null, {
      polling: 'raf',
      timeout: 30_000,
    });
    const rows = (await rowsAt.jsonValue()) as number;
    // Let anything the page started go on long enough to show up as a long task.
    await page.waitForTimeout(500);
    const lastLong = await page.evaluate(
      (until) =>
        (window as unknown as { __longTasks: Array<{ start: number; end: number }> }).__longTasks
          .filter((t) => t.start <= until)
          .reduce((m, t) => Math.max(m, t.end), 0),
      rows,
    );
    figures.rows.push(rows);
    figures.interactive.push(Math.max(rows, lastLong));

    const timed = async (act: () => Promise<void>, done: () => Promise<unknown>) => {
      const t0 = performance.now();
      await act();
      await done();
      return performance.now() - t0;
    };
    figures.sort.push(
      await timed(
        async () => {
          await page.getByLabel('Sort by').selectOption('name:desc');
        },
        () => page.waitForFunction(() => document.querySelector('table.flags-table tbody tr a')?.textContent === 'Bench flag 999'),
      ),
    );
    figures.more.push(
      await timed(
        () => page.getByRole('button', { name: /^Show \d+ more$/ }).click(),
        () => page.waitForFunction(() => document.querySelectorAll('table.flags-table tbody tr').length === 200),
      ),
    );
    const sw = page
      .locator('table.flags-table tbody tr')
      .first()
      .getByRole('switch', { name: /in Development$/ });
    const was = await sw.getAttribute('aria-checked');
    figures.toggle.push(
      await timed(
        () => sw.click(),
        () =>
          page.waitForFunction(
            (w) => document.querySelector('table.flags-table tbody tr [role=switch]')?.getAttribute('aria-checked') !== w,
            was,
          ),
      ),
    );
    await context.close();
    progress(`run ${run + 1}: interactive ${Math.round(figures.interactive[run] ?? 0)} ms`);
  }

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
  };
  const rowsOut = Object.entries(figures).map(([what, xs]) => ({
    what,
    medianMs: Math.round(median(xs)),
    worstMs: Math.round(Math.max(...xs)),
  }));
  const interactive = rowsOut.find((r) => r.what === 'interactive');
  const goalMet = (interactive?.worstMs ?? Number.POSITIVE_INFINITY) < 1000;
  if (args.json) console.log(JSON.stringify({ flags: N, runs: RUNS, figures: rowsOut, goalMet }, null, 2));
  else {
    console.log(`admin UI flags list, ${N} flags, ${RUNS} runs (headless Chromium, 1440x900, cold page each run)`);
    console.log('what          median     worst');
    for (const r of rowsOut) console.log(`${r.what.padEnd(12)} ${String(r.medianMs).padStart(6)} ms ${String(r.worstMs).padStart(6)} ms`);
    console.log(`interactive under 1 s: ${goalMet ? 'yes' : 'NO'}`);
  }
  if (!goalMet) process.exitCode = 1;
} finally {
  await browser.close();
  await server.close();
  rmSync(dist, { recursive: true, force: true });
}
