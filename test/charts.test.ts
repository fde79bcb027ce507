import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Resvg } from '@resvg/resvg-js';
import { chooseFont } from '../src/charts/fonts.js';
import { compileChart, renderCharts, renderSvg, svgToPng } from '../src/charts/render.js';
import {
  CHARTS,
  accuracyByMethodSpec,
  boundLoosenessSpec,
  buildChartSpecs,
  layerSigmaSpec,
  lipVsAttackSuccessSpec,
  lipVsGapSpec,
  robustAccVsEpsSpec,
} from '../src/charts/specs.js';
import type { ResultTables } from '../src/charts/tables.js';
import { bracketingLogAxis } from '../src/charts/common.js';
import type { TopLevelSpec } from '../src/charts/vl-types.js';
import { emptyTables, syntheticTables } from './chartsFixture.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function specOf(tables: ResultTables, name: string): TopLevelSpec | null {
  const def = CHARTS.find((c) => c.name === name);
  assert.ok(def, `no chart named ${name}`);
  return def.build(tables);
}

/** The inline data rows of a spec (top level, or per layer for layered specs). */
function dataValues(spec: TopLevelSpec): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    if ('data' in node && typeof node.data === 'object' && node.data !== null && 'values' in node.data) {
      out.push(...(node.data.values as Record<string, unknown>[]));
    }
    if ('layer' in node && Array.isArray(node.layer)) node.layer.forEach(visit);
    if ('hconcat' in node && Array.isArray(node.hconcat)) node.hconcat.forEach(visit);
    if ('vconcat' in node && Array.isArray(node.vconcat)) node.vconcat.forEach(visit);
  };
  visit(spec);
  return out;
}

const BARE_FIELDS = new Set(['lip', 'lipMin', 'acc', 'sigma', 'value', 'lo', 'eps', 'success', 'gapAcc', 'gapLoss', 'epoch', 'run']);

interface AxisLike {
  orient?: unknown;
  title?: unknown;
  labels?: unknown;
}

/** All axis definitions in a compiled Vega spec, however deeply nested in groups. */
function collectAxes(node: unknown): AxisLike[] {
  if (typeof node !== 'object' || node === null) return [];
  const own = 'axes' in node && Array.isArray(node.axes) ? (node.axes as AxisLike[]) : [];
  const nested = Object.values(node).flatMap((v) => (Array.isArray(v) ? v.flatMap(collectAxes) : collectAxes(v)));
  return [...own, ...nested];
}

function countMarks(svg: string): number {
  return (svg.match(/<(path|line|circle|rect)\b/g) ?? []).length;
}

function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

