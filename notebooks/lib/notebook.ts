/**
 * Small helpers that only the notebooks need: find or make a results folder, render a
 * Vega-Lite spec to SVG with the project's own chart code, turn rows into an HTML
 * table, and draw MNIST digits as a PNG. Everything about experiments, tables, charts,
 * attacks and norms comes from src/; nothing here re-implements it.
 *
 * Loaded into a tslab kernel through notebooks/lib/load-src.cjs (tsx, ESM), like src/;
 * type-checked with the project's own tsc settings (see the report's tsconfig note).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, type BackendChoice, type BackendInfo } from '../../src/node/backend.js';
import { html, type Html } from '../../src/charts/html.js';
import { compileChart, renderSvg, svgToPng } from '../../src/charts/render.js';
import type { TopLevelSpec } from '../../src/charts/vl-types.js';
import { loadExperiment } from '../../src/config/load.js';
import { runExperiment } from '../../src/pipeline/run-experiment.js';
import { readTables, type Tables } from '../../src/results/csv.js';

/** The repo root: paths below are resolved from it, whatever folder the kernel runs in. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The tiny grid the notebooks fall back to, and where it writes. */
export const TINY_EXPERIMENT = path.join(ROOT, 'notebooks', 'tiny-experiment.json');
export const TINY_RESULTS = path.join(ROOT, 'results', 'notebook-tiny');

/** A path as shown to the reader: relative to the repo root. */
export function shortPath(p: string): string {
  return path.relative(ROOT, p) || '.';
}

export interface NotebookResults {
  /** The results folder (absolute). */
  readonly dir: string;
  readonly backend: BackendInfo;
  readonly tables: Tables;
}

/**
 * The results folder a notebook reads: `$LIPBENCH_RESULTS` when set (any
 * `results/<exp>/` folder, relative to the repo root or absolute), otherwise the tiny experiment's folder, which is trained
 * first when it is missing or incomplete (a rerun skips finished runs, so this is
 * cheap once done). The backend is `$LIPBENCH_BACKEND` or the CLI's automatic choice.
 */
export async function notebookResults(log: (line: string) => void = console.log): Promise<NotebookResults> {
  const backend = await initBackend((process.env['LIPBENCH_BACKEND'] ?? 'auto') as BackendChoice);
  const chosen = process.env['LIPBENCH_RESULTS'];
  if (chosen) {
    const dir = path.resolve(ROOT, chosen);
    if (!fs.existsSync(path.join(dir, 'results.csv'))) throw new Error(`LIPBENCH_RESULTS=${chosen}: no results.csv in ${dir}`);
    return { dir, backend, tables: readTables(dir) };
  }
  const loaded = await loadExperiment(TINY_EXPERIMENT);
  const summary = await runExperiment(loaded, {
    resultsRoot: path.dirname(TINY_RESULTS),
    backend,
    progress: false,
    // One line per run and the summary; per-epoch and per-ε lines would drown the cell.
    log: (line) => {
      if (/^\[\d+\/\d+\][^:]*: test acc/.test(line) || / runs \(/.test(line)) log(line);
    },
  });
  if (summary.failed > 0) throw new Error(`${summary.failed} run(s) of ${shortPath(TINY_EXPERIMENT)} failed; see ${shortPath(TINY_RESULTS)}/failures.csv`);
  return { dir: TINY_RESULTS, backend, tables: readTables(TINY_RESULTS) };
}

/** Vega-Lite → Vega → SVG with the same code (and warnings) as `lipbench charts`. */
export async function chartSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compileChart(spec);
  const rendered = await renderSvg(compiled.vega);
  for (const w of [...compiled.warnings, ...rendered.warnings]) console.warn(`chart warning: ${w}`);
  return rendered.svg;
}

/**
 * The chart as PNG (resvg, the project's font choice). Notebooks show this rather than the
 * SVG: nbconvert's HTML export sanitizes inline SVG outputs down to an empty element,
 * while a PNG shows the same in Jupyter, in exported HTML and on GitHub.
 */
