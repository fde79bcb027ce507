/**
 * Everything derived from wgan.csv alone: the verdict table (wgan-verdicts.csv), the
 * charts (charts/wgan-*.{vl.json,svg,png}) and results/<exp>/report.html, built with
 * the classifier report's helpers (renderReportHtml, copyReportAssets, the html
 * template). Sample grids are referenced by the paths stored in the CSV.
 */
import fs from 'node:fs';
import path from 'node:path';
import { meanInterval } from '../claims/stats.js';
import { html, type Html } from '../charts/html.js';
import { renderCatalogue, type RenderedChart } from '../charts/render.js';
import { chartsSection, copyReportAssets, plural, REPORT_FILE, renderReportHtml, type ReportSection } from '../charts/report.js';
import { writeFileAtomic } from '../util/atomic.js';
import { WGAN_CHARTS } from './charts.js';
import { readWganRows, VERDICTS_CSV, WGAN_CSV, writeVerdicts, type VerdictRow, type WganRow } from './rows.js';
import { computeVerdicts } from './verdicts.js';

/** Same shape as the classifier charts, so the report's charts section serves both. */
export type RenderedWganChart = RenderedChart;

export async function renderWganCharts(dir: string, rows: readonly WganRow[]): Promise<RenderedWganChart[]> {
  return renderCatalogue(dir, WGAN_CHARTS, rows);
}

function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return Number(v.toPrecision(digits)).toString();
}

function verdictSection(verdicts: readonly VerdictRow[]): ReportSection {
  const cls = (v: VerdictRow['verdict']) => (v === 'supported' ? 'ok' : v === 'not supported' ? 'flag' : '');
  return {
    id: 'verdicts',
    title: 'Verdicts on the seed post’s claims',
    body: html`<p class="note">Rule (fixed before the runs): per-seed paired differences, oriented so that a positive value favours the claim; 95% Student-t interval of their mean; above 0 → supported, below 0 → not supported, otherwise inconclusive. Rows are also in <a href="${VERDICTS_CSV}">${VERDICTS_CSV}</a>.</p>
<table><thead><tr><th>Claim</th><th>Metric</th><th>Comparison</th><th>Baseline mean</th><th>Candidate mean</th><th>Mean difference</th><th>95% interval</th><th>Seeds</th><th>Verdict</th></tr></thead><tbody>
${verdicts.map(
  (v) => html`<tr><td>${v.claim}</td><td>${v.metric}</td><td>${v.comparison}</td><td class="num">${fmt(v.baselineMean, 4)}</td><td class="num">${fmt(v.candidateMean, 4)}</td><td class="num">${fmt(v.difference, 3)}</td><td class="num">[${fmt(v.lo, 3)}, ${fmt(v.hi, 3)}]</td><td class="num">${v.seeds}</td><td class="${cls(v.verdict)}"><strong>${v.verdict}</strong></td></tr>\n`,
)}</tbody></table>`,
  };
}

function lastRows(rows: readonly WganRow[]): WganRow[] {
  const byRun = new Map<string, WganRow>();
  for (const r of rows) {
    const prev = byRun.get(r.runId);
    if (!prev || r.epoch > prev.epoch) byRun.set(r.runId, r);
  }
  return [...byRun.values()].sort((a, b) => a.variant.localeCompare(b.variant) || a.seed - b.seed);
}

function ivText(xs: number[], digits = 3): string {
  const iv = meanInterval(xs.filter((x) => Number.isFinite(x)));
  if (iv.n === 0) return '—';
  return iv.n > 1 ? `${fmt(iv.mean, digits)} [${fmt(iv.lo, digits)}, ${fmt(iv.hi, digits)}]` : fmt(iv.mean, digits);
}

