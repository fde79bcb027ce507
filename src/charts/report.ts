/**
 * report.html: one page that opens offline from the results folder. Charts are drawn
 * in the browser by vega-embed from copies of the vega bundles in report-assets/ (no
 * CDN, so an archived results folder still renders), with the specs inlined in the page
 * because browsers refuse fetch() of sibling files over file://.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RenderedChart } from './render.js';
import { CHARTS } from './specs.js';
import type { ResultTables } from './tables.js';
import { html, jsonForScript, rawHtml } from './html.js';
import { attackTableSection, runTableSection, sanityFlagsSection } from './report-sections.js';
import type { ReportSection } from './html.js';
import { writeFileAtomic } from '../util/atomic.js';
import { settingsSection, type SavedConfig } from './settings.js';
import { summarySection } from './summary.js';

export type { ReportSection } from './html.js';

export const REPORT_FILE = 'report.html';
export const ASSETS_DIR = 'report-assets';

/** Browser bundles, in load order: vega-embed expects the globals `vega` and `vegaLite`. */
const BUNDLES: readonly { pkg: string; file: string }[] = [
  { pkg: 'vega', file: 'build/vega.min.js' },
  { pkg: 'vega-lite', file: 'build/vega-lite.min.js' },
  { pkg: 'vega-embed', file: 'build/vega-embed.min.js' },
];

/** The bundles are not in the packages' `exports`, so find each package root on disk. */
function packageRoot(pkg: string): string {
  const require = createRequire(import.meta.url);
  let dir = path.dirname(require.resolve(pkg));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && 'name' in parsed && parsed.name === pkg) return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package root of ${pkg}`);
    dir = parent;
  }
}

/** Copies the bundles next to the report; returns their paths relative to resultsDir. */
export async function copyReportAssets(resultsDir: string): Promise<string[]> {
  const written: string[] = [];
  for (const b of BUNDLES) {
    const name = path.basename(b.file);
    writeFileAtomic(path.join(resultsDir, ASSETS_DIR, name), await readFile(path.join(packageRoot(b.pkg), b.file)));
    written.push(`${ASSETS_DIR}/${name}`);
  }
  return written;
}

/**
 * The drawn charts, and the catalogue's charts that were not drawn. The catalogue is a
 * parameter because the classifier and WGAN reports draw from different lists.
 */
export function chartsSection(charts: readonly RenderedChart[], catalogue: readonly { name: string; title: string }[]): ReportSection {
  const drawn = new Set(charts.map((c) => c.name));
  const skipped = catalogue.filter((c) => !drawn.has(c.name));
  const figures = charts.map(
    (c) => html`<figure class="chart-figure" id="figure-${c.name}">
<figcaption><h3>${c.title}</h3><p>${c.description}</p></figcaption>
<div class="chart" data-chart="${c.name}"></div>
<script type="application/json" id="spec-${c.name}">${jsonForScript(c.spec)}</script>
<p class="files">Static copies: <a href="${c.files.png}">PNG</a> · <a href="${c.files.svg}">SVG</a> · <a href="${c.files.spec}">Vega-Lite spec</a></p>
${c.warnings.length > 0 ? html`<ul class="warnings">${c.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ''}
</figure>\n`,
  );
  const skippedNote =
    skipped.length > 0
      ? html`<p class="note">Not drawn (no rows to plot): ${skipped.map((c) => c.title).join(', ')}.</p>`
      : '';
  return { id: 'charts', title: 'Charts', body: html`${figures}${skippedNote}` };
}

/**
 * Sections in reading order; a "Claims" section can be spliced in by the caller.
 * `saved` is the config.json beside the CSVs (null when absent) for the settings.
 */
export function defaultReportSections(tables: ResultTables, charts: readonly RenderedChart[], saved: SavedConfig | null = null): ReportSection[] {
  return [
    summarySection(tables, charts),
    sanityFlagsSection(tables.results, tables.attacks),
    chartsSection(charts, CHARTS),
    runTableSection(tables.results),
    attackTableSection(tables.attacks, tables.results),
    settingsSection(tables.results, tables.attacks, saved),
  ];
}

