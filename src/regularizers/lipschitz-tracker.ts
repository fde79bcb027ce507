/**
 * The pairwise Lipschitz constants K_yj = ‖w_y − w_j‖₂·L(body) of a chain model's logit
 * map as a differentiable function of its weights, for certified training (GloRo,
 * Lipschitz-margin). Shared by gloro.ts and lipschitz-margin.ts.
 *
 * L(body) = Π σ(A_i) × Π factors over the layers before the logit layer. Each σ(A_i)
 * is the operator norm of the layer's linear map (dense: x·W; conv: the convolution at
 * its real input shape, stride and padding, adjoint conv2dTranspose) by power
 * iteration on a persistent input-space vector q (GloRo, Leino et al. 2021; Miyato et
 * al. 2018): outside the tape q ← normalize(AᵀA q) once per step (`initIters` on the
 * first step), inside the tape σ = ‖A q‖ with q constant, so the gradient pushes σ
 * down. Other layers contribute their registry factor (ReLU 1, non-overlapping
 * max-pool 1, MaxMin 1) as a constant.
 *
 * Like every power-iteration estimate, σ here is from below; the certificate reported
 * after training recomputes every σ to convergence (lipschitz/bounds.ts), so a slightly
 * low training estimate can cost certified accuracy but never soundness.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { modelChain } from '../lipschitz/chain.js';
import { activationFactor } from '../lipschitz/factors.js';
import { activationName, convConfig } from '../lipschitz/layer-config.js';
import '../lipschitz/handlers.js';
import { analyzeLayer } from '../lipschitz/registry.js';
import { l2normalize, powerSteps } from '../linalg/power-step.js';
import { tfSeed } from '../util/rng.js';
import { z } from 'zod';
import type { HookContext } from './types.js';

interface LinearLink {
  readonly kind: 'dense' | 'conv2d';
  readonly layer: tfl.layers.Layer;
  readonly inputShape: number[];
  readonly strides: [number, number];
  readonly padding: 'same' | 'valid';
  /** Constant factor of the fused activation. */
  readonly factor: number;
}

type BodyItem = LinearLink | { readonly kind: 'factor'; readonly layer: tfl.layers.Layer; readonly factor: number };

function kernelOf(layer: tfl.layers.Layer): tf.Tensor {
  const w = layer.trainableWeights.find((v) => v.originalName.endsWith('kernel'));
  if (!w) throw new Error(`lipschitz tracker: layer '${layer.name}' has no kernel`);
  return w.read();
}

export class LipschitzTracker {
  private readonly body: BodyItem[] = [];
  private readonly logitLayer: tfl.layers.Layer;
  private readonly logitLink: LinearLink;
  private readonly q = new Map<string, tf.Tensor>();

