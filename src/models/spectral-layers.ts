/**
 * Spectral normalization as a true reparameterization (Miyato, Kataoka, Koyama &
 * Yoshida, "Spectral Normalization for Generative Adversarial Networks", ICLR 2018):
 * the layer stores a raw kernel W but computes with W̄ = c·W/σ̂(W), so the gradient
 * flows through σ̂ into W. This is what the seed post means by "really modifying the
 * kernel", as opposed to Keras' kernel_constraint, which only rescales W after the step
 * (that variant is the `spectral-projection` regularizer).
 *
 * σ̂ = ‖A u‖ for a persistent unit vector u, stored as the non-trainable weight `sn_u`
 * (so a saved model reloads with the same W̄), which power iteration
 * (linalg/power-step.ts) moves towards A's top singular vector:
 *  - training mode (`training: true`): u ← normalize(AᵀA u), `snPowerIters` times per
 *    call, then σ̂ = ‖A u‖ with u held constant; unless a training loop moves that
 *    update to right after each optimizer step (`updateInForward`, which the
 *    `spectral-norm` regularizer turns off). With u constant, ∂‖Au‖/∂W is exactly the
 *    paper's ũ ṽᵀ (ũ = Au/‖Au‖), because ‖Au‖ = ũᵀ A u.
 *  - inference mode (predict, evaluation, every attack): u is frozen, so the function
 *    being attacked does not change between PGD steps.
 * The update of u is written into the variable, which is a leaf for the gradient tape:
 * that is the stop-gradient the paper asks for, without a stopGradient op (tfjs has none).
 *
 * A is the reshaped kernel [kh·kw·cin, cout] (`sigma: 'reshaped'`, the paper's choice,
 * u ∈ R^cout), or, for convolutions with `sigma: 'operator'`, the convolution operator
 * itself at the layer's input shape (u is an image [1,H,W,cin], the adjoint is
 * conv2dTranspose, as in lipschitz/layer-norms). Only the latter makes the layer's
 * operator norm c; the reshaped σ can be ~√(kh·kw) off either way.
 *
 * Power iteration under-estimates σ, so σ(W̄) ≥ c until u has converged. `initIters`
 * iterations run when the layer is built; afterwards `snPowerIters` per step track W.
 * The paper uses 1, arguing W moves slowly; under Adam one lags (σ(W̄) up to 1.4), which
 * is why the `spectral-norm` regularizer defaults to 20 (regularizers/spectral-norm.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { l2normalize, powerSteps } from '../linalg/power-step.js';
import type { Conv2DArgs, DenseArgs, LayerFactory } from './layer-factory.js';
import { ACTIVATIONS, activationOf, pair, rejectUnsupported, resolveInitializer, serializeInitializer, type ConfigDict, type Initializer, type LayerArgs } from './layer-args.js';

export type SigmaMode = 'reshaped' | 'operator';

export interface SpectralNormSettings {
  /** Target σ of W̄ (the paper's c); default 1. */
  readonly coeff?: number;
  /** Power iterations per training step; default 1 (the paper; see regularizers/spectral-norm.ts). */
  readonly powerIters?: number;
  /** Power iterations when the layer is built, on the initial kernel; default 50. */
  readonly initIters?: number;
  /** Which σ to normalize by (convolutions only; dense layers are always exact). */
  readonly sigma?: SigmaMode;
}

// Guards σ̂ and the normalization of u against a zero kernel.
const TINY = 1e-12;