describe('chart specs', () => {
  const tables = syntheticTables();

  test('every chart is built from the synthetic tables', () => {
    const built = buildChartSpecs(tables, CHARTS);
    assert.deepEqual(
      built.map((b) => b.def.name),
      ['lip-vs-gap', 'lip-vs-attack-success', 'robust-acc-vs-eps', 'certified-vs-empirical', 'bound-looseness', 'layer-sigma-epochs', 'local-lipschitz', 'accuracy-by-method'],
    );
    for (const b of built) assert.ok(b.spec, `${b.def.name} was skipped`);
  });

  for (const def of CHARTS) {
    test(`${def.name}: compiles with no vega-lite warnings and has a title and axis titles`, () => {
      const spec = def.build(tables);
      assert.ok(spec);
      const { vega, warnings } = compileChart(spec);
      assert.deepEqual(warnings, []);
      assert.ok(vega.marks && vega.marks.length > 0, 'compiled spec has no marks');
      assert.ok(typeof spec.title === 'object' && spec.title !== null && 'text' in spec.title && spec.title.text !== '');
      // Every labelled x axis needs a human title; a bare field name ("lip") is not one.
      const axes = collectAxes(vega).filter((a) => a.labels !== false);
      assert.ok(axes.length > 0, 'no labelled axes');
      for (const a of axes) {
        if (a.orient === 'bottom') assert.ok(typeof a.title === 'string' && a.title.length > 3, `x axis title ${String(a.title)}`);
        if (typeof a.title === 'string') assert.ok(!BARE_FIELDS.has(a.title), `bare field name as axis title: ${a.title}`);
      }
    });

    test(`${def.name}: pure (same output twice, frozen input not mutated)`, () => {
      const input = deepFreeze(syntheticTables());
      const before = structuredClone(input);
      const a = def.build(input);
      const b = def.build(input);
      assert.deepEqual(a, b);
      assert.deepEqual(input, before);
      // No shared objects between results: editing one spec must not change the next.
      assert.ok(a && b);
      const snapshot = structuredClone(b);
      Object.assign(a.config ?? {}, { background: 'red' });
      assert.deepEqual(def.build(input), snapshot);
    });

    test(`${def.name}: skipped (null) on empty tables`, () => {
      assert.equal(def.build(emptyTables()), null);
    });
  }

  test('lip-vs-gap: one point per (regularizer, λ), folded over seeds', () => {
    const values = dataValues(lipVsGapSpec(tables.results)!);
    assert.equal(values.length, 6);
    for (const v of values) assert.equal(v.seeds, 2);
    const none = values.find((v) => v.regularizer === 'none')!;
    const runs = tables.results.filter((r) => r.regularizer === 'none');
    assert.equal(none.lipMin, Math.min(...runs.map((r) => r.lipUpper!)));
    assert.equal(none.lipMax, Math.max(...runs.map((r) => r.lipUpper!)));
    // Plotted in percentage points.
    assert.ok(Math.abs((none.gapAcc as number) - (100 * (runs[0]!.gapAcc + runs[1]!.gapAcc)) / 2) < 1e-9);
  });

  test('lip-vs-gap: rows without an upper bound are dropped; none left → skipped', () => {
    const results = tables.results.map((r) => (r.regularizer === 'l2' ? { ...r, lipUpper: null } : r));
    const values = dataValues(lipVsGapSpec(results)!);
    assert.ok(values.every((v) => v.regularizer !== 'l2'));
    assert.equal(values.length, 4);
    assert.equal(lipVsGapSpec(tables.results.map((r) => ({ ...r, lipUpper: null }))), null);
    // A bound of 0 cannot be placed on a log axis either.
    assert.equal(lipVsGapSpec(tables.results.map((r) => ({ ...r, lipUpper: 0 }))), null);
  });

  test('lip-vs-attack-success: ε = 0 skipped, one panel per (norm, ε > 0), worst case over the norm\'s attacks', () => {
    const values = dataValues(lipVsAttackSuccessSpec(tables.results, tables.attacks)!);
    const panels = new Set(values.map((v) => v.panel));
    const normEps = new Set(tables.attacks.filter((a) => a.eps > 0).map((a) => `${a.norm} ${a.eps}`));
    assert.equal(panels.size, normEps.size);
    assert.ok([...panels].every((p) => !String(p).endsWith('ε=0')));
    // Per point: the largest success among the norm's attacks (the fixture's PGD beats FGSM).
    const none = tables.attacks.filter((a) => a.regularizer === 'none' && a.norm === 'linf' && a.eps === 0.1);
    const worst = none.filter((a) => a.seed === none[0]!.seed).reduce((w, a) => (a.robustAcc < w.robustAcc ? a : w));
    const point = values.find((v) => v.panel === 'ℓ∞ ε=0.1' && v.series === 'none')!;
    assert.equal(point.attacks, worst.attack);
    const onlyZero = tables.attacks.filter((a) => a.eps === 0);
    assert.equal(lipVsAttackSuccessSpec(tables.results, onlyZero), null);
    assert.equal(lipVsAttackSuccessSpec([], tables.attacks), null);
  });

  test('robust-acc-vs-eps: certified accuracy only for L2, as its own dashed measure', () => {
    const values = dataValues(robustAccVsEpsSpec(tables.attacks)!);
    const certified = values.filter((v) => String(v.measure).startsWith('certified'));
    assert.ok(certified.length > 0);
    assert.ok(certified.every((v) => String(v.panel).startsWith('pgd-l2')));
    const spec = JSON.stringify(robustAccVsEpsSpec(tables.attacks));
    assert.ok(spec.includes('"strokeDash"'));
    // Without any L2 rows there is no certified series and no dash legend entry for it.
    const linf = robustAccVsEpsSpec(tables.attacks.filter((a) => a.norm === 'linf'))!;
    assert.ok(dataValues(linf).every((v) => !String(v.measure).startsWith('certified')));
  });

  test('bound-looseness: null bounds filtered per kind, not per run', () => {
    const values = dataValues(boundLoosenessSpec(tables.results)!);
    const kinds = (runId: string): unknown[] => values.filter((v) => v.runId === runId && 'bound' in v).map((v) => v.bound);
    assert.equal(kinds('none-0-s1').length, 7);
    assert.equal(kinds('none-0-s2').length, 6, 'lipLowerPgd is null for this run');
    assert.equal(kinds('l2-0.0001-s1').length, 6, 'lipUpperReshaped is null for this run');
    const allNull = tables.results.map((r) => ({
      ...r,
      lipUpper: null,
      lipUpperFrobenius: null,
      lipUpperReshaped: null,
      lipLowerGrad: null,
      lipLowerPgd: null,
      lipLocalInterp: null,
      lipLocalNoise: null,
    }));
    assert.equal(boundLoosenessSpec(allNull), null);
  });

  test('bound-looseness: a reshaped product equal to the operator product (dense-only) is not drawn under it, and the subtitle says so', () => {
    const dense = tables.results.map((r) => ({ ...r, lipUpperReshaped: r.lipUpper }));
    const spec = boundLoosenessSpec(dense)!;
    assert.ok(dataValues(spec).every((v) => v.bound !== 'reshaped-kernel product (not sound)'));
    assert.ok(!JSON.stringify(spec).includes('reshaped-kernel product (not sound)'), 'no legend entry without marks');
    assert.match(JSON.stringify(spec.title), /reshaped-kernel product = operator-norm product on every run/);
    // Where it differs (conv layers), it is drawn.
    assert.ok(dataValues(boundLoosenessSpec(tables.results)!).some((v) => v.bound === 'reshaped-kernel product (not sound)'));
  });

  test('log axes bracket the data: a tick at or below the smallest value and at or above the largest', () => {
    for (const values of [[11.85, 16.82, 17.3], [1.007, 10.88], [0.55, 2000], [3, 3]]) {
      const { scale, axis } = bracketingLogAxis(values);
      assert.ok(axis && scale.domain, `no ticks for ${values}`);
      assert.ok(axis.values[0]! <= Math.min(...values) && axis.values.at(-1)! >= Math.max(...values), `${axis.values} vs ${values}`);
      assert.deepEqual(scale.domain, [axis.values[0], axis.values.at(-1)]);
      assert.ok(axis.values.length >= 3, `${axis.values}`);
    }
    const spec = JSON.stringify(lipVsGapSpec(tables.results));
    const min = Math.min(...tables.results.map((r) => r.lipUpper!));
    const ticks = (JSON.parse(spec).hconcat[0].layer.at(-1).encoding.x.axis.values as number[]);
    assert.ok(ticks[0]! <= min, 'lip-vs-gap: the smallest bound lies inside the labelled range');
  });

  test('layer-sigma-epochs: layers keep network order, not name order', () => {
    const spec = layerSigmaSpec(tables.epochs)!;
    const values = dataValues(spec);
    const order = new Map(values.map((v) => [v.layer, v.layerOrder]));
    assert.deepEqual([...order.entries()], [
      ['dense_1', 0],
      ['dense_2', 1],
      ['dense_10', 2],
    ]);
    assert.equal(values.length, 3 * 6 * 5);
  });

  test('series mixing models are labelled apart, not averaged together', () => {
    const other = tables.results.map((r) => ({ ...r, model: 'cnn', runId: `cnn-${r.runId}` }));
    const values = dataValues(lipVsGapSpec([...tables.results, ...other])!);
    assert.equal(values.length, 12);
    assert.ok(values.some((v) => String(v.series).startsWith('cnn ')));
  });
});