  constructor(
    model: tfl.LayersModel,
    private readonly seed = 0,
    private readonly initIters = 50,
    private readonly powerIters = 1,
    who = 'certified training',
  ) {
    const links = modelChain(model);
    let last = -1;
    links.forEach((l, i) => {
      if (l.layer.getClassName() === 'Dense') last = i;
    });
    const logit = links[last];
    if (!logit) throw new Error(`${who}: the model has no Dense logit layer`);
    for (const l of links.slice(last + 1)) {
      if (!['Dropout', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout'].includes(l.layer.getClassName())) {
        throw new Error(`${who}: layer '${l.layer.name}' (${l.layer.getClassName()}) follows the logit layer '${logit.layer.name}'; the logit layer must be last`);
      }
    }
    if (activationName(logit.layer) !== 'linear') throw new Error(`${who}: the logit layer '${logit.layer.name}' must have no activation`);
    this.logitLayer = logit.layer;
    this.logitLink = { kind: 'dense', layer: logit.layer, inputShape: [...logit.inputShape], strides: [1, 1], padding: 'valid', factor: 1 };
    for (const { layer, inputShape } of links.slice(0, last)) {
      const cls = layer.getClassName();
      if (cls === 'Dense') {
        if (inputShape.length !== 2) throw new Error(`${who}: dense layer '${layer.name}' on a rank-${inputShape.length} input; flatten first`);
        this.body.push({ kind: 'dense', layer, inputShape: [...inputShape], strides: [1, 1], padding: 'valid', factor: activationFactor(activationName(layer), `layer '${layer.name}'`) });
      } else if (cls === 'Conv2D') {
        const g = convConfig(layer);
        if (g.dilations[0] !== 1 || g.dilations[1] !== 1) throw new Error(`${who}: dilated conv '${layer.name}' is not supported`);
        this.body.push({ kind: 'conv2d', layer, inputShape: [...inputShape], strides: g.strides, padding: g.padding, factor: activationFactor(g.activation, `layer '${layer.name}'`) });
      } else if (layer.trainableWeights.length > 0) {
        throw new Error(`${who}: layer '${layer.name}' (${cls}) has weights but no differentiable Lipschitz bound here (supported: Dense, Conv2D)`);
      } else {
        // Weight-free layers: the registry's sound constant (throws, naming the layer, for unknown classes).
        const c = analyzeLayer(layer, { inputShape, powerIteration: {} });
        this.body.push({ kind: 'factor', layer, factor: c.factor });
      }
    }
  }

  private apply(link: LinearLink, w: tf.Tensor, x: tf.Tensor): tf.Tensor {
    return link.kind === 'dense' ? tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D) : tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, link.strides, link.padding);
  }

  private adjoint(link: LinearLink, w: tf.Tensor, y: tf.Tensor): tf.Tensor {
    return link.kind === 'dense'
      ? tf.matMul(y as tf.Tensor2D, w as tf.Tensor2D, false, true)
      : tf.conv2dTranspose(y as tf.Tensor4D, w as tf.Tensor4D, link.inputShape as [number, number, number, number], link.strides, link.padding);
  }

  /** One step of power iteration on every persistent vector (call outside the tape). */
  update(): void {
    [...this.body, this.logitLink].forEach((item, i) => {
      if (item.kind === 'factor') return;
      const prev = this.q.get(item.layer.name);
      const next = tf.tidy(() => {
        const w = kernelOf(item.layer);
        const q = prev ?? l2normalize(tf.randomNormal(item.inputShape, 0, 1, 'float32', tfSeed(this.seed * 131 + i)));
        const iters = prev ? this.powerIters : this.initIters;
        return powerSteps((x) => this.apply(item, w, x), (y) => this.adjoint(item, w, y), q, iters);
      });
      prev?.dispose();
      this.q.set(item.layer.name, next);
    });
  }

  /** L(body) as a differentiable scalar (σ = ‖A q‖ with q constant). */
  bodyLipschitz(): tf.Scalar {
    return tf.tidy(() => {
      let L: tf.Tensor = tf.scalar(1);
      for (const item of this.body) {
        if (item.kind !== 'factor') {
          const q = this.q.get(item.layer.name);
          if (!q) throw new Error(`lipschitz tracker: no power-iteration vector for '${item.layer.name}'; call update() first`);
          L = tf.mul(L, tf.norm(this.apply(item, kernelOf(item.layer), q)));
        }
        if (item.factor !== 1) L = tf.mul(L, item.factor);
      }
      return L as tf.Scalar;
    });
  }

  /** The product bound L = σ(W_logit)·L(body), differentiable. */
  globalLipschitz(): tf.Scalar {
    return tf.tidy(() => {
      const q = this.q.get(this.logitLayer.name);
      if (!q) throw new Error(`lipschitz tracker: no power-iteration vector for '${this.logitLayer.name}'; call update() first`);
      return tf.mul(tf.norm(this.apply(this.logitLink, kernelOf(this.logitLayer), q)), this.bodyLipschitz()) as tf.Scalar;
    });
  }

  /** K [k, k] with K_yj = ‖w_y − w_j‖·L(body), differentiable; the diagonal is ~0. */
  pairConstants(): tf.Tensor2D {
    return tf.tidy(() => {
      const W = kernelOf(this.logitLayer) as tf.Tensor2D; // [in, k]
      const g = tf.matMul(W, W, true, false); // [k, k] Gram matrix
      const sq = tf.reshape(tf.sum(tf.square(W), 0), [-1, 1]);
      // ‖w_y − w_j‖² = ‖w_y‖² + ‖w_j‖² − 2 w_y·w_j; clamped so sqrt's gradient stays finite on the diagonal.
      const d2 = tf.sub(tf.add(sq, tf.transpose(sq)), tf.mul(g, 2));
      return tf.mul(tf.sqrt(tf.maximum(d2, 1e-12)), this.bodyLipschitz()) as tf.Tensor2D;
    });
  }

  dispose(): void {
    for (const q of this.q.values()) q.dispose();
    this.q.clear();
  }
}