export async function chartPng(spec: TopLevelSpec, scale = 1): Promise<Uint8Array> {
  const { png, warnings } = svgToPng(await chartSvg(spec), scale);
  for (const w of warnings) console.warn(`chart warning: ${w}`);
  return png;
}

export type Cell = string | number | boolean | null | undefined;

/** Significant digits for numbers, '—' for missing values. */
export function formatCell(v: Cell, digits = 4): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number(v.toPrecision(digits)).toString();
  return String(v);
}

/** An HTML table of the given columns (all keys of the first row by default). */
export function htmlTable(rows: readonly Record<string, Cell>[], columns?: readonly string[]): Html {
  const cols = columns ?? (rows.length > 0 ? Object.keys(rows[0]!) : []);
  const style = 'border-collapse:collapse;font:12px sans-serif';
  const cell = 'border:1px solid #ddd;padding:2px 6px;text-align:right';
  return html`<table style="${style}"><thead><tr>${cols.map((c) => html`<th style="${cell}">${c}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr>${cols.map((c) => html`<td style="${cell}">${formatCell(r[c])}</td>`)}</tr>\n`)}</tbody></table>`;
}

export interface DigitRow {
  /** One caption per panel, e.g. 'clean: 7'. */
  readonly captions: readonly string[];
  /** One image per panel, h·w values each; grey images are in [0,1], signed ones in [−1,1]. */
  readonly images: readonly Float32Array[];
  /** Per panel: true draws the values as a signed map (blue < 0 < red) instead of grey. */
  readonly signed: readonly boolean[];
  /** Caption colour per panel (e.g. red for a wrong prediction). */
  readonly colors?: readonly string[];
}

function pixelColor(v: number, signed: boolean): string | null {
  if (signed) {
    const t = Math.max(-1, Math.min(1, v));
    if (Math.abs(t) < 1e-3) return null;
    const c = Math.round(255 * (1 - Math.abs(t)));
    return t > 0 ? `rgb(255,${c},${c})` : `rgb(${c},${c},255)`;
  }
  const g = Math.round(255 * (1 - Math.max(0, Math.min(1, v))));
  return g >= 254 ? null : `rgb(${g},${g},${g})`;
}

/**
 * A grid of small images as SVG: one row per example, one panel per image, a caption
 * above each panel. Pixels are rects (white ones are skipped), so it stays small.
 */
export function digitGridSvg(rows: readonly DigitRow[], size: readonly [number, number] = [28, 28], scale = 4): string {
  const [h, w] = size;
  const panels = Math.max(...rows.map((r) => r.images.length));
  const gap = 12;
  const caption = 16;
  const pw = w * scale;
  const ph = h * scale;
  const width = panels * (pw + gap) + gap;
  const height = rows.length * (ph + caption + gap) + gap;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  rows.forEach((row, r) => {
    row.images.forEach((img, p) => {
      const x0 = gap + p * (pw + gap);
      const y0 = gap + r * (ph + caption + gap) + caption;
      const color = row.colors?.[p] ?? '#222';
      parts.push(`<text x="${x0}" y="${y0 - 4}" font-family="sans-serif" font-size="11" fill="${color}">${String(html`${row.captions[p] ?? ''}`)}</text>`);
      parts.push(`<rect x="${x0 - 0.5}" y="${y0 - 0.5}" width="${pw + 1}" height="${ph + 1}" fill="none" stroke="#bbb"/>`);
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < w; j++) {
          const fill = pixelColor(img[i * w + j]!, row.signed[p] ?? false);
          if (fill) parts.push(`<rect x="${x0 + j * scale}" y="${y0 + i * scale}" width="${scale}" height="${scale}" fill="${fill}"/>`);
        }
      }
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The same grid as PNG bytes (resvg, as for the charts): far smaller than the SVG. */
export function digitGridPng(rows: readonly DigitRow[], size: readonly [number, number] = [28, 28], scale = 4): Uint8Array {
  return svgToPng(digitGridSvg(rows, size, scale), 1).png;
}
