/**
 * The custom training loop: loss = cross-entropy + Σ penalties, then the optimizer
 * step, then each regularizer's after-step hook (constraints, projections). A custom
 * loop rather than model.fit() because penalties need the batch and the logits on
 * the tape, and hooks must run between steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Split } from '../data/types.js';
import { permutation } from '../util/rng.js';
import type { Regularizer } from '../regularizers/types.js';
import { checkpoint, type CancelSignal } from '../util/cancel.js';
import { createProgress } from '../util/progress.js';
import { meanCrossEntropy } from './loss.js';
import { createOptimizer } from './optimizer.js';
import type { TrainOptions } from './options.js';
import { scheduledRate, setOptimizerRate } from './schedule.js';

export interface LayerSigma {
  readonly layer: string;
  readonly sigma: number;
}

export interface EpochMetrics {
  readonly epoch: number;
  /** Mean training loss (cross-entropy + penalties) over the epoch's batches. */
  readonly loss: number;
  /** Accuracy on the training batches as seen during the epoch (training mode). */
  readonly accuracy: number;
  readonly seconds: number;
  readonly sigmas: readonly LayerSigma[];
}

export interface TrainControl {
  readonly seed: number;
  /** A label for the progress display, e.g. `l2 λ=1e-4 seed=0`. */
  readonly label?: string;
  /** Ask the installed progress drawer for a bar (util/progress.ts; default true). */
  readonly progress?: boolean;
  /** Where plain progress lines go (default console.log); pass a no-op to silence. */
  readonly log?: (line: string) => void;
  /** Measures per-layer σ at the end of each epoch; omitted → no σ logged. */
  readonly sigmaProbe?: (model: tfl.LayersModel) => LayerSigma[] | Promise<LayerSigma[]>;
  /** Called after every step (tests use it to watch tf.memory()). */
  readonly onStep?: (step: number) => void;
  /** Stop after this many steps in total (tests); default: run every epoch. */
  readonly maxSteps?: number;
  /** Checked between steps (with a turn of the event loop): aborting stops training with Cancelled. */
  readonly signal?: CancelSignal;
}

export interface TrainResult {
  readonly seconds: number;
  readonly steps: number;
  readonly epochs: readonly EpochMetrics[];
}

function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * The first weight variable holding a NaN or ±Infinity, or whose norm overflows
 * float32 (every bound computed from it would be Infinity), or undefined. A finite
 * loss does not imply usable weights: with SGD at learning rate 1e6 the loss stayed
 * at 4e5 while σ was Infinity, and the model was saved and attacked.
 */
export function nonFiniteWeight(model: tfl.LayersModel): string | undefined {
  for (const w of model.weights) {
    const ok = tf.tidy(() => tf.isFinite(tf.norm(w.read())).dataSync()[0]);
    if (!ok) return w.name;
  }
  return undefined;
}

