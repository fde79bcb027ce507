/**
 * Global-Lipschitz certificates of the logit map f = W·h(x) + b, where h (the "body") is
 * everything before the last dense layer and L(body) its product bound.
 *
 *   global:   f_y − f_j = (e_y − e_j)ᵀf is √2·L-Lipschitz, so the margin m certifies
 *             radius m/(√2·L) (Tsuzuku et al. 2018).
 *   pairwise: f_y − f_j = (w_y − w_j)ᵀh + const is K_yj = ‖w_y − w_j‖₂·L(body)-Lipschitz,
 *             so x is certified at radius min_j (f_y − f_j)/K_yj (GloRo, Leino et al.
 *             2021). Since ‖w_y − w_j‖ = ‖W(e_y − e_j)‖ ≤ √2·σ(W) and L = σ(W)·L(body),
 *             each K_yj ≤ √2·L and each f_y − f_j ≥ m: never looser than the global one.
 *
 * Both are L2 certificates of the model's output, which must be the logits. Soundness is that of L(body): operator norms by power
 * iteration (see bounds.ts), which the caller must have run to convergence.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LipschitzBounds } from './bounds.js';
import { modelChain } from './chain.js';
import { activationName, requireWeight } from './layer-config.js';
import { logits } from '../models/logits.js';

export interface PairwiseLipschitz {
  /** The last dense layer, whose rows w_y give the pairwise constants. */
  readonly lastLayer: string;
  /** Product bound of everything before the last dense layer. */
  readonly bodyLipschitz: number;
  /** K[y][j] = ‖w_y − w_j‖₂·L(body); 0 on the diagonal. */
  readonly K: number[][];
  /** The product bound of the whole logit map, for the global certificate. */
  readonly globalLipschitz: number;
}

