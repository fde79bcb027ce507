import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { html, rawHtml } from '../src/charts/html.js';
import { renderCharts } from '../src/charts/render.js';
import { ASSETS_DIR, defaultReportSections, writeReport } from '../src/charts/report.js';
import { CHARTS } from '../src/charts/specs.js';
import type { ResultTables } from '../src/charts/tables.js';
import { emptyTables, syntheticTables } from './chartsFixture.js';

const CHROMIUM = '/usr/bin/chromium';
const HOSTILE = `<img src=x onerror="window.__pwned=1">&'"</script>`;

/** Synthetic tables with markup in a run id and a regularizer name, to prove escaping. */
function hostileTables(): ResultTables {
  const t = syntheticTables();
  const rename = <T extends { runId: string; regularizer: string; method: string }>(r: T): T =>
    r.regularizer === 'l2' ? { ...r, runId: `${r.runId}${HOSTILE}`, regularizer: `l2${HOSTILE}`, method: `l2${HOSTILE}` } : r;
  return {
    results: t.results.map(rename),
    attacks: t.attacks.map(rename),
    layers: t.layers.map(rename),
    epochs: t.epochs.map(rename),
  };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lipbench-report-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('report html', () => {
  test('html template escapes text and keeps trusted markup', () => {
    assert.equal(html`<p>${'<b>&"\''}</p>`.markup, '<p>&lt;b&gt;&amp;&quot;&#39;</p>');
    assert.equal(html`<p>${rawHtml('<b>x</b>')}${[html`<i>${'<'}</i>`]}</p>`.markup, '<p><b>x</b><i>&lt;</i></p>');
  });

  test('writeReport: offline page with local assets, escaped text, flags highlighted', async () => {
    const dir = tempDir();
    const tables = hostileTables();
    const charts = await renderCharts(dir, tables);
    const file = await writeReport(dir, tables, charts);
    const page = readFileSync(file, 'utf8');
    assert.ok(!page.includes('<img'), 'unescaped markup from a run id reached the page');
    assert.ok(page.includes('&lt;img src=x'), 'run id is missing from the tables');
    // Inside the inline spec JSON, `</script>` must not appear literally.
    assert.equal(page.match(/<\/script>/g)?.length, page.match(/<script\b/g)?.length);
    assert.ok(!/https?:\/\/(?!vega\.github\.io\/schema)/.test(page.replace(/"\$schema":"[^"]*"/g, '')), 'external URL');
    for (const bundle of ['vega.min.js', 'vega-lite.min.js', 'vega-embed.min.js']) {
      assert.ok(page.includes(`<script src="${ASSETS_DIR}/${bundle}"></script>`), bundle);
      assert.ok(existsSync(path.join(dir, ASSETS_DIR, bundle)), `${bundle} not copied`);
    }
    for (const c of CHARTS) assert.ok(page.includes(`data-chart="${c.name}"`), `${c.name} not embedded`);
    assert.match(page, /1 sanity flag raised/);
    assert.match(page, /class="num flag"[^>]*>[^⚑]*?⚑<\/td>/);
    for (const heading of ['Sanity flags', 'Charts', 'Runs', 'Robust accuracy']) assert.ok(page.includes(`>${heading}</h2>`));
  });

  test('writeReport: sections hook can insert a section, skipped charts are listed', async () => {
    const dir = tempDir();
    const tables = { ...syntheticTables(), epochs: [] };
    const charts = await renderCharts(dir, tables);
    const file = await writeReport(dir, tables, charts, {
      sections: (defaults) => [{ id: 'claims', title: 'Claims', body: html`<p>${'claim <1>'}</p>` }, ...defaults],
    });
    const page = readFileSync(file, 'utf8');
    assert.ok(page.indexOf('>Claims</h2>') < page.indexOf('>Sanity flags</h2>'));
    assert.ok(page.includes('<p>claim &lt;1&gt;</p>'));
    assert.ok(!page.includes('data-chart="layer-sigma-epochs"'));
    assert.match(page, /Not drawn \(no rows to plot\): Per-layer σ during training/);
  });

  test('sections: empty tables give notes instead of empty tables', () => {
    const sections = defaultReportSections(emptyTables(), []);
    const markup = sections.map((s) => s.body.markup).join('\n');
    assert.ok(!markup.includes('<table'));
    assert.match(markup, /No sanity flags raised/);
    assert.match(markup, /No runs in results\.csv/);
  });
});

const haveChromium = existsSync(CHROMIUM);
// Locally a missing browser is a skip; under CI it must be a failure, not a silent pass.
const skipBrowser =
  !haveChromium && !process.env.CI ? `${CHROMIUM} not found (apt-get install chromium); runs under CI` : false;

describe('report in headless Chromium', { skip: skipBrowser }, () => {
  test('every chart renders to SVG with marks, no console or page errors, no network', { timeout: 180_000 }, async () => {
    assert.ok(haveChromium, `${CHROMIUM} is required under CI (apt-get install chromium)`);
    const dir = tempDir();
    const tables = hostileTables();
    const charts = await renderCharts(dir, tables);
    assert.equal(charts.length, CHARTS.length);
    const file = await writeReport(dir, tables, charts);

    const context = await chromium.launchPersistentContext(tempDir(), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      const remote: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) remote.push(r.url());
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      await page.waitForFunction(() => 'lipbenchCharts' in window, undefined, { timeout: 30_000 });
      await page.evaluate(() => (window as unknown as { lipbenchCharts: Promise<unknown> }).lipbenchCharts);

      const rendered = await page.$$eval('[data-chart]', (els) =>
        els.map((el) => ({
          name: el.getAttribute('data-chart'),
          state: el.getAttribute('data-state'),
          svgs: el.querySelectorAll('svg').length,
          marks: el.querySelectorAll('svg path, svg line, svg circle, svg rect').length,
          text: el.querySelectorAll('svg text').length,
        })),
      );
      assert.deepEqual(
        rendered.map((r) => r.name),
        CHARTS.map((c) => c.name),
      );
      for (const r of rendered) {
        assert.equal(r.state, 'rendered', `${r.name} not rendered`);
        assert.ok(r.svgs > 0, `${r.name}: no <svg>`);
        assert.ok(r.marks > 20, `${r.name}: only ${r.marks} marks`);
        assert.ok(r.text > 5, `${r.name}: only ${r.text} text elements`);
      }
      assert.equal(await page.evaluate(() => 'pwned' in window || '__pwned' in window), false, 'injected markup ran');
      // The summary opens the page, with one row per method and 95% intervals on the accuracies.
      const firstSection = await page.$eval('section', (el) => el.id);
      assert.equal(firstSection, 'summary');
      const summaryRows = await page.$$eval('#summary table.summary tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
      assert.equal(summaryRows.length, new Set(tables.results.map((r) => `${r.method} ${r.lambda}`)).size);
      for (const row of summaryRows) assert.match(row, /\d+\.\d% ?\[\d+\.\d%, \d+\.\d%\]/, `no interval in summary row: ${row}`);
      const findings = await page.$$eval('#summary ul.findings li', (lis) => lis.length);
      assert.equal(findings, CHARTS.length, 'one sentence per chart');
      assert.ok((await page.locator('#attacks td .ci').count()) > 0, 'interval lines in the attack tables');
      assert.equal(await page.locator('section img').count(), 0);
      assert.deepEqual(problems, []);
      assert.deepEqual(remote, []);
    } finally {
      await context.close();
    }
  });
});
