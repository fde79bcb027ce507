/**
 * The WGAN training loop (Arjovsky et al. 2017; Gulrajani et al. 2017, Algorithm 1):
 * per generator step, n_critic critic steps on
 *
 *   L_D = E[D(G(z))] − E[D(x)] (+ gradient penalty for gp, gp-one-sided)
 *
 * each on the next real batch of the epoch's shuffled order and fresh noise, then one
 * generator step on L_G = −E[D(G(z))]. After each critic step the `clip` variant clips
 * every critic weight to [−c, c]. An epoch is one pass of the critic over the training
 * images: ⌊n/B⌋ critic steps and ⌊⌊n/B⌋/n_critic⌋ generator steps.
 *
 * Mode conventions:
 *  - fakes for the critic step are generated off the tape in training mode (batch-norm
 *    uses batch statistics, as in the generator step and in evaluation);
 *  - the critic step calls the critic once, in training mode, on [real; fake], so a
 *    spectral-normalized critic advances its power-iteration vector u exactly once per
 *    step (the paper's Algorithm 1); the penalty and the generator step use inference
 *    mode (u frozen).
 *
 * Timing: wall-clock seconds per critic step and per generator step are measured around
 * the whole step, including a read of its loss (which waits for the backend), so they
 * are comparable across variants. Evaluation time is excluded from epoch seconds.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { permutation } from '../util/rng.js';
import { criticStepsPerEpoch, type WganOptimizer, type WganRunSpec } from './config.js';
import { buildCritic, buildGenerator } from './models.js';
import { gradientPenalty } from './penalty.js';

export function createWganOptimizer(spec: WganOptimizer): tf.Optimizer {
  switch (spec.name) {
    case 'adam':
      return tf.train.adam(spec.learningRate, spec.beta1, spec.beta2);
    case 'rmsprop':
      return tf.train.rmsprop(spec.learningRate, spec.decay);
  }
}

function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Seeds for the noise and interpolation streams: distinct per run seed, step and purpose. */
function streamSeed(runSeed: number, step: number, stream: number): number {
  return (runSeed * 7_919_993 + step * 4 + stream) % 2_147_483_000;
}

export interface CriticStepStats {
  /** L_D including the penalty. */
  readonly loss: number;
  /** mean D(real) − mean D(fake) on this batch: the critic's Wasserstein estimate. */
  readonly wasserstein: number;
  readonly penalty: number;
  readonly seconds: number;
}

export interface GeneratorStepStats {
  readonly loss: number;
  readonly seconds: number;
}

/** The two networks, their optimizers and one step of each. */
export class WganTrainer {
  readonly generator: tfl.LayersModel;
  readonly critic: tfl.LayersModel;
  private readonly gOpt: tf.Optimizer;
  private readonly dOpt: tf.Optimizer;
  private readonly gVars: tf.Variable[];
  private readonly dVars: tf.Variable[];
  criticSteps = 0;
  generatorSteps = 0;

  constructor(readonly run: WganRunSpec) {
    this.generator = buildGenerator(run.models, run.seed);
    this.critic = buildCritic(run.models, run.variant, run.seed);
    this.dOpt = createWganOptimizer(run.variant.optimizer);
    this.gOpt = createWganOptimizer(run.variant.generatorOptimizer ?? run.variant.optimizer);
    this.gVars = trainableVariables(this.generator);
    this.dVars = trainableVariables(this.critic);
  }

  noise(n: number, seed: number): tf.Tensor2D {
    return tf.randomNormal([n, this.run.models.noiseDim], 0, 1, 'float32', seed) as tf.Tensor2D;
  }

  /** Generated images [n,28,28,1] in training mode (batch statistics), off any tape. */
  generate(z: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => this.generator.apply(z, { training: true }) as tf.Tensor4D);
  }

  criticStep(real: tf.Tensor4D): CriticStepStats {
    const t0 = performance.now();
    const v = this.run.variant;
    const step = this.criticSteps;
    const stats = tf.tidy(() => {
      const n = real.shape[0];
      const fake = this.generate(this.noise(n, streamSeed(this.run.seed, step, 0)));
      let wKept: tf.Scalar | undefined;
      let penKept: tf.Scalar | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const scores = tf.reshape(this.critic.apply(tf.concat([real, fake], 0), { training: true }) as tf.Tensor, [-1]);
        const w = tf.sub(tf.mean(tf.slice(scores, 0, n)), tf.mean(tf.slice(scores, n, n))) as tf.Scalar;
        wKept = tf.keep(w);
        let loss = tf.neg(w) as tf.Scalar;
        if (v.kind === 'gp' || v.kind === 'gp-one-sided') {
          const pen = gradientPenalty(this.critic, real, fake, { lambda: v.lambda, target: v.target, oneSided: v.kind === 'gp-one-sided' }, streamSeed(this.run.seed, step, 1));
          penKept = tf.keep(pen);
          loss = tf.add(loss, pen) as tf.Scalar;
        }
        return loss;
      }, this.dVars);
      this.dOpt.applyGradients(grads);
      if (v.kind === 'clip') {
        for (const w of this.dVars) w.assign(tf.clipByValue(w, -v.clip, v.clip));
      }
      const out = tf.stack([value, wKept!, penKept ?? tf.scalar(0)]);
      tf.dispose([wKept!, ...(penKept ? [penKept] : [])]);
      return out;
    });
    const [loss, w, pen] = stats.dataSync();
    stats.dispose();
    this.criticSteps++;
    if (!Number.isFinite(loss!)) throw new Error(`training diverged: critic loss is ${loss} at critic step ${step}`);
    return { loss: loss!, wasserstein: w!, penalty: pen!, seconds: (performance.now() - t0) / 1000 };
  }

  generatorStep(batchSize: number): GeneratorStepStats {
    const t0 = performance.now();
    const step = this.generatorSteps;
    const value = tf.tidy(() => {
      const z = this.noise(batchSize, streamSeed(this.run.seed, step, 2));
      const { value, grads } = tf.variableGrads(() => {
        const fake = this.generator.apply(z, { training: true }) as tf.Tensor4D;
        return tf.neg(tf.mean(this.critic.apply(fake, { training: false }) as tf.Tensor)) as tf.Scalar;
      }, this.gVars);
      this.gOpt.applyGradients(grads);
      return value;
    });
    const loss = value.dataSync()[0]!;
    value.dispose();
    this.generatorSteps++;
    if (!Number.isFinite(loss)) throw new Error(`training diverged: generator loss is ${loss} at generator step ${step}`);
    return { loss, seconds: (performance.now() - t0) / 1000 };
  }

  dispose(): void {
    this.gOpt.dispose();
    this.dOpt.dispose();
    this.generator.dispose();
    this.critic.dispose();
  }
}

