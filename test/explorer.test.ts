/**
 * The explorer page (src/explorer): MNIST-style preprocessing of drawings, the bundle's
 * refusal of Node built-ins, and, in headless Chromium from file://, the page against a
 * model this test trains: it lists the models, predicts a drawn "1" as 1, flips a test
 * digit with PGD-L∞ at ε = 0.3 inside the ε-ball and [0,1], and shows the certified
 * radius that the harness's certificate code computes in Node for the same input.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { initBackend } from '../src/node/backend.js';
import { parseExperiment, expandRuns } from '../src/config/experiment.js';
import { loadMnist } from '../src/node/mnist.js';
import { buildPageBundle } from '../src/explorer-build/bundle.js';
import { EXPLORER_ASSETS_DIR } from '../src/explorer/manifest.js';
import { MNIST_BOX, MNIST_SIDE, toMnistDigit } from '../src/explorer/preprocess.js';
import { contradiction } from '../src/explorer/page/views.js';
import { explorerSection } from '../src/charts/explorer-section.js';
import { writeExplorer } from '../src/explorer-build/write.js';
import { marginLowerBounds } from '../src/lipschitz/bound-propagation.js';
import { lipschitzUpperBounds } from '../src/lipschitz/bounds.js';
import { chainOps } from '../src/lipschitz/chain-ops.js';
import { certifiedRadii } from '../src/lipschitz/empirical.js';
import { lipschitzRadii } from '../src/lipschitz/pairwise.js';
import { loadModel } from '../src/node/model-files.js';
import { toLogitModel } from '../src/models/logit-head.js';
import { renderResults } from '../src/pipeline/render-results.js';
import { runExperiment } from '../src/pipeline/run-experiment.js';
import { readTables } from '../src/results/csv.js';
import { RunStore } from '../src/results/run-store.js';
import { runCli } from './helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const dirs: string[] = [];
function tempDir(prefix = 'lipbench-explorer-'): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Bounding box and centre of mass of a 28×28 image. */
function geometry(x: Float32Array): { w: number; h: number; cx: number; cy: number } {
  let x0 = 99, x1 = -1, y0 = 99, y1 = -1, m = 0, mx = 0, my = 0;
  for (let y = 0; y < MNIST_SIDE; y++) {
    for (let xx = 0; xx < MNIST_SIDE; xx++) {
      const v = x[y * MNIST_SIDE + xx]!;
      if (v <= 0) continue;
      x0 = Math.min(x0, xx); x1 = Math.max(x1, xx); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      m += v; mx += v * (xx + 0.5); my += v * (y + 0.5);
    }
  }
  return { w: x1 - x0 + 1, h: y1 - y0 + 1, cx: mx / m, cy: my / m };
}

/** An ink image with a filled ellipse-ish blob and a bar: asymmetric, so the centre of mass is not the box centre. */
function sketch(side: number, ox: number, oy: number, s: number): Float32Array {
  const ink = new Float32Array(side * side);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const u = (x - ox) / s;
      const v = (y - oy) / s;
      const blob = (u - 0.3) ** 2 + (v - 0.3) ** 2 < 0.04;
      const bar = u >= 0 && u <= 0.08 && v >= 0 && v <= 1;
      if (blob || bar) ink[y * side + x] = 1;
    }
  }
  return ink;
}

describe('drawing preprocessing', () => {
  test('the ink is scaled to a 20-pixel box and its centre of mass lands at the centre of the 28×28 field', () => {
    for (const [ox, oy, s] of [[20, 30, 200], [150, 10, 90], [5, 180, 60]] as const) {
      const d = toMnistDigit(sketch(280, ox, oy, s), 280, 280);
      const g = geometry(d);
      assert.ok(Math.max(g.w, g.h) <= MNIST_BOX && Math.max(g.w, g.h) >= MNIST_BOX - 1, `box ${g.w}×${g.h}`);
      // The shift is whole pixels (as MNIST's), so the centre of mass is within half a pixel.
      assert.ok(Math.abs(g.cx - MNIST_SIDE / 2) <= 0.5 + 1e-9 && Math.abs(g.cy - MNIST_SIDE / 2) <= 0.5 + 1e-9, `centre of mass (${g.cx}, ${g.cy})`);
      assert.ok(d.every((v) => v >= 0 && v <= 1));
    }
  });

  test('where and how large the digit is drawn does not matter; an empty pad gives zeros', () => {
    const a = toMnistDigit(sketch(280, 10, 10, 100), 280, 280);
    const b = toMnistDigit(sketch(280, 120, 60, 100), 280, 280);
    assert.deepEqual(Array.from(a), Array.from(b), 'translation changed the digit');
    const big = toMnistDigit(sketch(280, 10, 10, 200), 280, 280);
    const diff = a.reduce((s, v, i) => s + Math.abs(v - big[i]!), 0) / a.reduce((s, v) => s + v, 0);
    assert.ok(diff < 0.25, `scaling by 2 changed ${(100 * diff).toFixed(0)}% of the ink`);
    assert.ok(toMnistDigit(new Float32Array(100 * 100), 100, 100).every((v) => v === 0));
    assert.throws(() => toMnistDigit(new Float32Array(10), 4, 4), /10 values for a 4×4 image/);
  });
});