/** Layer classes that are the identity at inference and may follow the logit layer. */
const TRAILING_IDENTITY = new Set(['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

/**
 * The last dense layer of a chain model, which must produce the model's output (only
 * inference-identity layers may follow, and no activation): the rows w_y of its
 * effective kernel (W̄ for spectral-normalized layers) give the pairwise constants.
 * Layers before it may be anything the Lipschitz registry bounds (pooling included).
 */
export function lastDense(model: tfl.LayersModel): { layer: string; W: tf.Tensor2D } {
  const links = modelChain(model);
  for (let i = links.length - 1; i >= 0; i--) {
    const layer = links[i]!.layer;
    const cls = layer.getClassName();
    if (TRAILING_IDENTITY.has(cls)) continue;
    if (cls !== 'Dense' && cls !== 'SNDense' && cls !== 'OrthoDense') {
      throw new Error(`pairwise certificate: the model must end in a dense logit layer; it ends in '${layer.name}' (${cls})`);
    }
    const act = activationName(layer);
    if (act !== 'linear') throw new Error(`pairwise certificate: the logit layer '${layer.name}' has activation '${act}'; certificates are of the logit map (strip the softmax)`);
    const eff = layer as unknown as { effectiveKernel?: () => tf.Tensor };
    const W = (typeof eff.effectiveKernel === 'function' ? eff.effectiveKernel() : tf.clone(requireWeight(layer, 'kernel'))) as tf.Tensor2D;
    return { layer: layer.name, W };
  }
  throw new Error('pairwise certificate: the model has no layers');
}

/**
 * L(body) from the per-layer numbers of `lipschitzUpperBounds`: the product of operator
 * norms and factors of every layer before the last dense one.
 */
export function bodyLipschitz(bounds: LipschitzBounds, lastLayer: string): number {
  const sigma = new Map(bounds.layers.map((l) => [l.layer, l.operatorSigma]));
  let L = 1;
  let found = false;
  for (const f of bounds.factors) {
    if (f.layer === lastLayer) {
      found = true;
      break;
    }
    L *= (sigma.get(f.layer) ?? 1) * f.factor;
  }
  if (!found) throw new Error(`pairwise certificate: layer '${lastLayer}' is not in the Lipschitz bounds`);
  return L;
}

/** Per-pair constants for a chain model whose Lipschitz bounds were measured. */
export function pairwiseLipschitz(model: tfl.LayersModel, bounds: LipschitzBounds): PairwiseLipschitz {
  const last = lastDense(model);
  const body = bodyLipschitz(bounds, last.layer);
  const [inDim, k] = last.W.shape;
  const w = last.W.dataSync();
  last.W.dispose();
  const K: number[][] = [];
  for (let y = 0; y < k; y++) {
    const row: number[] = [];
    for (let j = 0; j < k; j++) {
      // Column y of the [in, out] kernel is w_y; float64 accumulation.
      let s = 0;
      for (let i = 0; i < inDim; i++) {
        const d = w[i * k + y]! - w[i * k + j]!;
        s += d * d;
      }
      row.push(Math.sqrt(s) * body);
    }
    K.push(row);
  }
  return { lastLayer: last.layer, bodyLipschitz: body, K, globalLipschitz: bounds.upper };
}

/**
 * Radius min_{j≠y} (f_y − f_j)/K_yj per example; 0 where any f_j ≥ f_y (misclassified or
 * tied). A pair with K_yj = 0 has a constant difference and does not limit the radius.
 */
export function pairRadii(logits: ArrayLike<number>, labels: ArrayLike<number>, K: readonly (readonly number[])[]): number[] {
  const k = K.length;
  const n = labels.length;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    const fy = logits[i * k + y]!;
    let r = Infinity;
    for (let j = 0; j < k; j++) {
      if (j === y) continue;
      const d = fy - logits[i * k + j]!;
      if (!(d > 0)) {
        r = 0;
        break;
      }
      const kyj = K[y]![j]!;
      if (kyj > 0) r = Math.min(r, d / kyj);
    }
    out.push(r);
  }
  return out;
}

/** K_yj = √2·L for all pairs: the global certificate in the pairwise form. */
export function globalPairMatrix(classes: number, L: number): number[][] {
  return Array.from({ length: classes }, (_, y) => Array.from({ length: classes }, (_, j) => (y === j ? 0 : Math.SQRT2 * L)));
}

/** The model's logits (models/logits.ts, inference mode), read back in batches into one [n·classes] array. */
export function modelLogits(model: tfl.LayersModel, x: tf.Tensor, batchSize = 256): Float32Array {
  const n = x.shape[0]!;
  let out = new Float32Array(0);
  for (let s = 0; s < n; s += batchSize) {
    const z = tf.tidy(() => logits(model, tf.slice(x, s, Math.min(batchSize, n - s))));
    if (s === 0) out = new Float32Array(n * z.shape[1]);
    out.set(z.dataSync() as Float32Array, s * z.shape[1]);
    z.dispose();
  }
  return out;
}

export interface LipschitzRadii {
  /** margin/(√2·L). */
  readonly global: number[];
  /** min_j (f_y − f_j)/K_yj. */
  readonly pairwise: number[];
  readonly constants: PairwiseLipschitz;
}

/** Certified L2 radii of both global-Lipschitz certificates at every example. */
export function lipschitzRadii(model: tfl.LayersModel, bounds: LipschitzBounds, x: tf.Tensor, y: tf.Tensor1D): LipschitzRadii {
  if (!(bounds.upper > 0) || !Number.isFinite(bounds.upper)) throw new Error(`lipschitzRadii: L must be a positive finite number, got ${bounds.upper}`);
  const constants = pairwiseLipschitz(model, bounds);
  const scores = modelLogits(model, x);
  const labels = y.dataSync();
  return {
    global: pairRadii(scores, labels, globalPairMatrix(constants.K.length, bounds.upper)),
    pairwise: pairRadii(scores, labels, constants.K),
    constants,
  };
}
