/**
 * What the page computes on one input, with the harness's own code: predictions, the
 * attack (createAttack + runAttack, which re-projects onto the ε-ball and [0,1]), the
 * smallest flipping ε by bisection, the Lipschitz certificates and the local gradient
 * norm. Every function takes and returns plain arrays and disposes its tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createAttack } from '../../attacks/index.js';
import { runAttack } from '../../attacks/run-attack.js';
import type { LipschitzBounds } from '../../lipschitz/bounds.js';
import { marginLowerBounds } from '../../lipschitz/bound-propagation.js';
import { chainOps } from '../../lipschitz/chain-ops.js';
import { certifiedRadii, gradientLowerBound } from '../../lipschitz/empirical.js';
import { lipschitzRadii } from '../../lipschitz/pairwise.js';
import { logits } from '../../models/logits.js';

export interface Prediction {
  readonly logits: number[];
  readonly probs: number[];
  readonly top: number;
}

function input(x: Float32Array, shape: readonly [number, number, number]): tf.Tensor4D {
  return tf.tensor4d(x, [1, ...shape]);
}

export function predict(model: tfl.LayersModel, x: Float32Array, shape: readonly [number, number, number]): Prediction {
  const [z, p] = tf.tidy(() => {
    const zz = logits(model, input(x, shape));
    return [zz, tf.softmax(zz)];
  });
  const lz = Array.from(z.dataSync());
  const lp = Array.from(p.dataSync());
  tf.dispose([z, p]);
  let top = 0;
  for (let i = 1; i < lz.length; i++) if (lz[i]! > lz[top]!) top = i;
  return { logits: lz, probs: lp, top };
}

export interface AttackRequest {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly eps: number;
  readonly seed: number;
}

export interface AttackOutcome {
  readonly eps: number;
  readonly norm: 'linf' | 'l2';
  /** The projected adversarial image (runAttack's output). */
  readonly xAdv: Float32Array;
  /** Misclassified (w.r.t. the label) after the attack. */
  readonly flipped: boolean;
  readonly linf: number;
  readonly l2: number;
  readonly ms: number;
}

function distances(x: Float32Array, xAdv: Float32Array): { linf: number; l2: number } {
  let linf = 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const d = xAdv[i]! - x[i]!;
    linf = Math.max(linf, Math.abs(d));
    s += d * d;
  }
  return { linf, l2: Math.sqrt(s) };
}

export async function attackOnce(
  model: tfl.LayersModel,
  x: Float32Array,
  shape: readonly [number, number, number],
  label: number,
  req: AttackRequest,
): Promise<AttackOutcome> {
  const attack = createAttack(req.name, { ...req.options });
  const xt = input(x, shape);
  const yt = tf.tensor1d([label], 'int32');
  const t0 = performance.now();
  try {
    const r = await runAttack(model, xt, yt, attack, [req.eps], { batchSize: 1, seed: req.seed, progress: false, checkZeroGrad: false, keepAdversarial: { maxExamples: 1 } });
    const e = r.perEps[0]!;
    let xAdv: Float32Array;
    if (e.adversarial) {
      xAdv = (await e.adversarial.data()) as Float32Array;
      e.adversarial.dispose();
    } else {
      xAdv = x.slice();
    }
    const ms = performance.now() - t0;
    return { eps: req.eps, norm: attack.norm, xAdv, flipped: e.success[0] === 1, ...distances(x, xAdv), ms };
  } finally {
    tf.dispose([xt, yt]);
  }
}

export interface FlipSearch {
  /** Smallest ε found that flips the prediction; null when even `hi` does not. */
  readonly eps: number | null;
  readonly hi: number;
  /** The attack at that ε (or at `hi` when nothing flipped). */
  readonly at: AttackOutcome;
  readonly attacks: number;
  readonly ms: number;
}

/**
 * Bisection for the first ε at which the attack flips the label, on [0, hi], to a
 * width of hi/2^iterations. It assumes "flips at ε ⇒ flips above ε", which a randomized
 * attack does not promise; the answer is an upper bound on the input's true robust
 * radius against this attack, never a lower one.
 */