const UNSUPPORTED = ['kernelConstraint', 'biasConstraint', 'kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'inputDim'] as const;

interface SNConfigFields {
  snCoeff?: number;
  snPowerIters?: number;
  snInitIters?: number;
  snSigma?: SigmaMode;
}

/** What the two layers share: the persistent vector, its update, and W̄. */
abstract class SNLayer extends tfl.layers.Layer {
  protected kernel?: tfl.LayerVariable;
  protected bias?: tfl.LayerVariable;
  protected u?: tfl.LayerVariable;
  readonly activation: string;
  readonly useBias: boolean;
  readonly snCoeff: number;
  readonly snPowerIters: number;
  readonly snInitIters: number;
  readonly snSigma: SigmaMode;
  protected readonly kernelInitializer: Initializer;
  protected readonly biasInitializer: Initializer;
  /**
   * Whether a training-mode call advances u (the paper's Algorithm 1, and what
   * model.fit relies on). A training loop that calls `advanceU` itself right after each
   * optimizer step turns this off: the sequence of (W, u) pairs seen by the forward
   * passes is the same, but between steps u then belongs to the *current* W, so
   * evaluation, attacks and saved models see σ(W̄) ≈ c instead of lagging one optimizer
   * step behind (a single Adam step can move σ(W) by several percent). Runtime only,
   * not saved.
   */
  updateInForward = true;

  constructor(args: LayerArgs & SNConfigFields & { activation?: unknown; useBias?: boolean; kernelInitializer?: unknown; biasInitializer?: unknown }) {
    super(args);
    const who = `${this.getClassName()} '${this.name}'`;
    rejectUnsupported(args, UNSUPPORTED, who);
    this.activation = activationOf(args.activation, who);
    this.useBias = args.useBias ?? true;
    this.snCoeff = args.snCoeff ?? 1;
    this.snPowerIters = args.snPowerIters ?? 1;
    this.snInitIters = args.snInitIters ?? 50;
    this.snSigma = args.snSigma ?? 'reshaped';
    if (!(this.snCoeff > 0)) throw new Error(`${who}: snCoeff must be > 0, got ${this.snCoeff}`);
    if (!(Number.isInteger(this.snPowerIters) && this.snPowerIters >= 1)) throw new Error(`${who}: snPowerIters must be an integer ≥ 1`);
    if (!(Number.isInteger(this.snInitIters) && this.snInitIters >= 0)) throw new Error(`${who}: snInitIters must be an integer ≥ 0`);
    if (this.snSigma !== 'reshaped' && this.snSigma !== 'operator') throw new Error(`${who}: snSigma must be 'reshaped' or 'operator'`);
    this.kernelInitializer = resolveInitializer(args.kernelInitializer, () => tfl.initializers.glorotUniform({}), who);
    this.biasInitializer = resolveInitializer(args.biasInitializer, () => tfl.initializers.zeros(), who);
  }

  /** The map A whose σ is normalized, applied to the persistent vector. */
  protected abstract applyA(w: tf.Tensor, u: tf.Tensor): tf.Tensor;
  /** Aᵀ, with output of u's shape. */
  protected abstract applyAT(w: tf.Tensor, y: tf.Tensor): tf.Tensor;
  /** The layer's linear map with kernel w (no bias, no activation). */
  protected abstract linear(x: tf.Tensor, w: tf.Tensor): tf.Tensor;

  protected addSNWeights(kernelShape: number[], uShape: number[], biasSize: number): void {
    this.kernel = this.addWeight('kernel', kernelShape, 'float32', this.kernelInitializer, undefined, true);
    if (this.useBias) this.bias = this.addWeight('bias', [biasSize], 'float32', this.biasInitializer, undefined, true);
    // Seeded from the shape: a fixed start keeps builds reproducible; warm-up makes it irrelevant.
    const seed = uShape.reduce((a, b) => a * 31 + b, 17) % 2 ** 31;
    this.u = this.addWeight('sn_u', uShape, 'float32', tfl.initializers.randomNormal({ mean: 0, stddev: 1, seed }), undefined, false);
    this.advanceU(this.snInitIters);
    this.built = true;
  }

  private requireWeights(): { kernel: tfl.LayerVariable; u: tfl.LayerVariable } {
    if (!this.kernel || !this.u) throw new Error(`${this.getClassName()} '${this.name}' is not built`);
    return { kernel: this.kernel, u: this.u };
  }

  /** Power iteration on the persistent vector: u ← normalize(AᵀA u), `iters` times. */
  advanceU(iters: number): void {
    if (iters <= 0) return;
    const { kernel, u } = this.requireWeights();
    tf.tidy(() => {
      const w = kernel.read();
      const q = powerSteps((x) => this.applyA(w, x), (y) => this.applyAT(w, y), l2normalize(u.read(), TINY), iters);
      u.write(q);
    });
  }

  /** σ̂ = ‖A u‖ with u constant (u is a variable, a leaf of the tape). */
  sigmaEstimate(w: tf.Tensor): tf.Scalar {
    const { u } = this.requireWeights();
    return tf.tidy(() => tf.norm(this.applyA(w, u.read())) as tf.Scalar);
  }

  /** W̄ from the raw kernel; protected so orthonormal-layers.ts can refine it (Björck after the σ̂ scaling). */
  protected normalize(w: tf.Tensor): tf.Tensor {
    return tf.mul(w, tf.div(tf.scalar(this.snCoeff), tf.add(this.sigmaEstimate(w), TINY)));
  }

  /** W̄ = c·W/σ̂(W) at the current (frozen) u, as a new tensor the caller disposes. */
  effectiveKernel(): tf.Tensor {
    const { kernel } = this.requireWeights();
    return tf.tidy(() => this.normalize(kernel.read()));
  }

  /** The persistent vector's current value, as a copy (tests, diagnostics). */
  uValue(): tf.Tensor {
    return tf.clone(this.requireWeights().u.read());
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const { kernel } = this.requireWeights();
      if (kwargs['training'] === true && this.updateInForward) this.advanceU(this.snPowerIters);
      let y = this.linear(x, this.normalize(kernel.read()));
      if (this.bias) y = tf.add(y, this.bias.read());
      return ACTIVATIONS[this.activation]!(y);
    });
  }

  protected snConfig(): ConfigDict {
    return {
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      snCoeff: this.snCoeff,
      snPowerIters: this.snPowerIters,
      snInitIters: this.snInitIters,
      snSigma: this.snSigma,
    };
  }
}

