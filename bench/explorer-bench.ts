/**
 * `npx tsx bench/explorer-bench.ts [--reps N] [--backend wasm|webgl|cpu] [--results <dir>]`
 *
 * Wall time of a 40-step PGD-L∞ (ε = 0.3, random start) on one MNIST test digit, as the
 * explorer page runs it (createAttack + runAttack in the page, model read back through
 * window.__lipbench), in this machine's headless Chromium on the wasm backend, for the
 * default experiment's MLP (mlp-256x256) and the default CNN (cnn-32x64-d128). Both
 * models are freshly initialized (the timing depends on the architecture, not the
 * weights). Prints the median and range over N runs after one warm-up, and the page's
 * load time. Targets from issue 20: < 200 ms (MLP), < 1 s (CNN).
 *
 * With --results <dir>, times the saved models of that results folder instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { initBackend } from '../src/node/backend.js';
import { explorerContent, writeExplorerFiles, type ExplorerModelSource } from '../src/explorer-build/write.js';
import { buildModel, ModelSpec, modelLabel } from '../src/models/index.js';
import { saveModel } from '../src/node/model-files.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '10' }, backend: { type: 'string', default: 'wasm' }, results: { type: 'string' } } });
const reps = Number(values.reps);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'lipbench-explorer-bench-'));

async function freshModels(): Promise<ExplorerModelSource[]> {
  await initBackend('cpu');
  const specs = [ModelSpec.parse({ kind: 'mlp', hidden: [256, 256] }), ModelSpec.parse({ kind: 'cnn' })];
  const out: ExplorerModelSource[] = [];
  for (const spec of specs) {
    const label = modelLabel(spec);
    const dir = path.join(tmp, label);
    await saveModel(buildModel(spec, [28, 28, 1], 10, 0), dir);
    out.push({
      modelDir: dir, runId: label, label, method: 'none', lambda: 0, model: label, seed: 0, dataset: 'mnist',
      testAcc: null, lipUpper: null, lipLowerGrad: null, certified: [], layers: [], powerIteration: { tol: 1e-5, maxIters: 1000, seed: 17 },
    });
  }
  return out;
}

try {
  const content = values.results
    ? explorerContent(values.results)
    : { experiment: 'explorer-bench', description: 'untrained models, for timing', models: await freshModels(), configAttacks: [], notes: [] };
  const written = await writeExplorerFiles(tmp, content);
  const ctx = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error(`pageerror: ${e.message}`));
    const t0 = Date.now();
    await page.goto(`${pathToFileURL(written.file).href}?backend=${values.backend}`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
    const loadMs = Date.now() - t0;
    const backend = await page.evaluate(() => (window as unknown as { __lipbench: { state(): { backend: string } } }).__lipbench.state().backend);
    console.log(`page ready in ${loadMs} ms (first model loaded, digit 0 analysed), backend ${backend}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    await page.selectOption('#attack-select', 'pgd-linf');
    await page.fill('#eps', '0.3');
    await page.dispatchEvent('#eps', 'input');
    await page.fill('#steps', '40');
    await page.dispatchEvent('#steps', 'change');
    for (const m of content.models) {
      const times = await page.evaluate(
        async ([id, n]) => {
          const h = (window as unknown as { __lipbench: { selectModel(r: string): Promise<unknown>; time(n: number): Promise<number[]> } }).__lipbench;
          await h.selectModel(id as string);
          return h.time(n as number);
        },
        [m.runId, reps] as const,
      );
      const sorted = [...times].sort((a, b) => a - b);
      const med = sorted[Math.floor(sorted.length / 2)]!;
      console.log(`${m.label.padEnd(16)} PGD-L∞ 40 steps, 1 input: median ${med.toFixed(0)} ms (min ${sorted[0]!.toFixed(0)}, max ${sorted.at(-1)!.toFixed(0)}, ${reps} runs)`);
    }
    console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await ctx.close();
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