export async function findFlip(
  model: tfl.LayersModel,
  x: Float32Array,
  shape: readonly [number, number, number],
  label: number,
  req: Omit<AttackRequest, 'eps'>,
  hi: number,
  iterations = 10,
): Promise<FlipSearch> {
  const t0 = performance.now();
  let best = await attackOnce(model, x, shape, label, { ...req, eps: hi });
  let attacks = 1;
  if (!best.flipped) return { eps: null, hi, at: best, attacks, ms: performance.now() - t0 };
  let lo = 0;
  let up = hi;
  for (let i = 0; i < iterations; i++) {
    const mid = (lo + up) / 2;
    const r = await attackOnce(model, x, shape, label, { ...req, eps: mid });
    attacks++;
    if (r.flipped) {
      up = mid;
      best = r;
    } else {
      lo = mid;
    }
  }
  return { eps: up, hi, at: best, attacks, ms: performance.now() - t0 };
}

export interface Certificates {
  /** margin/(√2·L) with L the harness's product bound (results.csv lipUpper). */
  readonly global: number | null;
  /** min_j (f_y − f_j)/(‖w_y − w_j‖·L(body)), from the page's own per-layer bounds. */
  readonly pairwise: number | null;
  readonly note?: string;
}

export function certify(
  model: tfl.LayersModel,
  x: Float32Array,
  shape: readonly [number, number, number],
  label: number,
  harnessL: number | null,
  bounds: LipschitzBounds | null,
): Certificates {
  const xt = input(x, shape);
  const yt = tf.tensor1d([label], 'int32');
  try {
    const L = harnessL ?? bounds?.upper ?? null;
    const global = L !== null && L > 0 && Number.isFinite(L) ? certifiedRadii(model, xt, yt, L)[0]! : null;
    let pairwise: number | null = null;
    let note: string | undefined;
    if (bounds) {
      try {
        pairwise = lipschitzRadii(model, bounds, xt, yt).pairwise[0]!;
      } catch (e) {
        note = (e as Error).message;
      }
    }
    return { global, pairwise, ...(note !== undefined ? { note } : {}) };
  } finally {
    tf.dispose([xt, yt]);
  }
}

/** ‖∇ₓ uᵀf(x)‖ along the margin direction u = (e_y − e_j)/√2: a lower bound on L at this input. */
export function localGradientNorm(model: tfl.LayersModel, x: Float32Array, shape: readonly [number, number, number], label: number): number {
  const xt = input(x, shape);
  const yt = tf.tensor1d([label], 'int32');
  try {
    return gradientLowerBound(model, xt, yt).value;
  } finally {
    tf.dispose([xt, yt]);
  }
}

export interface CrownRadius {
  readonly norm: 'linf' | 'l2';
  /** The largest ε tested at which CROWN certifies the input (0 if not even the clean point). */
  readonly radius: number;
  /** The smallest ε tested at which it does not; null if it certified up to the cap. */
  readonly refutedAt: number | null;
  readonly evaluations: number;
  readonly ms: number;
}

/**
 * The input's CROWN-certified radius in `norm` (bound-propagation.ts, the harness's
 * certifiedCrownAcc code), by doubling then bisecting ε. `radius` is always an ε that
 * CROWN certified, so it is sound whatever the search misses; it can sit below the
 * largest certifiable ε by up to (refutedAt − radius). Throws for models CROWN cannot
 * handle (e.g. max-pooling), with the layer's name.
 */
export function crownRadius(
  model: tfl.LayersModel,
  x: Float32Array,
  shape: readonly [number, number, number],
  label: number,
  norm: 'linf' | 'l2',
  start: number,
  iterations = 12,
): CrownRadius {
  const t0 = performance.now();
  const chain = chainOps(model);
  const xt = input(x, shape);
  const yt = tf.tensor1d([label], 'int32');
  let evaluations = 0;
  const certifiedAt = (eps: number): boolean => {
    evaluations++;
    return marginLowerBounds(chain, xt, yt, { norm, eps }, eps === 0 ? 'ibp' : 'crown')[0]! > 0;
  };
  try {
    if (!certifiedAt(0)) return { norm, radius: 0, refutedAt: 0, evaluations, ms: performance.now() - t0 };
    const cap = norm === 'linf' ? 1 : Math.sqrt(x.length);
    let lo = 0;
    let hi = Math.min(start, cap);
    while (certifiedAt(hi)) {
      lo = hi;
      if (hi >= cap) return { norm, radius: lo, refutedAt: null, evaluations, ms: performance.now() - t0 };
      hi = Math.min(2 * hi, cap);
    }
    for (let i = 0; i < iterations; i++) {
      const mid = (lo + hi) / 2;
      if (certifiedAt(mid)) lo = mid;
      else hi = mid;
    }
    return { norm, radius: lo, refutedAt: hi, evaluations, ms: performance.now() - t0 };
  } finally {
    tf.dispose([xt, yt]);
    chain.dispose();
  }
}
