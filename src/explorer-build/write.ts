/**
 * explorer.html beside a results folder's report: the page, its bundle, the tfjs wasm
 * binaries, the saved models and a strip of test digits, all as scripts in
 * explorer-assets/ so the page works offline from file:// (see manifest.ts).
 *
 * Reads the CSVs, config.json and the saved models' files; loads no model and needs no
 * tfjs backend, so `lipbench charts` stays usable on results copied from elsewhere.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isAttackName, resolvedAttackOptions } from '../attacks/index.js';
import { UserError } from '../util/errors.js';
import { mnistFiles } from '../node/mnist.js';
import { parseIdx } from '../data/idx.js';
import { readSavedConfig } from '../pipeline/render-results.js';
import { ensureDir, writeFileAtomic } from '../util/atomic.js';
import { readTables, type Tables } from '../results/csv.js';
import { RunStore } from '../results/run-store.js';
import { pageBundle } from './bundle.js';
import {
  assetScript,
  EXPLORER_ASSETS_DIR,
  EXPLORER_FILE,
  type CertifiedAt,
  type DigitsAsset,
  type ExplorerAttack,
  type ExplorerManifest,
  type ExplorerModel,
  type ModelAsset,
} from '../explorer/manifest.js';
import { explorerHtml } from './html.js';

/** Test digits shipped with the page: enough to browse, small enough to load at once (~0.3 MB). */
export const STRIP_SIZE = 300;

/** The attacks the page offers, in menu order; the ensembles come last. */
const PAGE_ATTACKS: readonly { name: string; label: string }[] = [
  { name: 'fgsm', label: 'FGSM' },
  { name: 'pgd-linf', label: 'PGD-L∞' },
  { name: 'pgd-l2', label: 'PGD-L2' },
  { name: 'apgd-ce-linf', label: 'APGD-CE L∞' },
  { name: 'apgd-ce-l2', label: 'APGD-CE L2' },
  { name: 'autoattack-linf', label: 'AutoAttack ensemble L∞' },
  { name: 'autoattack-l2', label: 'AutoAttack ensemble L2' },
];

const require = createRequire(import.meta.url);

function wasmBinary(file: string): Buffer {
  return fs.readFileSync(require.resolve(`@tensorflow/tfjs-backend-wasm/dist/${file}`));
}

/** The first `n` MNIST test images (file order: the points the harness attacks) as uint8. */
export function mnistStrip(n: number): DigitsAsset {
  const files = mnistFiles();
  const images = parseIdx(fs.readFileSync(files.testImages), files.testImages, 3);
  const labels = parseIdx(fs.readFileSync(files.testLabels), files.testLabels, 1);
  const [, h, w] = images.dims as [number, number, number];
  const count = Math.min(n, images.dims[0]!);
  return {
    count,
    shape: [h, w, 1],
    pixelsBase64: Buffer.from(images.data.subarray(0, count * h * w)).toString('base64'),
    labelsBase64: Buffer.from(labels.data.subarray(0, count)).toString('base64'),
  };
}

function pageAttacks(configAttacks: readonly { name: string; options?: Record<string, unknown> }[]): ExplorerAttack[] {
  return PAGE_ATTACKS.filter((a) => isAttackName(a.name)).map(({ name, label }) => {
    const fromConfig = configAttacks.find((c) => c.name === name)?.options ?? {};
    const { steps, ...options } = fromConfig;
    const resolved = resolvedAttackOptions(name, fromConfig);
    const hasSteps = 'steps' in resolved;
    const norm = name === 'fgsm' || name.endsWith('linf') ? 'linf' : 'l2';
    return { name, label, norm, options, hasSteps, defaultSteps: typeof steps === 'number' ? steps : typeof resolved['steps'] === 'number' ? resolved['steps'] : 1 };
  });
}