function summarySection(rows: readonly WganRow[]): ReportSection {
  const finals = lastRows(rows);
  const variants = [...new Set(finals.map((r) => r.variant))];
  const trained = rows.filter((r) => r.epoch >= 1);
  const body = html`<p class="note">Mean over seeds (runs) with the 95% t-interval in brackets; per-epoch times are first averaged within each run. Seconds are wall-clock training time on a shared machine (evaluation excluded).</p>
<table><thead><tr><th>Variant</th><th>Seeds</th><th>Epochs</th><th>Final FD</th><th>Final confidence</th><th>Final class entropy</th><th>s / epoch</th><th>ms / critic step</th><th>ms / generator step</th><th>Total training s</th><th>Final Lipschitz upper</th><th>Final max ‖∇D‖ (interp.)</th></tr></thead><tbody>
${variants.map((v) => {
  const f = finals.filter((r) => r.variant === v);
  // Per-epoch quantities: the mean over each run's epochs first, then the interval over runs.
  const perRun = (get: (r: WganRow) => number | null): number[] =>
    f.map((last) => {
      const xs = trained.filter((r) => r.runId === last.runId).map(get).filter((x): x is number => x !== null && Number.isFinite(x));
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
    });
  return html`<tr><td>${v}</td><td class="num">${f.length}</td><td class="num">${Math.max(...f.map((r) => r.epoch))}</td><td class="num">${ivText(f.map((r) => r.frechet ?? NaN))}</td><td class="num">${ivText(f.map((r) => r.confidence ?? NaN))}</td><td class="num">${ivText(f.map((r) => r.classEntropy ?? NaN))}</td><td class="num">${ivText(perRun((r) => r.epochSeconds))}</td><td class="num">${ivText(perRun((r) => (r.secondsPerCriticStep === null ? null : r.secondsPerCriticStep * 1000)))}</td><td class="num">${ivText(perRun((r) => (r.secondsPerGeneratorStep === null ? null : r.secondsPerGeneratorStep * 1000)))}</td><td class="num">${ivText(f.map((r) => r.trainSeconds))}</td><td class="num">${ivText(f.map((r) => r.lipUpper ?? NaN))}</td><td class="num">${ivText(f.map((r) => r.lipLowerInterp ?? NaN))}</td></tr>\n`;
})}</tbody></table>`;
  return { id: 'summary', title: 'Per-variant summary', body };
}

function samplesSection(dir: string, rows: readonly WganRow[]): ReportSection {
  const finals = lastRows(rows);
  const byRun = new Map<string, WganRow[]>();
  for (const r of rows) byRun.set(r.runId, [...(byRun.get(r.runId) ?? []), r]);
  const cell = (r: WganRow): Html =>
    fs.existsSync(path.join(dir, r.samples))
      ? html`<figure style="display:inline-block;margin:0.5rem"><img src="${r.samples}" alt="samples ${r.variant} seed ${r.seed} epoch ${r.epoch}" width="242"><figcaption>${r.variant} · seed ${r.seed} · epoch ${r.epoch} · FD ${fmt(r.frechet)}</figcaption></figure>`
      : html`<p class="empty">${r.samples} missing</p>`;
  return {
    id: 'samples',
    title: 'Samples (8×8 grids from fixed noise)',
    body: html`<div>${finals.map(cell)}</div>
<details><summary>Every evaluated epoch</summary>${[...byRun.values()].map((run) => html`<div>${run.sort((a, b) => a.epoch - b.epoch).map(cell)}</div>`)}</details>`,
  };
}

export interface WganReportOutput {
  readonly report: string;
  readonly verdicts: VerdictRow[];
  readonly charts: RenderedWganChart[];
}

/** Verdicts CSV, charts and report.html for a WGAN results folder, from wgan.csv only. */
export async function renderWganResults(dir: string, log: (l: string) => void = () => {}): Promise<WganReportOutput> {
  const rows = readWganRows(dir);
  const verdicts = computeVerdicts(rows);
  writeVerdicts(dir, verdicts);
  const charts = await renderWganCharts(dir, rows);
  for (const c of charts) for (const w of c.warnings) log(`chart ${c.name}: ${w}`);
  const scripts = await copyReportAssets(dir);
  const exp = [...new Set(rows.map((r) => r.experiment))].join(', ') || path.basename(path.resolve(dir));
  const meta = [plural(new Set(rows.map((r) => r.runId)).size, 'run'), `variants ${[...new Set(rows.map((r) => r.variant))].join(', ')}`, plural(new Set(rows.map((r) => r.seed)).size, 'seed'), `backend ${[...new Set(rows.map((r) => r.backend))].join(', ')}`, `data: ${WGAN_CSV}`].join(' · ');
  const sections = [verdictSection(verdicts), summarySection(rows), chartsSection(charts, WGAN_CHARTS), samplesSection(dir, rows)];
  const file = path.join(dir, REPORT_FILE);
  writeFileAtomic(file, renderReportHtml({ title: `lipbench WGAN report: ${exp}`, meta, sections, scripts }));
  return { report: file, verdicts, charts };
}
