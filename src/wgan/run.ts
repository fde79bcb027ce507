/**
 * Runs a WGAN experiment's grid (variant × seed) resumably, like the classifier runs:
 *
 *   results/<exp>/config.json                     resolved config and runs
 *   results/<exp>/runs/<runId>/samples/epoch-NNN.png   8×8 sample grid per evaluated epoch
 *   results/<exp>/runs/<runId>/{generator,critic}/     final models (tfjs format)
 *   results/<exp>/runs/<runId>/record.json        all rows of the run, written last = done
 *   results/<exp>/runs/<runId>/failed.json        why a run failed (skipped unless retryFailed)
 *   results/<exp>/wgan.csv                        rebuilt whole from the records after each run
 *   results/<exp>/wgan-verdicts.csv, charts/, report.html   derived from wgan.csv
 *
 * A lock keeps a second process off the folder; a rerun skips runs with a record, so a
 * kill loses at most the run in progress and never duplicates a row.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import path from 'node:path';
import type { BackendInfo } from '../node/backend.js';
import { tfSeed } from '../util/rng.js';
import { loadMnist } from '../node/mnist.js';
import { saveModel } from '../node/model-files.js';
import { writeFileAtomic } from '../util/atomic.js';
import { acquireLock } from '../results/lock.js';
import { RunFiles } from '../results/run-store.js';
import type { WganRunSpec } from './config.js';
import { evaluateWgan, realReference, type RealReference } from './evaluate.js';
import { featureClassifier } from './feature-classifier.js';
import type { LoadedWganExperiment } from './load.js';
import { encodePngGray, sampleGrid } from './png.js';
import { wganCsvFile, type WganRow } from './rows.js';
import { trainWgan, WganTrainer } from './trainer.js';

export interface WganRunOptions {
  readonly resultsRoot: string;
  readonly backend: BackendInfo;
  readonly log?: (line: string) => void;
  readonly retryFailed?: boolean;
  /** Render verdicts, charts and report.html at the end (default true). */
  readonly report?: boolean;
  /** Tests: cap critic steps per epoch. */
  readonly maxCriticStepsPerEpoch?: number;
}

export interface WganRecord {
  readonly version: 1;
  readonly runId: string;
  readonly spec: WganRunSpec;
  readonly backend: string;
  readonly rows: WganRow[];
}

export interface WganFailure {
  readonly runId: string;
  readonly label: string;
  readonly seed: number;
  readonly reason: string;
}

export interface WganSummary {
  readonly dir: string;
  readonly total: number;
  readonly trained: number;
  readonly skipped: number;
  readonly failed: number;
  readonly seconds: number;
  readonly report?: string;
}

export function samplesPath(runId: string, epoch: number): string {
  return `runs/${runId}/samples/epoch-${String(epoch).padStart(3, '0')}.png`;
}

async function trainOne(
  run: WganRunSpec,
  ctx: { dir: string; trainX: tf.Tensor4D; probe: tfl.LayersModel; real: RealReference; backend: string; log: (l: string) => void; maxCriticStepsPerEpoch?: number },
): Promise<WganRecord> {
  const trainer = new WganTrainer(run);
  const rows: WganRow[] = [];
  try {
    const last = run.train.epochs;
    await trainWgan(trainer, ctx.trainX, {
      log: ctx.log,
      atStart: run.train.evalAtStart,
      ...(ctx.maxCriticStepsPerEpoch !== undefined ? { maxCriticStepsPerEpoch: ctx.maxCriticStepsPerEpoch } : {}),
      onEpoch: (t, s) => {
        if (!(s.epoch === last || s.epoch % run.train.evalEvery === 0)) return;
        const te = performance.now();
        const e = evaluateWgan(t, ctx.probe, ctx.real, {
          samples: run.train.evalSamples,
          lipschitzPoints: run.lipschitz.points,
          tol: run.lipschitz.tol,
          maxIters: run.lipschitz.maxIters,
          noiseSeed: tfSeed(900_000 + run.seed),
        });
        const rel = samplesPath(run.runId, s.epoch);
        const grid = sampleGrid(e.grid, 28, 28, 8, 8);
        writeFileAtomic(path.join(ctx.dir, ...rel.split('/')), encodePngGray(grid.width, grid.height, grid.pixels));
        rows.push({
          runId: run.runId,
          experiment: run.experiment,
          variant: run.label,
          kind: run.variant.kind,
          seed: run.seed,
          epoch: s.epoch,
          criticSteps: s.criticSteps,
          generatorSteps: s.generatorSteps,
          trainSeconds: s.trainSeconds,
          epochSeconds: s.epoch === 0 ? null : s.epochSeconds,
          secondsPerCriticStep: s.secondsPerCriticStep,
          secondsPerGeneratorStep: s.secondsPerGeneratorStep,
          wassersteinTrain: s.wassersteinTrain,
          wassersteinEval: e.wassersteinEval,
          criticLoss: s.criticLoss,
          generatorLoss: s.generatorLoss,
          penalty: s.penalty,
          frechet: e.frechet,
          confidence: e.confidence,
          classEntropy: e.classEntropy,
          lipUpper: e.lipUpper,
          lipUpperReshaped: e.lipUpperReshaped,
          powerIterTol: e.powerIterTol,
          lipLowerReal: e.lipLowerReal,
          lipLowerFake: e.lipLowerFake,
          lipLowerInterp: e.lipLowerInterp,
          gradNormMeanInterp: e.gradNormMeanInterp,
          backend: ctx.backend,
          samples: rel,
        });
        ctx.log(
          `  eval epoch ${s.epoch}: FD ${e.frechet.toFixed(2)} conf ${e.confidence.toFixed(3)} H ${e.classEntropy.toFixed(3)} W ${e.wassersteinEval.toFixed(4)} ` +
            `L ≤ ${e.lipUpper.toPrecision(4)} ‖∇D‖max ${Math.max(e.lipLowerReal, e.lipLowerFake, e.lipLowerInterp).toPrecision(4)} (${((performance.now() - te) / 1000).toFixed(1)} s)`,
        );
      },
    });
    const runDir = path.join(ctx.dir, 'runs', run.runId);
    await saveModel(trainer.generator, path.join(runDir, 'generator'));
    await saveModel(trainer.critic, path.join(runDir, 'critic'));
    return { version: 1, runId: run.runId, spec: run, backend: ctx.backend, rows };
  } finally {
    trainer.dispose();
  }
}