test('a single-seed experiment renders every chart without vega runtime warnings', async () => {
  // Range layers filtered down to nothing used to make vega warn "Infinite extent".
  const t = syntheticTables();
  const one = { results: t.results.filter((r) => r.seed === t.results[0]!.seed), attacks: t.attacks.filter((r) => r.seed === t.results[0]!.seed), layers: t.layers.filter((r) => r.seed === t.results[0]!.seed), epochs: t.epochs.filter((r) => r.seed === t.results[0]!.seed) };
  assert.ok(one.results.length > 0 && one.results.length < t.results.length);
  for (const { def, spec } of buildChartSpecs(one, CHARTS)) {
    assert.ok(spec, def.name);
    const { warnings } = await renderSvg(compileChart(spec).vega);
    assert.deepEqual(warnings, [], `${def.name}: vega runtime warnings`);
  }
});

describe('chart rendering', () => {
  const tables = syntheticTables();
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const { def, spec } of buildChartSpecs(tables, CHARTS)) {
    test(`${def.name}: SVG has marks and text, PNG is a legible image`, async () => {
      assert.ok(spec);
      const { svg, warnings } = await renderSvg(compileChart(spec).vega);
      assert.deepEqual(warnings, [], 'vega runtime warnings');
      assert.ok(svg.startsWith('<svg'), 'not an SVG');
      assert.ok(countMarks(svg) > 20, `only ${countMarks(svg)} mark elements`);
      assert.ok(svg.includes('<text'), 'no text in SVG');
      const { png, warnings: pngWarnings } = svgToPng(svg);
      assert.deepEqual(pngWarnings, []);
      assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
      const { width, height } = pngSize(png);
      assert.ok(width >= 800 && width <= 6000, `PNG width ${width}`);
      assert.ok(height >= 300 && height <= 6000, `PNG height ${height}`);
      assert.ok(png.byteLength > 20_000, `PNG only ${png.byteLength} bytes`);
    });
  }

  test('the PNG font setup draws text (resvg draws nothing without a font)', () => {
    const font = chooseFont();
    assert.equal(font.warning, null, font.warning ?? '');
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30"><text x="5" y="20" font-family="sans-serif" font-size="16">λ ε σ text</text></svg>';
    const pixels = new Resvg(svg, { font: font.options, background: 'white' }).render().pixels;
    let dark = 0;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i]! < 128) dark++;
    assert.ok(dark > 50, `only ${dark} dark pixels: text was not drawn`);
  });

  test('renderCharts writes .vl.json/.svg/.png for each chart and leaves no temp files', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lipbench-charts-'));
    dirs.push(dir);
    const logged: string[] = [];
    const charts = await renderCharts(dir, tables, { log: (m) => logged.push(m) });
    assert.deepEqual(
      charts.map((c) => c.name),
      CHARTS.map((c) => c.name),
    );
    const files = readdirSync(path.join(dir, 'charts')).sort();
    assert.equal(files.length, CHARTS.length * 3);
    assert.ok(files.every((f) => /\.(vl\.json|svg|png)$/.test(f)), files.join(', '));
    for (const c of charts) {
      assert.deepEqual(c.warnings, []);
      const spec: unknown = JSON.parse(readFileSync(path.join(dir, c.files.spec), 'utf8'));
      assert.deepEqual(spec, JSON.parse(JSON.stringify(c.spec)));
      assert.deepEqual([...readFileSync(path.join(dir, c.files.png)).subarray(0, 8)], PNG_SIGNATURE);
      assert.ok(readFileSync(path.join(dir, c.files.svg), 'utf8').startsWith('<svg'));
    }
    assert.deepEqual(logged, []);
  });

  test('renderCharts skips charts without rows and removes their stale files', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lipbench-charts-'));
    dirs.push(dir);
    await renderCharts(dir, tables);
    const logged: string[] = [];
    const charts = await renderCharts(dir, { ...tables, epochs: [] }, { log: (m) => logged.push(m) });
    assert.ok(!charts.some((c) => c.name === 'layer-sigma-epochs'));
    assert.equal(charts.length, CHARTS.length - 1);
    assert.ok(!existsSync(path.join(dir, 'charts', 'layer-sigma-epochs.png')));
    assert.ok(logged.some((m) => m.includes('layer-sigma-epochs') && m.includes('skipped')));
    assert.deepEqual(await renderCharts(dir, emptyTables()), []);
    assert.deepEqual(readdirSync(path.join(dir, 'charts')), []);
  });
});

