/**
 * Runs an experiment's grid: for each run not yet done, train (or reload the saved
 * model), evaluate, attack, measure, then record the run and rebuild the CSVs.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import path from 'node:path';
import type { BackendInfo } from '../node/backend.js';
import { EnvironmentError, UserError } from '../util/errors.js';
import type { ExperimentConfig, RunSpec } from '../config/experiment.js';
import { shortHash } from '../config/hash.js';
import { shardLabel, shardRunIds, type Shard } from '../config/shard.js';
import type { LoadedExperiment } from '../config/load.js';
import type { Dataset } from '../data/types.js';
import { buildModel, modelLabel } from '../models/index.js';
import { loadModel, saveModel } from '../node/model-files.js';
import { createRegularizer, layerFactoryFor, mainLambda, methodLabel, regularizerLabel } from '../regularizers/index.js';
import { removeStaleTemps, writeFileAtomic } from '../util/atomic.js';
import { acquireLock, acquireRunLocks, type Lock } from '../results/lock.js';
import type { EpochRow, RunKey, RunRow } from '../results/rows.js';
import { tightestLowerBound } from '../results/lower-bound.js';
import { RunStore, type RunRecord, type TrainRecord } from '../results/run-store.js';
import { nonFiniteWeight, trainModel } from '../train/loop.js';
import { Cancelled, type CancelSignal } from '../util/cancel.js';
import { DatasetCache } from './datasets.js';
import { evaluateRun } from './evaluate-run.js';
import { kernelSigmas } from './sigma-probe.js';
import { environmentInfo } from './environment.js';

export interface RunExperimentOptions {
  /** Parent of the experiment's results folder (default `results`). */
  readonly resultsRoot: string;
  readonly backend: BackendInfo;
  readonly log?: (line: string) => void;
  readonly progress?: boolean;
  /** Run only this shard's part of the grid, writing its CSVs under `shards/<k>-of-<n>/`. */
  readonly shard?: Shard;
  /** Rerun runs that failed before (by default they are skipped like finished ones). */
  readonly retryFailed?: boolean;
  /** Abort to stop within a step or batch: the run in progress is abandoned unrecorded, the lock released. */
  readonly signal?: CancelSignal;
}

export interface ExperimentSummary {
  readonly dir: string;
  readonly total: number;
  readonly skipped: number;
  readonly trained: number;
  readonly reevaluated: number;
  readonly failed: number;
  /** Where this process wrote its CSVs (the experiment folder, or the shard's folder). */
  readonly csvDir: string;
  readonly seconds: number;
}

/** Bump when evaluation code changes what it writes, so old records are re-evaluated. */
const EVAL_VERSION = 1;

export function evalKeyOf(cfg: ExperimentConfig): string {
  return shortHash({
    v: EVAL_VERSION,
    attacks: cfg.attacks,
    attackSize: cfg.attackSize,
    // Only when set, so results evaluated before the option existed stay valid.
    ...(cfg.attackBatchSize !== undefined ? { attackBatchSize: cfg.attackBatchSize } : {}),
    lipschitz: cfg.lipschitz,
    trainEvalSize: cfg.data.trainEvalSize,
  });
}

export function runKeyOf(run: RunSpec): RunKey {
  return {
    runId: run.runId,
    experiment: run.experiment,
    dataset: run.dataset,
    model: modelLabel(run.model),
    regularizer: regularizerLabel(run.regularizers),
    method: methodLabel(run.regularizers),
    lambda: mainLambda(run.regularizers),
    seed: run.seed,
  };
}

export function runLabel(run: RunSpec): string {
  const lam = mainLambda(run.regularizers);
  return `${methodLabel(run.regularizers)}${lam ? ` λ=${lam}` : ''} seed=${run.seed} ${modelLabel(run.model)}`;
}

/** The run log's one-line result: accuracy, gap, the upper bound and the tightest lower bound with its probe. */
export function runOutcome(r: RunRow): string {
  const lower = tightestLowerBound(r);
  return (
    `test acc ${(r.testAcc * 100).toFixed(2)}%, gap ${(r.gapAcc * 100).toFixed(2)} pp` +
    (r.lipUpper !== null ? `, L ≤ ${r.lipUpper.toPrecision(4)}` : '') +
    (lower !== null ? `, L ≥ ${lower.value.toPrecision(4)} (${lower.probe})` : '')
  );
}

async function trainRun(run: RunSpec, data: Dataset, store: RunStore, opts: RunExperimentOptions, label: string): Promise<{ model: tfl.LayersModel; train: TrainRecord }> {
  const regs = run.regularizers.map((s, i) => createRegularizer(s, run.seed * 31 + i));
  try {
    // Regularizers that change what the layers are (spectral-norm) act at build time.
    const model = buildModel(run.model, data.imageShape, data.numClasses, run.seed, { layers: layerFactoryFor(regs) });
    const result = await trainModel(model, data.train, regs, run.train, {
      seed: run.seed,
      label,
      progress: opts.progress,
      log: opts.log,
      sigmaProbe: run.train.logSigma ? kernelSigmas : undefined,
      signal: opts.signal,
    });
    const key = runKeyOf(run);
    const epochs: EpochRow[] = result.epochs.flatMap((e) =>
      (e.sigmas.length ? e.sigmas : [{ layer: '', sigma: Number.NaN }]).map((s) => ({
        ...key,
        epoch: e.epoch,
        layer: s.layer,
        sigma: s.sigma,
        trainLoss: e.loss,
        trainAcc: e.accuracy,
        seconds: e.seconds,
      })),
    );
    await saveModel(model, store.modelDir(run.runId));
    const train: TrainRecord = { version: 1, runId: run.runId, backend: opts.backend.name, threads: opts.backend.threads, trainSeconds: result.seconds, epochs };
    store.writeTrain(train);
    return { model, train };
  } finally {
    for (const r of regs) r.dispose?.();
  }
}