export async function trainModel(
  model: tfl.LayersModel,
  data: Split,
  regularizers: readonly Regularizer[],
  opts: TrainOptions,
  ctl: TrainControl,
): Promise<TrainResult> {
  const log = ctl.log ?? ((l: string) => console.log(l));
  const optimizer = createOptimizer(opts.optimizer);
  const vars = trainableVariables(model);
  const n = data.x.shape[0];
  const stepsPerEpoch = Math.ceil(n / opts.batchSize);
  const baseRate = opts.optimizer.learningRate;
  const totalSteps = Math.min(stepsPerEpoch * opts.epochs, ctl.maxSteps ?? Infinity);
  const bar = ctl.progress === false ? undefined : createProgress(`${ctl.label ?? 'train'} |{bar}| epoch {epoch}/{epochs} {value}/{total} loss {loss} {eta_formatted}`);
  const logitMakers = regularizers.filter((r) => r.trainLogits);
  if (logitMakers.length > 1) throw new Error(`regularizers ${logitMakers.map((r) => r.name).join(' and ')} each replace the training logits; they cannot be combined`);
  const epochs: EpochMetrics[] = [];
  const t0 = performance.now();
  let step = 0;
  try {
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      const te = performance.now();
      const order = permutation(n, ctl.seed * 7919 + epoch);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      bar?.start(stepsPerEpoch, 0, { epoch, epochs: opts.epochs, loss: '-' });
      for (let b = 0; b < stepsPerEpoch; b++) {
        if (ctl.maxSteps !== undefined && step >= ctl.maxSteps) break;
        const idx = order.subarray(b * opts.batchSize, Math.min(n, (b + 1) * opts.batchSize));
        const learningRate = scheduledRate(opts.lrSchedule, baseRate, step, totalSteps, epoch);
        if (opts.lrSchedule) setOptimizerRate(optimizer, learningRate);
        // Hooks run outside the step's tidy scope: the state they keep (power-iteration
        // vectors) must outlive the step.
        for (const r of regularizers) r.beforeStep?.({ model, step, learningRate });
        const stats = tf.tidy(() => {
          const idxT = tf.tensor1d(idx, 'int32');
          const y = tf.gather(data.y, idxT) as tf.Tensor1D;
          // Batch transforms (adversarial examples) run before the tape: their own
          // gradients w.r.t. the inputs must not become part of the weight gradient.
          let x = tf.gather(data.x, idxT) as tf.Tensor4D;
          for (const r of regularizers) {
            if (r.transformBatch) x = r.transformBatch({ model, x, y, step });
          }
          let logitsKept: tf.Tensor2D | undefined;
          const { value, grads } = tf.variableGrads(() => {
            const logits = model.apply(x, { training: true }) as tf.Tensor2D;
            logitsKept = tf.keep(logits);
            let loss = meanCrossEntropy(logitMakers[0]?.trainLogits?.({ model, x, y, logits, step }) ?? logits, y);
            for (const r of regularizers) {
              if (r.penalty) loss = tf.add(loss, r.penalty({ model, x, y, logits, step }));
            }
            return loss;
          }, vars);
          optimizer.applyGradients(grads);
          const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logitsKept!, 1), tf.cast(y, 'int32')), 'float32'));
          logitsKept!.dispose();
          return tf.stack([value, hits]);
        });
        for (const r of regularizers) r.afterStep?.({ model, step, learningRate });
        const [l, c] = stats.dataSync();
        stats.dispose();
        if (!Number.isFinite(l!)) throw new Error(`training diverged: loss is ${l} at epoch ${epoch}, step ${step}`);
        lossSum += l! * idx.length;
        correct += c!;
        seen += idx.length;
        step++;
        ctl.onStep?.(step);
        await checkpoint(ctl.signal);
        bar?.update(b + 1, { loss: (lossSum / seen).toFixed(4) });
      }
      bar?.stop();
      const bad = nonFiniteWeight(model);
      if (bad !== undefined) throw new Error(`training diverged: non-finite weights (${bad}) at epoch ${epoch}`);
      const sigmas = ctl.sigmaProbe ? await ctl.sigmaProbe(model) : [];
      const inf = sigmas.find((s) => !Number.isFinite(s.sigma));
      if (inf) throw new Error(`training diverged: σ of ${inf.layer} is ${inf.sigma} at epoch ${epoch}`);
      const m: EpochMetrics = {
        epoch,
        loss: lossSum / Math.max(seen, 1),
        accuracy: correct / Math.max(seen, 1),
        seconds: (performance.now() - te) / 1000,
        sigmas,
      };
      epochs.push(m);
      const sig = sigmas.length ? ` ${formatSigmas(sigmas)}` : '';
      log(`${ctl.label ?? 'train'} epoch ${epoch}/${opts.epochs}: loss ${m.loss.toFixed(4)} acc ${(m.accuracy * 100).toFixed(2)}% ${m.seconds.toFixed(1)}s${sig}`);
      if (ctl.maxSteps !== undefined && step >= ctl.maxSteps) break;
    }
  } finally {
    bar?.stop();
    optimizer.dispose();
  }
  return { seconds: (performance.now() - t0) / 1000, steps: step, epochs };
}

/** `σ dense_1=3.88 dense_2=3.79 dense_3=1.86`: each layer named, so the log can be read without the model. */
export function formatSigmas(sigmas: readonly LayerSigma[]): string {
  return `σ ${sigmas.map((s) => `${s.layer}=${s.sigma.toFixed(2)}`).join(' ')}`;
}