describe('certificate check', () => {
  const out = (flipped: boolean, l2: number) => ({ eps: 1, norm: 'l2' as const, xAdv: new Float32Array(1), flipped, linf: l2, l2, ms: 1 });
  test('a flip with ‖δ‖₂ inside either certified radius is reported; one outside, or no flip, is not', () => {
    const cert = { global: 0.4, pairwise: 0.5 };
    assert.match(contradiction(cert, out(true, 0.45)) ?? '', /inside the pairwise certified ℓ2 radius 0\.5000/);
    assert.match(contradiction(cert, out(true, 0.3)) ?? '', /inside the global certified ℓ2 radius 0\.4000/);
    assert.equal(contradiction(cert, out(true, 0.5)), null);
    assert.equal(contradiction(cert, out(false, 0.1)), null);
    assert.equal(contradiction({ global: null, pairwise: null }, out(true, 0)), null);
    // CROWN radii: ℓ2 against ‖δ‖₂, ℓ∞ against ‖δ‖∞.
    assert.match(contradiction({ global: null, pairwise: null }, out(true, 0.05), { linf: 0.1 }) ?? '', /CROWN certified ℓ∞ radius 0\.1000/);
    assert.match(contradiction({ global: null, pairwise: null }, out(true, 0.6), { l2: 0.7 }) ?? '', /CROWN certified ℓ2 radius 0\.7000/);
    assert.equal(contradiction({ global: 0.1, pairwise: 0.1 }, out(true, 0.2), { l2: 0.2, linf: 0.2 }), null);
  });
});

describe('explorer bundle', () => {
  test('a Node built-in imported by lipbench code fails the bundle, naming the importer', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const entry = path.join(dir, 'uses-fs.ts');
    writeFileSync(entry, "import fs from 'node:fs';\nconsole.log(fs.existsSync('x'));\n");
    await assert.rejects(buildPageBundle(entry), (e: Error) => /Node built-in "node:fs" imported by .*uses-fs\.ts/.test(e.message));
  });
});