export type SNDenseArgs = DenseArgs & SNConfigFields;

/** A dense layer y = act(x·W̄ + b), W̄ = c·W/σ(W). W is [in, units]; u ∈ R^units. */
export class SNDense extends SNLayer {
  static className = 'SNDense';
  readonly units: number;

  constructor(args: SNDenseArgs) {
    super(args);
    this.units = args.units;
    // σ of a matrix is its operator norm: the 'operator' option changes nothing here.
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const inDim = shape[shape.length - 1];
    if (typeof inDim !== 'number') throw new Error(`SNDense '${this.name}': the last input dimension must be known`);
    this.addSNWeights([inDim, this.units], [this.units, 1], this.units);
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [...shape.slice(0, -1), this.units];
  }

  protected applyA(w: tf.Tensor, u: tf.Tensor): tf.Tensor {
    return tf.matMul(w as tf.Tensor2D, u as tf.Tensor2D);
  }

  protected applyAT(w: tf.Tensor, y: tf.Tensor): tf.Tensor {
    return tf.matMul(w as tf.Tensor2D, y as tf.Tensor2D, true, false);
  }

  protected linear(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
    if (x.rank === 2) return tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
    // A dense layer on rank>2 inputs applies W to the last axis at every position.
    const flat = tf.reshape(x, [-1, x.shape[x.rank - 1]!]) as tf.Tensor2D;
    return tf.reshape(tf.matMul(flat, w as tf.Tensor2D), [...x.shape.slice(0, -1), this.units]);
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), units: this.units, ...this.snConfig() };
  }
}

export type SNConv2DArgs = Conv2DArgs & SNConfigFields;

/**
 * A 2-D convolution (NHWC, no dilation) with kernel W̄ = c·W/σ(W); σ is the reshaped
 * kernel's σ (u ∈ R^cout) or, with snSigma 'operator', the convolution operator's
 * (u ∈ R^{1×H×W×cin}).
 */
export class SNConv2D extends SNLayer {
  static className = 'SNConv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  private inputHWC?: [number, number, number];

