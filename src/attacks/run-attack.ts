/**
 * runAttack: evaluate one attack over a whole list of ε in a single call (Foolbox 3's
 * habit), batch by batch so memory stays bounded by the batch size.
 *
 * It alone makes the threat model hold: every attack output is re-projected onto the
 * ε-ball of the attack's norm and clipped to [0,1] here, and non-finite entries are
 * reset to the clean input. We never trust an attack's own output.
 *
 * Definitions (all points count, as in Foolbox and AutoAttack):
 *   success[i]  = 1 if the model misclassifies the projected x_adv[i]; a clean
 *                 misclassification counts as success (the point is not robust).
 *   robustAcc   = fraction of ALL points still correct = 1 − mean(success).
 *   successRate = fraction of the originally correct points that were flipped
 *                 (0 when no point was correct).
 * At ε = 0 the attack is not called: x_adv = x by definition.
 */
import * as tf from '@tensorflow/tfjs-core';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import { deriveSeed, projectToFeasible } from './geometry.js';
import { crossEntropy } from './losses.js';
import { logits } from './pgd-core.js';
import type { Attack, Classifier, Norm } from './types.js';
import { checkpoint, type CancelSignal } from '../util/cancel.js';

const ScalarOptions = z.strictObject({
  /** Examples per forward/backward pass (default 256). */
  batchSize: z.int().min(1).default(256),
  /**
   * Base seed; batch b at ε index e uses deriveSeed(seed, b, e) (default 0). Results
   * are identical for the same seed and batchSize; another batchSize regroups the draws.
   */
  seed: z.int().default(0),
  /** Show a progress bar (only ever on a TTY stdout; default true). */
  progress: z.boolean().default(true),
  /** Compute the zero-gradient sanity check at the clean inputs (default true). */
  checkZeroGrad: z.boolean().default(true),
});

export interface KeepAdversarialOptions {
  /** Keep x_adv for the first `maxExamples` examples only (default 1000). */
  readonly maxExamples?: number;
  /** Keep them at these ε only (default: every ε of the call). */
  readonly epsilons?: readonly number[];
}

export interface RunAttackOptions {
  readonly batchSize?: number;
  readonly seed?: number;
  readonly progress?: boolean;
  readonly checkZeroGrad?: boolean;
  /** Return the projected adversarial examples (bounded, see KeepAdversarialOptions). */
  readonly keepAdversarial?: boolean | KeepAdversarialOptions;
  /** Target classes [N] for attacks built with `target: 'given'`. */
  readonly targets?: tf.Tensor1D;
  /** Checked after every batch × ε (with a turn of the event loop); aborting throws Cancelled. */
  readonly signal?: CancelSignal;
}

export interface EpsResult {
  readonly eps: number;
  /** Per example: 1 = not robust at this ε (misclassified after the attack). */
  readonly success: Uint8Array;
  /** Per example, only when `targets` was given: 1 = predicted class equals the target. */
  readonly targetHit?: Uint8Array;
  readonly robustAcc: number;
  readonly successRate: number;
  /** Wall time spent on this ε (attack + projection + prediction), summed over batches. */
  readonly seconds: number;
  /**
   * Projected x_adv for examples 0..keptExamples−1, when requested; the caller
   * disposes it. Pair it with x.slice(0, keptExamples) for Lipschitz lower bounds.
   */
  readonly adversarial?: tf.Tensor4D;
}

export interface RunAttackResult {
  readonly attack: string;
  readonly norm: Norm;
  readonly n: number;
  readonly cleanCorrect: Uint8Array;
  readonly cleanAcc: number;
  /** Per example: 1 = Σ|∇ₓ CE(x, y)| < 1e-8 at the clean input (AutoAttack's test). */
  readonly zeroGrad?: Uint8Array;
  readonly zeroGradFraction?: number;
  readonly keptExamples: number;
  readonly perEps: EpsResult[];
}

/** AutoAttack's threshold for a gradient that is zero in practice. */
const ZERO_GRAD_L1 = 1e-8;

function zeroGradMask(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const g = tf.grad((xx: tf.Tensor) => tf.sum(crossEntropy(logits(model, xx as tf.Tensor4D), y)))(x);
    return tf.cast(tf.less(tf.sum(tf.abs(g), [1, 2, 3]), ZERO_GRAD_L1), 'int32') as tf.Tensor1D;
  });
}

function predict(model: Classifier, x: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => tf.cast(tf.argMax(logits(model, x), 1), 'int32') as tf.Tensor1D);
}

function validateInputs(x: tf.Tensor4D, y: tf.Tensor1D, epsilons: readonly number[], targets?: tf.Tensor1D): void {
  if (x.rank !== 4) throw new Error(`x must be NHWC (rank 4), got rank ${x.rank}`);
  if (y.rank !== 1 || y.shape[0] !== x.shape[0]) throw new Error(`y must be [${x.shape[0]}], got [${y.shape.join(', ')}]`);
  if (y.dtype !== 'int32') throw new Error(`y must be int32 labels, got ${y.dtype}`);
  if (targets && targets.dtype !== 'int32') throw new Error(`targets must be int32, got ${targets.dtype}`);
  if (targets && (targets.rank !== 1 || targets.shape[0] !== x.shape[0])) {
    throw new Error(`targets must be [${x.shape[0]}], got [${targets.shape.join(', ')}]`);
  }
  if (epsilons.length === 0) throw new Error('runAttack needs at least one ε');
  for (const e of epsilons) if (!(e >= 0) || !Number.isFinite(e)) throw new Error(`ε must be finite and ≥ 0, got ${e}`);
}