describe('lipbench explore', () => {
  test('a folder without results.csv: one line naming it, exit 2, nothing written', () => {
    const dir = tempDir();
    const r = runCli(['explore', dir]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.ok(r.stderr.includes(dir), r.stderr);
    assert.deepEqual(readdirSync(dir), []);
  });
});

const haveChromium = existsSync(CHROMIUM);
const skipBrowser = !haveChromium && !process.env.CI ? `${CHROMIUM} not found (apt-get install chromium); runs under CI` : false;

interface PageState {
  backend: string;
  model: string | null;
  models: { runId: string; label: string; method: string }[];
  input: { x: number[]; label: number | null; source: string; index: number | null } | null;
  prediction: number | null;
  target: number | null;
  certified: { global: number | null; pairwise: number | null } | null;
  last: { eps: number; norm: string; flipped: boolean; xAdv: number[]; linf: number; l2: number; prediction: number } | null;
  errors: string[];
  numTensors: number;
}

const state = (page: Page): Promise<PageState> => page.evaluate(() => (window as unknown as { __lipbench: { state(): PageState } }).__lipbench.state());

describe('explorer in headless Chromium', { skip: skipBrowser }, () => {
  let results = '';
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const remote: string[] = [];

  before(async () => {
    assert.ok(haveChromium, `${CHROMIUM} is required under CI (apt-get install chromium)`);
    const backend = await initBackend('auto');
    // Small but real: enough MNIST for ~95% accuracy in a few seconds.
    const cfg = parseExperiment('explorer-test', {
      name: 'explorer-test',
      data: { trainSize: 8000, testSize: 200 },
      models: [{ kind: 'mlp', hidden: [64] }],
      methods: [{ name: 'none' }, { name: 'spectral-norm' }],
      train: { epochs: 3, batchSize: 64, optimizer: { name: 'adam', learningRate: 3e-3 } },
      attacks: [{ name: 'pgd-l2', eps: [0, 0.5, 1], steps: 5 }],
      attackSize: 50,
      lipschitz: { gradPoints: 50, certificates: ['pairwise'] },
    });
    const root = tempDir();
    const s = await runExperiment({ source: 'explorer-test', config: cfg, runs: expandRuns('explorer-test', cfg) }, { resultsRoot: root, backend, log: () => {}, progress: false });
    assert.equal(s.failed, 0);
    results = path.join(root, 'explorer-test');
    const w = await writeExplorer(results);
    assert.equal(w.models, 2);

    context = await chromium.launchPersistentContext(tempDir(), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) remote.push(r.url());
    });
    await page.goto(`${pathToFileURL(w.file).href}?backend=wasm`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
  });

  after(async () => {
    await context?.close();
  });

  test('loads offline from file:// with no console errors and lists every model of results.csv', async () => {
    const s = await state(page);
    assert.equal(s.backend, 'wasm');
    const runs = readTables(results).results;
    assert.deepEqual(s.models.map((m) => m.runId).sort(), runs.map((r) => r.runId).sort());
    const labels = await page.$$eval('table.models tbody label', (ls) => ls.map((l) => l.textContent));
    assert.deepEqual(labels.sort(), runs.map((r) => r.method).sort());
    assert.ok(existsSync(path.join(results, EXPLORER_ASSETS_DIR, 'explorer.js')));
    assert.deepEqual(problems, []);
    assert.deepEqual(remote, []);
  });

  test('a "1" drawn with the mouse is predicted as 1 by every model', async () => {
    for (const m of (await state(page)).models) {
      await page.check(`input[name=model][value="${m.runId}"]`);
      await page.waitForFunction((id) => (window as unknown as { __lipbench: { state(): PageState } }).__lipbench.state().model === id, m.runId);
      await page.click('#clear');
      // Clicking scrolls the page: measure the pad afterwards.
      await page.locator('canvas.pad').scrollIntoViewIfNeeded();
      const box = (await page.locator('canvas.pad').boundingBox())!;
      // A slightly slanted vertical stroke, top to bottom.
      await page.mouse.move(box.x + 150, box.y + 40);
      await page.mouse.down();
      for (let i = 1; i <= 20; i++) await page.mouse.move(box.x + 150 - i * 1.5, box.y + 40 + i * 10);
      await page.mouse.up();
      await page.waitForFunction(() => (window as unknown as { __lipbench: { state(): PageState } }).__lipbench.state().input?.source === 'drawn');
      const s = await state(page);
      assert.equal(s.prediction, 1, `${m.label}: drawn 1 predicted as ${s.prediction}`);
      assert.equal(s.target, 1, 'a drawing is attacked away from its prediction');
    }
    // Labelled by the user as a 7, the same drawing is misclassified: nothing is certified.
    await page.selectOption('#drawn-label', '7');
    await page.waitForFunction(() => (window as unknown as { __lipbench: { state(): PageState } }).__lipbench.state().target === 7);
    const labelled = await state(page);
    assert.equal(labelled.input!.label, 7);
    assert.equal(labelled.prediction, 1);
    assert.deepEqual(labelled.certified, { global: 0, pairwise: 0 });
    await page.selectOption('#drawn-label', '');
    assert.deepEqual(problems, []);
  });

  test('PGD-L∞ at ε = 0.3 flips a test digit of the unregularized model, inside the ε-ball and [0,1]; the certificate is not contradicted', async () => {
    const none = (await state(page)).models.find((m) => m.method === 'none')!;
    await page.check(`input[name=model][value="${none.runId}"]`);
    // Keyboard: focus the strip's first digit, move right, select with Enter.
    await page.focus('#strip button.digit[tabindex="0"]');
    // ArrowDown lands on the digit right below (the strip wraps by layout).
    const cols = await page.$$eval('#strip button.digit', (bs) => bs.filter((b) => (b as HTMLElement).offsetTop === (bs[0] as HTMLElement).offsetTop).length);
    await page.keyboard.press('ArrowDown');
    const below = await page.evaluate(() => [(document.activeElement as HTMLElement).dataset['index'], (document.activeElement as HTMLElement).offsetLeft === (document.querySelector('#strip button.digit') as HTMLElement).offsetLeft]);
    assert.deepEqual(below, [String(cols), true]);
    // Right, up a row, left, right: back on the first row, at digit 1.
    for (const key of ['ArrowRight', 'ArrowUp', 'ArrowLeft', 'ArrowRight']) await page.keyboard.press(key);
    const focused = await page.evaluate(() => (document.activeElement as HTMLElement).dataset['index']);
    assert.equal(focused, '1', 'arrow keys lost their way in the strip');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (window as unknown as { __lipbench: { state(): PageState } }).__lipbench.state().input?.index === 1);
    const before = await state(page);
    assert.equal(before.prediction, before.input!.label, 'pick a digit the model gets right');
    await page.selectOption('#attack-select', 'pgd-linf');
    await page.fill('#eps', '0.3');
    await page.dispatchEvent('#eps', 'input');
    await page.fill('#steps', '40');
    await page.dispatchEvent('#steps', 'change');
    await page.click('#run');
    await page.waitForFunction(() => (window as unknown as { __lipbench: { state(): PageState } }).__lipbench.state().last !== null, undefined, { timeout: 60_000 });
    const s = await state(page);
    const last = s.last!;
    assert.equal(last.norm, 'linf');
    assert.equal(last.eps, 0.3);
    assert.ok(last.flipped, 'PGD-L∞ at 0.3 did not flip an unregularized MLP');
    assert.notEqual(last.prediction, s.input!.label);
    const x = s.input!.x;
    let linf = 0;
    for (let i = 0; i < x.length; i++) {
      assert.ok(last.xAdv[i]! >= 0 && last.xAdv[i]! <= 1, `pixel ${i} = ${last.xAdv[i]} outside [0,1]`);
      linf = Math.max(linf, Math.abs(last.xAdv[i]! - x[i]!));
    }
    // float32: 0.3 is stored as 0.30000001.
    assert.ok(linf <= 0.3 + 1e-6, `‖δ‖∞ = ${linf} > ε`);
    assert.ok(linf > 0.05, 'the attack barely moved');
    // A flip at ‖δ‖₂ below a certified radius would be a contradiction the page must show.
    assert.ok(last.l2 >= Math.max(s.certified!.global!, s.certified!.pairwise!));
    assert.deepEqual(s.errors, []);
    // No tensor leaks across attacks.
    await page.click('#run');
    await page.waitForFunction(() => !(document.getElementById('run') as HTMLButtonElement).disabled);
    const again = await state(page);
    await page.click('#run');
    await page.waitForFunction(() => !(document.getElementById('run') as HTMLButtonElement).disabled);
    assert.equal((await state(page)).numTensors, again.numTensors);
    assert.deepEqual(problems, []);
  });

  test('the certified radii shown equal the harness certificate code run in Node on the same input and model', { timeout: 120_000 }, async () => {
    const tables = readTables(results);
    const store = new RunStore(results);
    const data = loadMnist({ trainSize: 1, testSize: 12 });
    try {
      for (const run of tables.results) {
        const head = await toLogitModel(await loadModel(store.modelJson(run.runId)));
        const bounds = lipschitzUpperBounds(head.model, { tol: 1e-5, maxIters: 1000, seed: run.seed + 17 });
        let compared = 0;
        for (const i of [3, 7, 11]) {
          const s = (await page.evaluate(([id, k]) => (window as unknown as { __lipbench: { selectModel(r: string): Promise<unknown>; selectTestDigit(k: number): Promise<PageState> } }).__lipbench.selectModel(id as string).then(() => (window as unknown as { __lipbench: { selectTestDigit(k: number): Promise<PageState> } }).__lipbench.selectTestDigit(k as number)), [run.runId, i] as const));
          const x = tf.slice(data.test.x, i, 1);
          const y = tf.slice(data.test.y, i, 1);
          // The page's input is the same image the harness loads.
          assert.deepEqual(Array.from(s.input!.x), Array.from(x.dataSync()));
          const global = certifiedRadii(head.model, x, y, run.lipUpper!)[0]!;
          const pairwise = lipschitzRadii(head.model, bounds, x, y).pairwise[0]!;
          tf.dispose([x, y]);
          const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.abs(b) + 1e-6;
          assert.ok(close(s.certified!.global!, global, 1e-4), `${run.method} digit ${i}: page global ${s.certified!.global} vs harness ${global}`);
          assert.ok(close(s.certified!.pairwise!, pairwise, 1e-3), `${run.method} digit ${i}: page pairwise ${s.certified!.pairwise} vs harness ${pairwise}`);
          if (global > 0) compared++;
        }
        assert.ok(compared > 0, `${run.method}: every compared radius was 0`);
        // The table on the page shows the same number.
        const shown = await page.$eval('table.cert tbody tr td.num', (td) => td.textContent);
        const last = await state(page);
        assert.equal(Number(shown), Number(last.certified!.global!.toFixed(4)));
        head.model.dispose();
      }
    } finally {
      tf.dispose([data.train.x, data.train.y, data.test.x, data.test.y]);
    }
    assert.deepEqual(problems, []);
  });

  test('the CROWN radii shown agree with the harness bound propagation in Node, and no attack flips inside them', { timeout: 120_000 }, async () => {
    const run = readTables(results).results.find((r) => r.method === 'none')!;
    const i = 5;
    await page.evaluate(([id, k]) => {
      const h = (window as unknown as { __lipbench: { selectModel(r: string): Promise<unknown>; selectTestDigit(k: number): Promise<unknown> } }).__lipbench;
      return h.selectModel(id as string).then(() => h.selectTestDigit(k as number));
    }, [run.runId, i] as const);
    await page.click('#crown');
    await page.waitForFunction(() => (window as unknown as { __lipbench: { state(): { crown: unknown } } }).__lipbench.state().crown !== null, undefined, { timeout: 60_000 });
    const crown = (await page.evaluate(() => (window as unknown as { __lipbench: { state(): { crown: unknown } } }).__lipbench.state().crown)) as { l2: number; l2RefutedAt: number | null; linf: number; linfRefutedAt: number | null };
    assert.ok(crown.l2 > 0 && crown.linf > 0, `nothing certified: ${JSON.stringify(crown)}`);
    const head = await toLogitModel(await loadModel(new RunStore(results).modelJson(run.runId)));
    const chain = chainOps(head.model);
    const data = loadMnist({ trainSize: 1, testSize: i + 1 });
    const x = tf.slice(data.test.x, i, 1);
    const y = tf.slice(data.test.y, i, 1);
    try {
      const lb = (norm: 'l2' | 'linf', eps: number) => marginLowerBounds(chain, x, y, { norm, eps }, 'crown')[0]!;
      // 1% either side of the page's bracket absorbs float differences between the backends.
      for (const norm of ['l2', 'linf'] as const) {
        const r = norm === 'l2' ? crown.l2 : crown.linf;
        const refuted = norm === 'l2' ? crown.l2RefutedAt : crown.linfRefutedAt;
        assert.ok(lb(norm, r * 0.99) > 0, `${norm}: the harness does not certify 0.99 × the page's radius ${r}`);
        assert.ok(refuted !== null && lb(norm, refuted * 1.01) <= 0, `${norm}: the harness certifies beyond the page's bracket ${refuted}`);
      }
    } finally {
      chain.dispose();
      head.model.dispose();
      tf.dispose([x, y, data.train.x, data.train.y, data.test.x, data.test.y]);
    }
    // The smallest flipping ε∞ PGD finds is outside the CROWN ℓ∞ radius.
    await page.selectOption('#attack-select', 'pgd-linf');
    await page.click('#flip');
    await page.waitForFunction(() => (window as unknown as { __lipbench: { state(): { flip: unknown } } }).__lipbench.state().flip !== null, undefined, { timeout: 60_000 });
    const s = (await page.evaluate(() => (window as unknown as { __lipbench: { state(): unknown } }).__lipbench.state())) as { flip: { eps: number | null }; errors: string[] };
    assert.ok(s.flip.eps !== null && s.flip.eps >= crown.linf, `PGD flipped at ε∞ = ${s.flip.eps} inside the CROWN radius ${crown.linf}`);
    assert.deepEqual(s.errors, []);
    assert.deepEqual(problems, []);
  });

  test('the report links to the explorer when one sits beside it, and only then', async () => {
    await renderResults(results, () => {});
    const report = readFileSync(path.join(results, 'report.html'), 'utf8');
    assert.match(report, /<a href="explorer\.html">explorer\.html<\/a>/);
    assert.match(report, /<li><a href="#explorer">Explorer<\/a><\/li>/);
    assert.equal(explorerSection(tempDir()), null);
  });

  test('the page bundle has no remote URLs to load and the written page references only local assets', () => {
    const html = readFileSync(path.join(results, 'explorer.html'), 'utf8');
    assert.ok(!/(src|href)="https?:/.test(html));
  });
});