/** `1 seed`, `3 seeds`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const STYLE = rawHtml(`
body { font-family: system-ui, -apple-system, "DejaVu Sans", sans-serif; margin: 2rem auto; max-width: 1400px; padding: 0 1rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
nav ul { display: flex; gap: 1.2rem; list-style: none; padding: 0; }
section { margin-top: 2.5rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.id { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.8rem; }
tr.flag td, td.flag { background: #fde2e1; } .flag-summary { color: #a40000; font-weight: bold; }
.ok { color: #1a7f37; } .note, .files, .empty { color: #666; font-size: 0.85rem; }
figure { margin: 1.5rem 0; } figcaption h3 { margin-bottom: 0.2rem; } figcaption p { margin-top: 0; color: #555; }
.chart { overflow-x: auto; } .chart-error { color: #a40000; }
ul.warnings { color: #8a5300; font-size: 0.85rem; }
dl.settings { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; font-size: 0.9rem; } dl.settings dt { color: #555; } dl.settings dd { margin: 0; }
td .ci { display: block; color: #666; font-size: 0.75rem; } td .cert { color: #7a3e00; margin-top: 0.15rem; } ul.findings li { margin: 0.3rem 0; }
`);

/**
 * Draws each chart container from its inline spec. Failures are shown in place and
 * logged, and `window.lipbenchCharts` settles when all are done (tests wait on it).
 */
const EMBED_SCRIPT = rawHtml(`
(function () {
  var containers = Array.prototype.slice.call(document.querySelectorAll('[data-chart]'));
  function fail(el, message) {
    el.setAttribute('data-state', 'error');
    el.innerHTML = '';
    var p = document.createElement('p');
    p.className = 'chart-error';
    p.textContent = message;
    el.appendChild(p);
    console.error(message);
  }
  window.lipbenchCharts = Promise.all(containers.map(function (el) {
    var name = el.getAttribute('data-chart');
    if (typeof vegaEmbed !== 'function') {
      fail(el, 'Chart ' + name + ' not drawn: ${ASSETS_DIR}/ scripts are missing.');
      return Promise.resolve();
    }
    var spec = JSON.parse(document.getElementById('spec-' + name).textContent);
    return vegaEmbed(el, spec, { renderer: 'svg', actions: false }).then(
      function () { el.setAttribute('data-state', 'rendered'); },
      function (err) { fail(el, 'Chart ' + name + ' failed: ' + (err && err.message ? err.message : err)); }
    );
  }));
})();
`);

export interface ReportPage {
  title: string;
  /** Free text under the title, e.g. experiment, dataset, model. */
  meta: string;
  sections: readonly ReportSection[];
  /** Script paths relative to the page. */
  scripts: readonly string[];
}

export function renderReportHtml(page: ReportPage): string {
  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title}</title>
<style>${STYLE}</style>
${page.scripts.map((s) => html`<script src="${s}"></script>\n`)}</head>
<body>
<header><h1>${page.title}</h1><p class="meta">${page.meta}</p></header>
<nav><ul>${page.sections.map((s) => html`<li><a href="#${s.id}">${s.title}</a></li>`)}</ul></nav>
${page.sections.map((s) => html`<section id="${s.id}"><h2>${s.title}</h2>
${s.body}
</section>
`)}<script>${EMBED_SCRIPT}</script>
</body>
</html>
`;
  return doc.markup;
}

export interface WriteReportOptions {
  /** Rearranges or extends the default sections (e.g. to insert "Claims" first). */
  sections?: (defaults: ReportSection[]) => ReportSection[];
  title?: string;
  /** The experiment's saved config.json, for the Settings section. */
  saved?: SavedConfig | null;
}

/** Writes report.html and report-assets/ under resultsDir; returns the report path. */
export async function writeReport(
  resultsDir: string,
  tables: ResultTables,
  charts: readonly RenderedChart[],
  options: WriteReportOptions = {},
): Promise<string> {
  const defaults = defaultReportSections(tables, charts, options.saved ?? null);
  const sections = options.sections ? options.sections(defaults) : defaults;
  const keys = [...tables.results, ...tables.attacks];
  const uniq = (values: string[]): string => [...new Set(values)].sort().join(', ');
  const experiment = uniq(keys.map((k) => k.experiment)) || path.basename(path.resolve(resultsDir));
  const scripts = await copyReportAssets(resultsDir);
  const meta = [
    `dataset ${uniq(keys.map((k) => k.dataset)) || '—'}`,
    `model ${uniq(keys.map((k) => k.model)) || '—'}`,
    plural(tables.results.length, 'run'),
    plural(new Set(tables.results.map((r) => r.seed)).size, 'seed'),
  ].join(' · ');
  const file = path.join(resultsDir, REPORT_FILE);
  writeFileAtomic(file, renderReportHtml({ title: options.title ?? `lipbench report: ${experiment}`, meta, sections, scripts }));
  return file;
}

