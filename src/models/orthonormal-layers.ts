/**
 * Orthonormalized dense and conv layers for 1-Lipschitz bodies (deel-lip's
 * SpectralDense/SpectralConv2D; Anil, Lucas & Grosse, "Sorting out Lipschitz function
 * approximation", ICML 2019). Like the spectral-normalized layers they extend
 * (spectral-layers.ts), they store a raw kernel W and compute with an effective kernel
 * derived from it in every forward pass, so gradients flow through the derivation:
 *
 *   1. W₀ = W/σ̂(W), σ̂ from the persistent power-iteration vector (the SN step);
 *   2. `bjorckIters` Björck iterations W ← 1.5·W − 0.5·W·WᵀW (Björck & Bowie 1971),
 *      which drive every singular value towards 1.
 *
 * What is guaranteed, and what is not:
 *  - Each Björck step maps a singular value s to |1.5s − 0.5s³|, which is ≤ 1 for every
 *    s ∈ [0, 2] and has its fixed point at 1. σ̂ under-estimates σ only slightly once u
 *    has converged, so σ(W₀) ≤ 2 in practice and after one step σ ≤ 1 (in exact
 *    arithmetic). The step does not enforce this; nothing here is trusted for
 *    soundness: the Lipschitz handlers measure σ of the effective kernel itself
 *    (lipschitz/orthonormal-handlers.ts), as for every other layer.
 *  - Finite iterations leave small singular values below 1 (s grows ×1.5 per step
 *    while small): the layer is then not exactly orthonormal, only close to it.
 *  - Dense: the effective kernel [in, out] has (close to) orthonormal columns when
 *    in ≥ out, so the layer is (close to) a co-isometry. With MaxMin activations, whose
 *    Jacobian is a permutation, the Jacobian of a body whose widths do not grow then
 *    has orthonormal rows and norm 1 at every point: the product bound is the true
 *    constant (test/orthonormal-layers.test.ts measures the ratio on a trained MLP).
 *  - Conv: Björck orthonormalizes the reshaped kernel [kh·kw·cin, cout], and the kernel
 *    is then divided by √(⌈kh/sh⌉·⌈kw/sw⌉). That makes the convolution's operator norm
 *    ≤ 1: ‖conv(x)‖² = Σ_p ‖Wᵣ·patch_p(x)‖² ≤ σ(Wᵣ)²·Σ_p ‖patch_p(x)‖², and each input
 *    pixel lies in at most ⌈kh/sh⌉·⌈kw/sw⌉ patches (zero padding adds nothing). It does
 *    NOT make the convolution orthogonal: its operator norm is usually well below 1
 *    and the product bound of a conv body stays loose (a Block Convolution
 *    Orthogonal Parameterization would be needed for that; not implemented).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LayerFactory } from './layer-factory.js';
import { SNConv2D, SNDense, type SNConv2DArgs, type SNDenseArgs } from './spectral-layers.js';

type ConfigDict = tf.serialization.ConfigDict;

export interface OrthonormalSettings {
  /** Björck iterations per forward pass; default 15 (deel-lip's niter_bjorck). */
  readonly bjorckIters?: number;
  /** Power iterations per training step for the σ̂ pre-scaling; default 5. */
  readonly powerIters?: number;
  /** Power iterations when a layer is built; default 50. */
  readonly initIters?: number;
}

/** `iters` Björck steps on a matrix; the cheaper of WᵀW (in ≥ out) and WWᵀ is formed. */
export function bjorck(w: tf.Tensor2D, iters: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [m, n] = w.shape;
    let q: tf.Tensor2D = w;
    for (let i = 0; i < iters; i++) {
      const cube = m >= n ? tf.matMul(q, tf.matMul(q, q, true, false)) : tf.matMul(tf.matMul(q, q, false, true), q);
      q = tf.sub(tf.mul(q, 1.5), tf.mul(cube, 0.5));
    }
    return q;
  });
}

function checkIters(v: number, who: string): number {
  if (!(Number.isInteger(v) && v >= 0)) throw new Error(`${who}: bjorckIters must be an integer ≥ 0, got ${v}`);
  return v;
}

interface OrthoFields {
  bjorckIters?: number;
}

/** A dense layer whose kernel is the Björck-orthonormalized W/σ̂(W). */
export class OrthoDense extends SNDense {
  static override className = 'OrthoDense';
  readonly bjorckIters: number;

  constructor(args: SNDenseArgs & OrthoFields) {
    // The target σ is 1 by construction; an SN coefficient would be undone by Björck.
    super({ ...args, snCoeff: 1 });
    this.bjorckIters = checkIters(args.bjorckIters ?? 15, `OrthoDense '${this.name}'`);
  }

  protected override normalize(w: tf.Tensor): tf.Tensor {
    return tf.tidy(() => bjorck(super.normalize(w) as tf.Tensor2D, this.bjorckIters));
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), bjorckIters: this.bjorckIters };
  }
}

/**
 * A conv layer whose reshaped kernel is Björck-orthonormalized, then scaled by
 * 1/√(⌈kh/sh⌉·⌈kw/sw⌉) so the operator norm is ≤ 1 (see the file comment).
 */
export class OrthoConv2D extends SNConv2D {
  static override className = 'OrthoConv2D';
  readonly bjorckIters: number;

  constructor(args: SNConv2DArgs & OrthoFields) {
    // σ̂ of the reshaped kernel: Björck works on that matrix.
    super({ ...args, snCoeff: 1, snSigma: 'reshaped' });
    this.bjorckIters = checkIters(args.bjorckIters ?? 15, `OrthoConv2D '${this.name}'`);
  }

  /** √ of the most patches any input pixel lies in. */
  overlap(): number {
    return Math.sqrt(Math.ceil(this.kernelSize[0] / this.strides[0]) * Math.ceil(this.kernelSize[1] / this.strides[1]));
  }

  protected override normalize(w: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const cout = w.shape[3]!;
      const q = bjorck(tf.reshape(super.normalize(w), [-1, cout]) as tf.Tensor2D, this.bjorckIters);
      return tf.div(tf.reshape(q, w.shape), this.overlap());
    });
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), bjorckIters: this.bjorckIters };
  }
}

tf.serialization.registerClass(OrthoDense);
tf.serialization.registerClass(OrthoConv2D);

export function isOrthonormalLayer(layer: tfl.layers.Layer): layer is OrthoDense | OrthoConv2D {
  return layer instanceof OrthoDense || layer instanceof OrthoConv2D;
}

/** The layer factory that builds every dense and conv layer orthonormalized. */
export function orthonormalLayers(settings: OrthonormalSettings = {}): LayerFactory {
  const common = { snPowerIters: settings.powerIters ?? 5, snInitIters: settings.initIters ?? 50, bjorckIters: settings.bjorckIters ?? 15 };
  return {
    name: 'orthonormal',
    dense: (args) => new OrthoDense({ ...args, ...common }),
    conv2d: (args) => new OrthoConv2D({ ...args, ...common }),
  };
}