/**
 * f_j + ε·K_yj for j ≠ y and f_y unchanged: the logits of the worst case the Lipschitz
 * bound allows in the ε-ball. [N, k].
 */
export function raisedLogits(logits: tf.Tensor2D, y: tf.Tensor1D, K: tf.Tensor2D, eps: number | tf.Scalar): tf.Tensor2D {
  return tf.tidy(() => {
    // Row y of K per example, as a one-hot matmul: gather's gradient needs
    // UnsortedSegmentSum, which the wasm backend lacks.
    const ey = tf.oneHot(tf.cast(y, 'int32'), logits.shape[1]);
    const Ky = tf.matMul(ey, K); // [N, k]; the diagonal entry is masked below
    const notY = tf.sub(1, ey);
    return tf.add(logits, tf.mul(tf.mul(Ky, notY), eps)) as tf.Tensor2D;
  });
}

/** Training-ε schedules: ε·min(1, t/T) ('linear') or ε·(ε₀/ε)^(1−t/T) ('log', from ε₀ = start·ε). */
export function annealedEps(eps: number, step: number, warmupSteps: number, schedule: 'linear' | 'log', start = 0.01): number {
  if (warmupSteps <= 0 || step >= warmupSteps) return eps;
  const t = step / warmupSteps;
  return schedule === 'linear' ? eps * Math.max(t, start) : eps * Math.pow(start, 1 - t);
}

/**
 * The options that gloro and lipschitz-margin share: the ℓ2 training radius, its
 * warm-up schedule, and the power-iteration budget of the tracker. Spread into each
 * method's schema; `name` goes into the message that refuses an ℓ∞ norm.
 */
export function certifiedTrainingShape(name: string) {
  return {
    eps: z.number().positive().default(0.3),
    /** The certificate it trains for is an ℓ2 one; an ℓ∞ request is refused, naming this field. */
    norm: z.literal('l2', { error: `${name} certifies ℓ2 balls only (its Lipschitz constants are ℓ2 operator norms); use "l2"` }).default('l2'),
    warmupSteps: z.number().int().nonnegative().default(0),
    schedule: z.enum(['log', 'linear']).default('log'),
    epsStart: z.number().positive().max(1).default(0.01),
    powerIters: z.number().int().positive().default(1),
    initIters: z.number().int().positive().default(50),
  };
}

/**
 * The tracker gloro and lipschitz-margin keep: built on the first step (initIters),
 * advanced before every step (powerIters), read by trainLogits, freed by dispose.
 */
export function stepTracker(name: string, opts: { initIters: number; powerIters: number }, seed: number) {
  let tracker: LipschitzTracker | undefined;
  return {
    beforeStep({ model }: HookContext): void {
      tracker ??= new LipschitzTracker(model, seed, opts.initIters, opts.powerIters, name);
      tracker.update();
    },
    get(): LipschitzTracker {
      if (!tracker) throw new Error(`${name}: beforeStep was not called`);
      return tracker;
    },
    dispose(): void {
      tracker?.dispose();
      tracker = undefined;
    },
  };
}