function certifiedRows(tables: Tables, runId: string): CertifiedAt[] {
  const byEps = new Map<number, CertifiedAt>();
  for (const a of tables.attacks) {
    if (a.runId !== runId || a.norm !== 'l2' || byEps.has(a.eps)) continue;
    // The certificate columns depend on (run, ε) only: every attack row at that ε has the same values.
    if (a.certifiedAcc === null && (a.certifiedPairwiseAcc ?? null) === null) continue;
    byEps.set(a.eps, { eps: a.eps, global: a.certifiedAcc ?? null, pairwise: a.certifiedPairwiseAcc ?? null, crown: a.certifiedCrownAcc ?? null });
  }
  return [...byEps.values()].sort((p, q) => p.eps - q.eps);
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export interface ExplorerWritten {
  readonly file: string;
  readonly models: number;
  readonly bundleCached: boolean;
  readonly seconds: number;
}

/** A model to list: what the page shows about it, and the folder holding model.json. */
export type ExplorerModelSource = Omit<ExplorerModel, 'key' | 'file'> & { readonly modelDir: string };

export interface ExplorerContent {
  readonly experiment: string;
  readonly description: string;
  readonly models: readonly ExplorerModelSource[];
  /** The experiment's attack specs, whose options become the page's defaults. */
  readonly configAttacks: readonly { name: string; options?: Record<string, unknown> }[];
  readonly notes: readonly string[];
}

/** The models of a results folder (runs with a saved model) and the page's notes about it. */
export function explorerContent(dir: string): ExplorerContent {
  let tables: Tables;
  try {
    tables = readTables(dir);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const cfg = readSavedConfig(dir)?.config;
  const lip = cfg?.lipschitz ?? {};
  const store = new RunStore(dir);
  const notes: string[] = [];
  const runs = tables.results.filter((r) => fs.existsSync(store.modelJson(r.runId)));
  const unsaved = tables.results.length - runs.length;
  if (unsaved > 0) notes.push(`${unsaved} run(s) in results.csv have no saved model under runs/<runId>/model/ and are not listed.`);
  const models = runs.map(
    (r): ExplorerModelSource => ({
      modelDir: store.modelDir(r.runId),
      runId: r.runId,
      label: r.lambda ? `${r.method} λ=${r.lambda}` : r.method,
      method: r.method,
      lambda: r.lambda,
      model: r.model,
      seed: r.seed,
      dataset: r.dataset,
      testAcc: r.testAcc ?? null,
      lipUpper: r.lipUpper ?? null,
      lipLowerGrad: r.lipLowerGrad ?? null,
      certified: certifiedRows(tables, r.runId),
      layers: tables.layers.filter((l) => l.runId === r.runId).map((l) => ({ layer: l.layer, kind: l.kind, sigma: l.operatorSigma })),
      powerIteration: { tol: num(lip['tol'], 1e-5), maxIters: num(lip['maxIters'], 1000), seed: r.seed + 17 },
    }),
  );
  return {
    experiment: cfg?.name ?? tables.results[0]?.experiment ?? path.basename(path.resolve(dir)),
    description: cfg?.description ?? '',
    models,
    configAttacks: (cfg?.attacks ?? []) as { name: string; options?: Record<string, unknown> }[],
    notes,
  };
}

/** Writes explorer.html and explorer-assets/ into a results folder; returns the page's path. */
export async function writeExplorer(dir: string, log: (line: string) => void = () => {}): Promise<ExplorerWritten> {
  return writeExplorerFiles(dir, explorerContent(dir), log);
}

/** Writes the page for the given models into `dir` (which need not be a results folder). */
export async function writeExplorerFiles(dir: string, content: ExplorerContent, log: (line: string) => void = () => {}): Promise<ExplorerWritten> {
  const t0 = performance.now();
  const notes = [...content.notes];
  const assets = path.join(dir, EXPLORER_ASSETS_DIR);
  ensureDir(assets);
  const datasets = [...new Set(content.models.map((m) => m.dataset))];
  const offsite = datasets.filter((d) => d !== 'mnist');
  if (offsite.length) notes.push(`Test digits are shipped for MNIST only; models trained on ${offsite.join(', ')} can be attacked on drawings only if they take 28×28 grayscale input.`);

  const models: ExplorerModel[] = [];
  const written = new Set<string>();
  for (const { modelDir, ...meta } of content.models) {
    const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8')) as {
      modelTopology: unknown;
      weightsManifest: { paths: string[]; weights: unknown[] }[];
    };
    const specs = json.weightsManifest.flatMap((g) => g.weights);
    const bytes = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(modelDir, p)))));
    const key = `model-${meta.runId}`;
    const file = `${key}.js`;
    const asset: ModelAsset = { modelTopology: json.modelTopology, weightSpecs: specs, weightsBase64: bytes.toString('base64') };
    writeFileAtomic(path.join(assets, file), assetScript(key, asset));
    written.add(file);
    models.push({ key, file, ...meta });
  }

  let digits: ExplorerManifest['digits'] = null;
  if (datasets.includes('mnist') || datasets.length === 0) {
    const strip = mnistStrip(STRIP_SIZE);
    writeFileAtomic(path.join(assets, 'digits-mnist.js'), assetScript('digits-mnist', strip));
    written.add('digits-mnist.js');
    digits = { key: 'digits-mnist', file: 'digits-mnist.js', dataset: 'mnist', count: strip.count };
  }

  const wasm = {
    simd: { key: 'wasm-simd', file: 'tfjs-backend-wasm-simd.wasm.js' },
    plain: { key: 'wasm-plain', file: 'tfjs-backend-wasm.wasm.js' },
  };
  writeFileAtomic(path.join(assets, wasm.simd.file), assetScript(wasm.simd.key, wasmBinary('tfjs-backend-wasm-simd.wasm').toString('base64')));
  writeFileAtomic(path.join(assets, wasm.plain.file), assetScript(wasm.plain.key, wasmBinary('tfjs-backend-wasm.wasm').toString('base64')));

  const bundle = await pageBundle();
  writeFileAtomic(path.join(assets, 'explorer.js'), bundle.code);

  const manifest: ExplorerManifest = {
    version: 1,
    experiment: content.experiment,
    description: content.description,
    generatedAt: new Date().toISOString(),
    models,
    attacks: pageAttacks(content.configAttacks),
    digits,
    wasm,
    notes,
  };
  writeFileAtomic(path.join(assets, 'manifest.js'), assetScript('manifest', manifest));
  for (const w of [wasm.simd.file, wasm.plain.file, 'explorer.js', 'manifest.js']) written.add(w);
  // Models of runs that are gone (a deleted run folder) would only bloat the folder.
  for (const f of fs.readdirSync(assets)) if (f.startsWith('model-') && f.endsWith('.js') && !written.has(f)) fs.rmSync(path.join(assets, f), { force: true });

  const file = path.join(dir, EXPLORER_FILE);
  writeFileAtomic(file, explorerHtml(manifest.experiment));
  const seconds = (performance.now() - t0) / 1000;
  log(`explorer: ${models.length} model(s), bundle ${bundle.cached ? 'cached' : 'built'}, ${seconds.toFixed(1)} s → ${file}`);
  return { file, models: models.length, bundleCached: bundle.cached, seconds };
}