export async function runAttack(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  attack: Attack,
  epsilons: readonly number[],
  opts: RunAttackOptions = {},
): Promise<RunAttackResult> {
  const o = ScalarOptions.parse({
    batchSize: opts.batchSize,
    seed: opts.seed,
    progress: opts.progress,
    checkZeroGrad: opts.checkZeroGrad,
  });
  validateInputs(x, y, epsilons, opts.targets);
  const n = x.shape[0];
  const [, h, w, c] = x.shape;
  const d = h * w * c;
  const keep = opts.keepAdversarial === true ? {} : opts.keepAdversarial === false ? undefined : opts.keepAdversarial;
  const keptExamples = keep ? Math.min(n, Math.max(0, Math.floor(keep.maxExamples ?? 1000))) : 0;
  const keepEps = epsilons.map((e) => keep !== undefined && (keep.epsilons === undefined || keep.epsilons.includes(e)));
  const kept = keepEps.map((k) => (k && keptExamples > 0 ? new Float32Array(keptExamples * d) : undefined));

  const cleanCorrect = new Uint8Array(n);
  const zeroGrad = o.checkZeroGrad ? new Uint8Array(n) : undefined;
  const success = epsilons.map(() => new Uint8Array(n));
  const targetHit = opts.targets ? epsilons.map(() => new Uint8Array(n)) : undefined;
  const seconds = epsilons.map(() => 0);

  const batches = Math.ceil(n / o.batchSize);
  const bar =
    o.progress && process.stdout.isTTY
      ? new cliProgress.SingleBar(
          { format: `${attack.name} [{bar}] {value}/{total} batch×ε | ETA {eta}s`, hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(batches * epsilons.length, 0);
  try {
    for (let b = 0; b < batches; b++) {
      const start = b * o.batchSize;
      const size = Math.min(o.batchSize, n - start);
      const xb = tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]);
      const yb = tf.slice(y, [start], [size]);
      const tb = opts.targets ? tf.slice(opts.targets, [start], [size]) : undefined;
      try {
        const cleanPred = predict(model, xb);
        const cleanPredData = await cleanPred.data();
        cleanPred.dispose();
        const yData = await yb.data();
        const tData = tb ? await tb.data() : undefined;
        for (let i = 0; i < size; i++) cleanCorrect[start + i] = cleanPredData[i] === yData[i] ? 1 : 0;
        if (zeroGrad) {
          const z0 = zeroGradMask(model, xb, yb);
          zeroGrad.set(await z0.data(), start);
          z0.dispose();
        }
        for (let e = 0; e < epsilons.length; e++) {
          const eps = epsilons[e]!;
          const t0 = performance.now();
          let xAdv: tf.Tensor4D;
          if (eps === 0) {
            xAdv = xb.clone();
          } else {
            const raw = attack.perturb(model, xb, yb, eps, { seed: deriveSeed(o.seed, b, e), targets: tb });
            if (raw.shape.join() !== xb.shape.join()) {
              raw.dispose();
              throw new Error(`attack ${attack.name} returned shape [${raw.shape}] for input [${xb.shape}]`);
            }
            xAdv = tf.tidy(() => {
              // A NaN would survive both clips; fall back to the clean coordinate instead.
              const finite = tf.where(tf.isFinite(raw), raw, xb) as tf.Tensor4D;
              return projectToFeasible(xb, finite, attack.norm, eps);
            });
            raw.dispose();
          }
          const pred = predict(model, xAdv);
          const predData = await pred.data();
          pred.dispose();
          const store = kept[e];
          if (store && start < keptExamples) {
            const rows = Math.min(size, keptExamples - start);
            const part = tf.slice(xAdv, [0, 0, 0, 0], [rows, -1, -1, -1]);
            store.set(await part.data(), start * d);
            part.dispose();
          }
          xAdv.dispose();
          const s = success[e]!;
          for (let i = 0; i < size; i++) s[start + i] = predData[i] === yData[i] ? 0 : 1;
          if (targetHit && tData) {
            const th = targetHit[e]!;
            for (let i = 0; i < size; i++) th[start + i] = predData[i] === tData[i] ? 1 : 0;
          }
          seconds[e]! += (performance.now() - t0) / 1000;
          bar?.increment();
          await checkpoint(opts.signal);
        }
      } finally {
        tf.dispose([xb, yb]);
        tb?.dispose();
      }
    }
  } finally {
    bar?.stop();
  }

  const nCorrect = count(cleanCorrect);
  const perEps: EpsResult[] = epsilons.map((eps, e) => {
    const s = success[e]!;
    let flipped = 0;
    for (let i = 0; i < n; i++) if (cleanCorrect[i] === 1 && s[i] === 1) flipped++;
    const store = kept[e];
    return {
      eps,
      success: s,
      ...(targetHit ? { targetHit: targetHit[e]! } : {}),
      robustAcc: n === 0 ? 0 : (n - count(s)) / n,
      successRate: nCorrect === 0 ? 0 : flipped / nCorrect,
      seconds: seconds[e]!,
      ...(store ? { adversarial: tf.tensor4d(store, [keptExamples, h, w, c]) } : {}),
    };
  });
  return {
    attack: attack.name,
    norm: attack.norm,
    n,
    cleanCorrect,
    cleanAcc: n === 0 ? 0 : nCorrect / n,
    ...(zeroGrad ? { zeroGrad, zeroGradFraction: n === 0 ? 0 : count(zeroGrad) / n } : {}),
    keptExamples: kept.some((k) => k !== undefined) ? keptExamples : 0,
    perEps,
  };
}

function count(a: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}
