/**
 * Turns the chart catalogue into files: Vega-Lite → Vega (compile warnings collected,
 * never printed to the console behind our back) → headless SVG → PNG via resvg.
 * Everything goes to <resultsDir>/charts/<name>.{vl.json,svg,png}, each file atomically.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import type { LoggerInterface, Spec as VegaSpec } from 'vega';
import { compile } from 'vega-lite';
import { chooseFont } from './fonts.js';
import { buildChartSpecs, CHARTS, type ChartDef } from './specs.js';
import type { ResultTables } from './tables.js';
import type { TopLevelSpec } from './vl-types.js';
import { writeFileAtomic } from '../util/atomic.js';

/** Where warnings go; the default (none) keeps them only in the returned records. */
export type ChartLog = (message: string) => void;

export interface CollectingLogger {
  logger: LoggerInterface;
  warnings: string[];
  errors: string[];
}

/**
 * A vega/vega-lite logger that records warnings and errors instead of printing them.
 * Built from closures, not a class: vega calls the methods detached from the object.
 */
export function collectingLogger(): CollectingLogger {
  const warnings: string[] = [];
  const errors: string[] = [];
  let level = vega.Warn;
  const logger: LoggerInterface = {
    level(next?: number) {
      if (next === undefined) return level;
      level = next;
      return logger;
    },
    error(...args: unknown[]) {
      errors.push(args.map(String).join(' '));
      return logger;
    },
    warn(...args: unknown[]) {
      warnings.push(args.map(String).join(' '));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return { logger, warnings, errors };
}

export interface CompiledChart {
  vega: VegaSpec;
  /** vega-lite compile warnings, e.g. dropped channels or invalid scale types. */
  warnings: string[];
}

export function compileChart(spec: TopLevelSpec): CompiledChart {
  const log = collectingLogger();
  const { spec: vgSpec } = compile(spec, { logger: log.logger });
  return { vega: vgSpec, warnings: [...log.errors, ...log.warnings] };
}

export interface SvgResult {
  svg: string;
  /** Dataflow warnings at render time, e.g. non-positive values on a log scale. */
  warnings: string[];
}

export async function renderSvg(vgSpec: VegaSpec): Promise<SvgResult> {
  const log = collectingLogger();
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', logger: log.logger, logLevel: vega.Warn });
  try {
    const svg = await view.toSVG();
    return { svg, warnings: [...log.errors, ...log.warnings] };
  } finally {
    view.finalize();
  }
}

export interface PngResult {
  png: Uint8Array;
  warnings: string[];
}

/** scale 2 so that 11px axis labels stay sharp when the PNG is shown at full size. */
export function svgToPng(svg: string, scale = 2): PngResult {
  const font = chooseFont();
  const resvg = new Resvg(svg, {
    font: font.options,
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    textRendering: 1,
    shapeRendering: 2,
    logLevel: 'off',
  });
  return { png: new Uint8Array(resvg.render().asPng()), warnings: font.warning ? [font.warning] : [] };
}

export interface RenderedChart {
  name: string;
  title: string;
  description: string;
  spec: TopLevelSpec;
  /** Paths relative to resultsDir, with forward slashes so they work as URLs. */
  files: { spec: string; svg: string; png: string };
  warnings: string[];
}

export interface RenderOptions {
  log?: ChartLog;
  /** PNG zoom factor relative to the SVG's CSS pixels. */
  pngScale?: number;
}

export const CHARTS_DIR = 'charts';

/**
 * Renders every chart that has data and returns the ones written. Files of charts
 * that are now skipped are removed, so charts/ never shows a plot from older rows.
 */
export async function renderCharts(resultsDir: string, tables: ResultTables, options: RenderOptions = {}): Promise<RenderedChart[]> {
  return renderCatalogue(resultsDir, CHARTS, tables, options);
}

/** renderCharts for any catalogue of chart definitions and the data they are drawn from (the WGAN charts use it too). */
export async function renderCatalogue<T>(
  resultsDir: string,
  catalogue: readonly ChartDef<T>[],
  data: T,
  options: RenderOptions = {},
): Promise<RenderedChart[]> {
  const log = options.log ?? ((): void => {});
  const written: RenderedChart[] = [];
  for (const { def, spec } of buildChartSpecs(data, catalogue)) {
    const files = {
      spec: `${CHARTS_DIR}/${def.name}.vl.json`,
      svg: `${CHARTS_DIR}/${def.name}.svg`,
      png: `${CHARTS_DIR}/${def.name}.png`,
    };
    const abs = (rel: string): string => path.join(resultsDir, ...rel.split('/'));
    if (spec === null) {
      log(`chart ${def.name}: skipped, no rows to draw`);
      await Promise.all(Object.values(files).map((f) => rm(abs(f), { force: true })));
      continue;
    }
    const compiled = compileChart(spec);
    const { svg, warnings: renderWarnings } = await renderSvg(compiled.vega);
    const { png, warnings: pngWarnings } = svgToPng(svg, options.pngScale);
    const warnings = [...compiled.warnings, ...renderWarnings, ...pngWarnings];
    for (const w of warnings) log(`chart ${def.name}: ${w}`);
    writeFileAtomic(abs(files.spec), `${JSON.stringify(spec, null, 2)}\n`);
    writeFileAtomic(abs(files.svg), svg);
    writeFileAtomic(abs(files.png), png);
    written.push({ name: def.name, title: def.title, description: def.description, spec, files, warnings });
  }
  return written;
}