test('λ labels: shown for λ > 0, omitted for methods without one (λ recorded as 0)', async () => {
  const { lambdaLabel } = await import('../src/charts/common.js');
  assert.equal(lambdaLabel({ regularizer: 'l2', lambda: 0.0005 }), 'λ=0.0005');
  assert.equal(lambdaLabel({ regularizer: 'spectral-norm', lambda: 0 }), '');
  assert.equal(lambdaLabel({ regularizer: 'none', lambda: 0 }), '');
});

test('accuracy-by-method: distinct tick labels on a narrow accuracy range; accuracy in %, gap in pp, with Wilson bars', async () => {
  // mnist-quick's accuracies spanned 97.6–97.9%, which a `.1%` axis printed as 97.7% twice.
  const narrow = syntheticTables().results.map((r, i) => ({ ...r, testAcc: 0.976 + (i % 4) * 0.001, testSize: 10000 }));
  const spec = accuracyByMethodSpec(narrow)!;
  const { svg } = await renderSvg(compileChart(spec).vega);
  const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!).filter((t) => /^-?\d+(\.\d+)?$/.test(t));
  const groups = [labels.filter((t) => Number(t) > 50), labels.filter((t) => Number(t) <= 50)];
  for (const g of groups) {
    assert.ok(g.length >= 3, `too few tick labels: ${g.join(' ')}`);
    assert.equal(new Set(g).size, g.length, `duplicate tick labels: ${g.join(' ')}`);
  }
  assert.match(svg, /test accuracy \(%\)/);
  assert.match(svg, /gap \(percentage points\)/);
  assert.ok(!svg.includes('fraction of test points'));
  const bars = dataValues(spec).filter((v) => typeof v.lo === 'number');
  assert.equal(bars.length, narrow.length, 'one Wilson bar per run');
  for (const b of bars) assert.ok((b.lo as number) < (b.value as number) && (b.value as number) < (b.hi as number));
});