export interface EpochStats {
  readonly epoch: number;
  readonly criticSteps: number;
  readonly generatorSteps: number;
  /** Training seconds of this epoch (no evaluation). */
  readonly epochSeconds: number;
  /** Training seconds since the start of the run (no evaluation). */
  readonly trainSeconds: number;
  readonly secondsPerCriticStep: number;
  readonly secondsPerGeneratorStep: number;
  /** Means over the epoch's critic steps. */
  readonly wassersteinTrain: number;
  readonly criticLoss: number;
  readonly penalty: number;
  /** Mean over the epoch's generator steps. */
  readonly generatorLoss: number;
}

export interface TrainWganControl {
  readonly log?: (line: string) => void;
  /** After each epoch (and with epoch 0 before training when `atStart`); evaluation time is not counted as training time. */
  readonly onEpoch?: (trainer: WganTrainer, stats: EpochStats) => Promise<void> | void;
  readonly atStart?: boolean;
  /** Stop each epoch after this many critic steps (tests). */
  readonly maxCriticStepsPerEpoch?: number;
}

function meanOf(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export async function trainWgan(trainer: WganTrainer, trainX: tf.Tensor4D, ctl: TrainWganControl = {}): Promise<EpochStats[]> {
  const { run } = trainer;
  const log = ctl.log ?? ((l: string) => console.log(l));
  const n = trainX.shape[0];
  const batch = run.train.batchSize;
  const nCritic = run.variant.nCritic;
  const perEpoch = Math.min(criticStepsPerEpoch(n, batch), ctl.maxCriticStepsPerEpoch ?? Infinity);
  const all: EpochStats[] = [];
  let trainSeconds = 0;
  if (ctl.atStart) {
    const nan = Number.NaN;
    await ctl.onEpoch?.(trainer, {
      epoch: 0, criticSteps: 0, generatorSteps: 0, epochSeconds: 0, trainSeconds: 0, secondsPerCriticStep: nan, secondsPerGeneratorStep: nan,
      wassersteinTrain: nan, criticLoss: nan, penalty: nan, generatorLoss: nan,
    });
  }
  for (let epoch = 1; epoch <= run.train.epochs; epoch++) {
    const t0 = performance.now();
    const order = permutation(n, run.seed * 7919 + epoch);
    const critic: CriticStepStats[] = [];
    const gen: GeneratorStepStats[] = [];
    for (let b = 0; b < perEpoch; b++) {
      const real = tf.tidy(() => tf.gather(trainX, tf.tensor1d(order.subarray(b * batch, (b + 1) * batch), 'int32')) as tf.Tensor4D);
      try {
        critic.push(trainer.criticStep(real));
      } finally {
        real.dispose();
      }
      if ((b + 1) % nCritic === 0) gen.push(trainer.generatorStep(batch));
    }
    const epochSeconds = (performance.now() - t0) / 1000;
    trainSeconds += epochSeconds;
    const stats: EpochStats = {
      epoch,
      criticSteps: trainer.criticSteps,
      generatorSteps: trainer.generatorSteps,
      epochSeconds,
      trainSeconds,
      secondsPerCriticStep: meanOf(critic.map((s) => s.seconds)),
      secondsPerGeneratorStep: meanOf(gen.map((s) => s.seconds)),
      wassersteinTrain: meanOf(critic.map((s) => s.wasserstein)),
      criticLoss: meanOf(critic.map((s) => s.loss)),
      penalty: meanOf(critic.map((s) => s.penalty)),
      generatorLoss: meanOf(gen.map((s) => s.loss)),
    };
    all.push(stats);
    log(
      `  epoch ${epoch}/${run.train.epochs}: W ${stats.wassersteinTrain.toFixed(4)} L_D ${stats.criticLoss.toFixed(4)} L_G ${stats.generatorLoss.toFixed(4)} ` +
        `${epochSeconds.toFixed(1)} s (${(stats.secondsPerCriticStep * 1000).toFixed(0)} ms/critic step, ${(stats.secondsPerGeneratorStep * 1000).toFixed(0)} ms/generator step)`,
    );
    await ctl.onEpoch?.(trainer, stats);
  }
  return all;
}
