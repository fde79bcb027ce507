/**
 * Everything measured on a trained model: clean metrics and generalization gap,
 * attacks over the configured ε lists, and Lipschitz bounds. Produces the run's rows.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ExperimentConfig, RunSpec } from '../config/experiment.js';
import type { Dataset, Split } from '../data/types.js';
import type { AttackRow, LayerRow, RunKey, RunRow } from '../results/rows.js';
import type { RunRecord, TrainRecord } from '../results/run-store.js';
import { evaluate } from '../train/evaluate.js';
import type { CancelSignal } from '../util/cancel.js';
import { attackStage, type EnsembleBreakdown } from './attack-stage.js';
import { lipschitzStage, type BoundColumns } from './lipschitz-stage.js';

export interface EvaluateRunInput {
  readonly run: RunSpec;
  readonly key: RunKey;
  readonly model: tfl.LayersModel;
  readonly data: Dataset;
  readonly train: TrainRecord;
  readonly config: ExperimentConfig;
  readonly evalKey: string;
  readonly log: (line: string) => void;
  readonly progress?: boolean;
  readonly signal?: CancelSignal;
}

/** The first n examples of a split, as new tensors (the caller disposes them). */
export function headOf(split: Split, n: number | undefined): Split {
  const total = split.x.shape[0];
  const k = Math.min(n ?? total, total);
  return { x: tf.slice(split.x, [0, 0, 0, 0], [k, -1, -1, -1]), y: tf.slice(split.y, [0], [k]) };
}

export async function evaluateRun(input: EvaluateRunInput): Promise<RunRecord> {
  const { run, key, model, data, train, config } = input;
  const trainEval = headOf(data.train, config.data.trainEvalSize);
  const trainM = await evaluate(model, trainEval, undefined, input.signal);
  tf.dispose([trainEval.x, trainEval.y]);
  const testM = await evaluate(model, data.test, undefined, input.signal);

  const attackSplit = headOf(data.test, config.attackSize);
  let attacks: AttackRow[] = [];
  let ensembles: EnsembleBreakdown[] = [];
  let layers: LayerRow[] = [];
  let bounds: BoundColumns = {
    lipUpper: null,
    lipUpperFrobenius: null,
    lipUpperReshaped: null,
    lipLowerGrad: null,
    lipLowerPgd: null,
    lipLocalInterp: null,
    lipLocalNoise: null,
    powerIterTol: null,
  };
  try {
    const attacked = await attackStage({ model, split: attackSplit, specs: config.attacks, key, seed: run.seed, log: input.log, progress: input.progress, signal: input.signal, batchSize: config.attackBatchSize });
    ensembles = attacked.breakdowns;
    try {
      if (config.lipschitz.enabled) {
        const lip = await lipschitzStage({ model, split: attackSplit, key, options: config.lipschitz, pairs: attacked.pairs, seed: run.seed, signal: input.signal, log: input.log });
        layers = lip.layers;
        bounds = lip.bounds;
        attacks = lip.withCertified(attacked.rows);
      } else {
        attacks = attacked.rows;
      }
    } finally {
      attacked.dispose();
    }
  } finally {
    tf.dispose([attackSplit.x, attackSplit.y]);
  }

  const result: RunRow = {
    ...key,
    regularizers: JSON.stringify(run.regularizers),
    backend: train.backend,
    threads: train.threads ?? null,
    epochs: run.train.epochs,
    batchSize: run.train.batchSize,
    optimizer: run.train.optimizer.name,
    learningRate: run.train.optimizer.learningRate,
    trainSize: data.train.x.shape[0],
    testSize: testM.n,
    trainAcc: trainM.accuracy,
    testAcc: testM.accuracy,
    trainLoss: trainM.loss,
    testLoss: testM.loss,
    gapAcc: trainM.accuracy - testM.accuracy,
    gapLoss: testM.loss - trainM.loss,
    trainSeconds: train.trainSeconds,
    ...bounds,
  };
  return {
    version: 1,
    runId: run.runId,
    evalKey: input.evalKey,
    result,
    attacks,
    layers,
    epochs: train.epochs,
    ...(ensembles.length ? { ensembles } : {}),
  };
}