/** The WGAN runs: the common run files, with wgan.csv rebuilt from the records as RunStore rebuilds the classifier CSVs. */
export class WganStore extends RunFiles<WganRecord, WganFailure> {
  /** Rewrites wgan.csv from the records of these runs (in grid order); returns how many had one. */
  materialize(runs: readonly WganRunSpec[]): number {
    return this.rebuild(
      runs.map((r) => r.runId),
      (recs) => [wganCsvFile(this.dir, recs.flatMap((r) => r.rows))],
    ).runs;
  }
}

export async function runWganExperiment(loaded: LoadedWganExperiment, opts: WganRunOptions): Promise<WganSummary> {
  const { config, runs } = loaded;
  const log = opts.log ?? ((l: string) => console.log(l));
  const dir = path.join(opts.resultsRoot, config.name);
  const t0 = performance.now();
  const lock = acquireLock(dir);
  const store = new WganStore(dir);
  let trained = 0;
  let skipped = 0;
  let failed = 0;
  let data: ReturnType<typeof loadMnist> | undefined;
  try {
    writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify({ source: loaded.source, config, runs }, null, 2));
    const todo = runs.filter((run) => {
      if (store.readRecord(run.runId)) {
        log(`${run.label} seed=${run.seed}: done already (${run.runId}), skipped`);
        skipped++;
        return false;
      }
      const f = store.readFailure(run.runId);
      if (f && !opts.retryFailed) {
        log(`${run.label} seed=${run.seed}: failed before (${f.reason}), skipped; use --retry-failed to rerun it`);
        failed++;
        return false;
      }
      return true;
    });
    if (todo.length > 0) {
      const clf = await featureClassifier(opts.resultsRoot, config.featureClassifier, log);
      data = loadMnist({ trainSize: config.data.trainSize, testSize: config.data.evalSize, shuffleSeed: config.data.shuffleSeed });
      const real = realReference(clf.probe, data.test.x);
      log(`data: ${config.data.trainSize} training images, ${config.data.evalSize} real test images for evaluation`);
      for (const run of todo) {
        const label = `[${runs.indexOf(run) + 1}/${runs.length}] ${run.label} seed=${run.seed} (${run.runId})`;
        log(label);
        try {
          const rec = await trainOne(run, { dir, trainX: data.train.x, probe: clf.probe, real, backend: opts.backend.name, log, ...(opts.maxCriticStepsPerEpoch !== undefined ? { maxCriticStepsPerEpoch: opts.maxCriticStepsPerEpoch } : {}) });
          store.writeRecord(rec);
          store.clearFailure(run.runId);
          trained++;
        } catch (e) {
          const reason = (e as Error).message.split('\n')[0] ?? String(e);
          log(`${label}: FAILED: ${reason}`);
          const f: WganFailure = { runId: run.runId, label: run.label, seed: run.seed, reason };
          store.writeFailure(f);
          failed++;
        }
        store.materialize(runs);
      }
      clf.model.dispose();
    }
    store.materialize(runs);
    let report: string | undefined;
    if (opts.report !== false) {
      const { renderWganResults } = await import('./report.js');
      report = (await renderWganResults(dir, log)).report;
    }
    return { dir, total: runs.length, trained, skipped, failed, seconds: (performance.now() - t0) / 1000, ...(report ? { report } : {}) };
  } finally {
    if (data) tf.dispose([data.train.x, data.train.y, data.test.x, data.test.y]);
    lock.release();
  }
}