  constructor(args: SNConv2DArgs) {
    super(args);
    const who = `SNConv2D '${this.name}'`;
    this.filters = args.filters;
    this.kernelSize = pair(args.kernelSize, 1, 'kernelSize', who);
    this.strides = pair(args.strides, 1, 'strides', who);
    const pad = args.padding ?? 'valid';
    if (pad !== 'valid' && pad !== 'same') throw new Error(`${who}: padding '${pad}' is not supported`);
    this.padding = pad;
    if (args.dataFormat !== undefined && args.dataFormat !== 'channelsLast') throw new Error(`${who}: only channelsLast is supported`);
    const dil = pair(args.dilationRate as number | number[] | undefined, 1, 'dilationRate', who);
    // tfjs has no gradient for dilated conv2d, so such a layer could not be trained anyway.
    if (dil[0] !== 1 || dil[1] !== 1) throw new Error(`${who}: dilationRate ≠ 1 is not supported`);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    if (shape.length !== 4) throw new Error(`SNConv2D '${this.name}': expected NHWC input, got [${shape}]`);
    const [, h, w, cin] = shape;
    if (typeof cin !== 'number') throw new Error(`SNConv2D '${this.name}': the channel dimension must be known`);
    let uShape: number[] = [this.filters, 1];
    if (this.snSigma === 'operator') {
      if (typeof h !== 'number' || typeof w !== 'number') {
        throw new Error(`SNConv2D '${this.name}': snSigma 'operator' needs a fixed input height and width, got [${shape}]`);
      }
      this.inputHWC = [h, w, cin];
      uShape = [1, h, w, cin];
    }
    this.addSNWeights([this.kernelSize[0], this.kernelSize[1], cin, this.filters], uShape, this.filters);
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const out = (n: number | null, k: number, s: number): number | null => {
      if (n === null) return null;
      return this.padding === 'same' ? Math.ceil(n / s) : Math.ceil((n - k + 1) / s);
    };
    return [shape[0] ?? null, out(shape[1] ?? null, this.kernelSize[0], this.strides[0]), out(shape[2] ?? null, this.kernelSize[1], this.strides[1]), this.filters];
  }

  protected applyA(w: tf.Tensor, u: tf.Tensor): tf.Tensor {
    if (this.snSigma === 'operator') return tf.conv2d(u as tf.Tensor4D, w as tf.Tensor4D, this.strides, this.padding);
    const cout = w.shape[3]!;
    return tf.matMul(tf.reshape(w, [-1, cout]) as tf.Tensor2D, u as tf.Tensor2D);
  }

  protected applyAT(w: tf.Tensor, y: tf.Tensor): tf.Tensor {
    if (this.snSigma === 'operator') {
      const [h, ww, cin] = this.inputHWC!;
      return tf.conv2dTranspose(y as tf.Tensor4D, w as tf.Tensor4D, [1, h, ww, cin], this.strides, this.padding);
    }
    const cout = w.shape[3]!;
    return tf.matMul(tf.reshape(w, [-1, cout]) as tf.Tensor2D, y as tf.Tensor2D, true, false);
  }

  protected linear(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
    return tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, this.strides, this.padding);
  }

  override getConfig(): ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      dataFormat: 'channelsLast',
      dilationRate: [1, 1],
      ...this.snConfig(),
    };
  }
}

tf.serialization.registerClass(SNDense);
tf.serialization.registerClass(SNConv2D);

export function isSpectralNormLayer(layer: tfl.layers.Layer): layer is SNLayer {
  return layer instanceof SNLayer;
}

export type { SNLayer };

/** The layer factory that builds every dense and conv layer spectrally normalized. */
export function spectralNormLayers(settings: SpectralNormSettings = {}): LayerFactory {
  const sn: SNConfigFields = {
    snCoeff: settings.coeff ?? 1,
    snPowerIters: settings.powerIters ?? 1,
    snInitIters: settings.initIters ?? 50,
    snSigma: settings.sigma ?? 'reshaped',
  };
  return {
    name: 'spectral-norm',
    dense: (args) => new SNDense({ ...args, ...sn }),
    conv2d: (args) => new SNConv2D({ ...args, ...sn }),
  };
}