export function shardDir(dir: string, shard: Shard): string {
  return path.join(dir, 'shards', shardLabel(shard));
}

export async function runExperiment(loaded: LoadedExperiment, opts: RunExperimentOptions): Promise<ExperimentSummary> {
  const { config, runs } = loaded;
  const log = opts.log ?? ((l: string) => console.log(l));
  const dir = path.join(opts.resultsRoot, config.name);
  // A shard writes only files no other shard writes: its own CSVs, lock and config copy,
  // and the run folders of its own runs.
  const csvDir = opts.shard ? shardDir(dir, opts.shard) : dir;
  const mine = opts.shard ? shardRunIds(runs.map((r) => r.runId), opts.shard) : undefined;
  const myRuns = mine ? runs.filter((r) => mine.has(r.runId)) : runs;
  const t0 = performance.now();
  const lock = acquireLock(csvDir);
  const cache = new DatasetCache();
  let skipped = 0;
  let trained = 0;
  let reevaluated = 0;
  let failed = 0;
  let runLocks: Lock | undefined;
  try {
    runLocks = acquireRunLocks(dir, myRuns.map((r) => r.runId));
    const store = new RunStore(dir);
    // Temporaries of a killed process, in the folders the locks above make ours (the
    // charts are rendered by the process that holds the folder, right after the runs).
    removeStaleTemps([csvDir, path.join(csvDir, 'charts'), path.join(csvDir, 'report-assets'), ...myRuns.flatMap((r) => [store.runDir(r.runId), store.modelDir(r.runId)])]);
    writeFileAtomic(path.join(csvDir, 'config.json'), JSON.stringify({ source: loaded.source, config, runs, shard: opts.shard ?? null, environment: environmentInfo(opts.backend.name) }, null, 2));
    const evalKey = evalKeyOf(config);
    const myIds = myRuns.map((r) => r.runId);
    for (const run of myRuns) {
      const label = `[${runs.indexOf(run) + 1}/${runs.length}] ${runLabel(run)}`;
      const done = store.readRecord(run.runId);
      if (done && done.evalKey === evalKey) {
        log(`${label}: done already (${run.runId}), skipped`);
        skipped++;
        continue;
      }
      const failure = store.readFailure(run.runId);
      if (failure && !opts.retryFailed) {
        log(`${label}: failed before (${failure.reason}), skipped; use --retry-failed to rerun it`);
        failed++;
        continue;
      }
      try {
        const outcome = await trainAndEvaluate(run, { store, evalKey, config, opts, label, log, cache });
        if (outcome === 'trained') trained++;
        else reevaluated++;
        store.clearFailure(run.runId);
      } catch (e) {
        // Bad input and a full or read-only disk end the command; only the run's own faults are recorded.
        if (e instanceof UserError || e instanceof EnvironmentError || e instanceof Cancelled) throw e;
        const reason = (e as Error).message.split('\n')[0] ?? String(e);
        store.writeFailure({ ...runKeyOf(run), reason, at: new Date().toISOString() });
        log(`${label}: FAILED: ${reason} (recorded; the grid goes on)`);
        failed++;
      }
      store.materialize(myIds, csvDir);
    }
    store.materialize(myIds, csvDir);
  } finally {
    cache.dispose();
    runLocks?.release();
    lock.release();
  }
  return { dir, csvDir, total: myRuns.length, skipped, trained, reevaluated, failed, seconds: (performance.now() - t0) / 1000 };
}

async function trainAndEvaluate(
  run: RunSpec,
  ctx: { store: RunStore; evalKey: string; config: ExperimentConfig; opts: RunExperimentOptions; label: string; log: (l: string) => void; cache: DatasetCache },
): Promise<'trained' | 'reevaluated'> {
  const { store, label, log } = ctx;
  const data = await ctx.cache.get(run.dataset, run.data);
  let prior = store.readTrain(run.runId);
  let model: tfl.LayersModel | undefined;
  let train: TrainRecord;
  if (prior) {
    model = await loadModel(store.modelJson(run.runId));
    // A model saved before the divergence checks existed may hold NaNs or overflow σ
    // (its evaluation then failed): retrain it rather than re-evaluate it.
    const bad =
      nonFiniteWeight(model) ?? (store.readFailure(run.runId) ? kernelSigmas(model).find((s) => !Number.isFinite(s.sigma))?.layer : undefined);
    if (bad !== undefined) {
      log(`${label}: the saved model has non-finite weights (${bad}); training again`);
      model.dispose();
      model = undefined;
      prior = undefined;
    }
  }
  if (prior && model) {
    log(`${label}: trained already, re-evaluating the saved model`);
    train = prior;
  } else {
    ({ model, train } = await trainRun(run, data, store, ctx.opts, label));
  }
  try {
    const record: RunRecord = await evaluateRun({ run, key: runKeyOf(run), model, data, train, config: ctx.config, evalKey: ctx.evalKey, log, progress: ctx.opts.progress, signal: ctx.opts.signal });
    store.writeRecord(record);
    const r = record.result;
    log(`${label}: ${runOutcome(r)}`);
  } finally {
    model.dispose();
  }
  return prior ? 'reevaluated' : 'trained';
}
