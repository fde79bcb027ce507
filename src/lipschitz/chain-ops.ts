/**
 * A chain model as the list of elementary maps that bound propagation and the pairwise
 * certificate work on: affine maps (dense, conv2d) with their *effective* weights
 * (spectral-normalized layers contribute W̄, not the raw kernel), reshapes, ReLU and
 * MaxMin.
 * Fused activations are split off their layer. Layers that are the identity at
 * inference (Dropout & co., 'linear' activations) disappear.
 *
 * A final softmax is dropped and reported (`strippedSoftmax`): it is monotone per
 * coordinate pair and keeps the argmax, so certificates about the decision are the
 * same, and every bound here is a bound on the logit map. Anything else that is not
 * listed throws, naming the layer: treating an unknown layer as the identity would make
 * every certificate wrong.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { modelChain } from './chain.js';
import { activationName, convConfig, requireWeight, weight } from './layer-config.js';
import { undilateKernel } from './layer-norms.js';
import { maxMinOp } from '../models/maxmin.js';

interface OpBase {
  /** The layer this op came from. */
  readonly layer: string;
  /** Input shape without the batch axis. */
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
}

export interface DenseOp extends OpBase {
  readonly kind: 'dense';
  /** [in, out]: y = x·W + b. */
  readonly W: tf.Tensor2D;
  readonly b: tf.Tensor1D | null;
}

export interface Conv2DOp extends OpBase {
  readonly kind: 'conv2d';
  /** [kh, kw, cin, cout], undilated. */
  readonly K: tf.Tensor4D;
  readonly b: tf.Tensor1D | null;
  readonly strides: [number, number];
  readonly padding: 'same' | 'valid';
}

export interface ReshapeOp extends OpBase {
  readonly kind: 'reshape';
}

export interface ReluOp extends OpBase {
  readonly kind: 'relu';
}

/** MaxMin (GroupSort-2) over the last axis: [max(a, b), min(a, b)] of its halves a, b. */
export interface MaxMinOp extends OpBase {
  readonly kind: 'maxmin';
}

export type ChainOp = DenseOp | Conv2DOp | ReshapeOp | ReluOp | MaxMinOp;

export interface ChainOps {
  readonly ops: ChainOp[];
  readonly inShape: readonly number[];
  readonly strippedSoftmax: boolean;
  /** Frees the weight copies. */
  dispose(): void;
}

/** Layer classes that compute the identity at inference. */
const IDENTITY_LAYERS = new Set(['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);
const RESHAPE_LAYERS = new Set(['Flatten', 'Reshape']);

/** Thrown for a layer bound propagation cannot handle; the message names it. */
export class UnsupportedLayerError extends Error {
  constructor(
    readonly layerName: string,
    readonly className: string,
    detail: string,
  ) {
    super(`bound propagation: layer '${layerName}' (${className}) is not supported: ${detail}`);
    this.name = 'UnsupportedLayerError';
  }
}

interface SNLike {
  effectiveKernel(): tf.Tensor;
}

function hasEffectiveKernel(layer: tfl.layers.Layer): layer is tfl.layers.Layer & SNLike {
  return typeof (layer as unknown as Partial<SNLike>).effectiveKernel === 'function';
}

/** A copy of the kernel the layer computes with (W̄ for spectral-normalized layers). */
function effectiveKernel(layer: tfl.layers.Layer): tf.Tensor {
  return hasEffectiveKernel(layer) ? layer.effectiveKernel() : tf.clone(requireWeight(layer, 'kernel'));
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The ops of a chain model (a softmax is dropped only as the last layer). */
export function chainOps(model: tfl.LayersModel): ChainOps {
  const links = modelChain(model);
  const ops: ChainOp[] = [];
  const owned: tf.Tensor[] = [];
  let strippedSoftmax = false;
  const dispose = () => tf.dispose(owned);
  try {
    links.forEach(({ layer, inputShape }, i) => {
      const cls = layer.getClassName();
      const inShape = inputShape.slice(1);
      const outShape = (layer.outputShape as (number | null)[]).slice(1).map((d) => d ?? -1);
      const last = i === links.length - 1;
      const activation = (name: string, shape: readonly number[]): void => {
        if (name === 'linear') return;
        if (name === 'relu') ops.push({ kind: 'relu', layer: layer.name, inShape: shape, outShape: shape });
        else if (name === 'softmax' && last) strippedSoftmax = true;
        else throw new UnsupportedLayerError(layer.name, cls, `activation '${name}' (supported: relu, linear, and softmax as the last layer)`);
      };
      if (IDENTITY_LAYERS.has(cls)) return;
      if (RESHAPE_LAYERS.has(cls)) {
        ops.push({ kind: 'reshape', layer: layer.name, inShape, outShape });
        return;
      }
      if (cls === 'Activation') return activation(activationName(layer), inShape);
      if (cls === 'ReLU') {
        // ReLU layers with a cap, a slope or a threshold are other functions.
        const c = layer.getConfig() as { maxValue?: number | null; negativeSlope?: number; threshold?: number };
        if ((c.maxValue ?? null) !== null || (c.negativeSlope ?? 0) !== 0 || (c.threshold ?? 0) !== 0) {
          throw new UnsupportedLayerError(layer.name, cls, 'only the plain ReLU (no maxValue, negativeSlope or threshold) is supported');
        }
        return activation('relu', inShape);
      }
      if (cls === 'MaxMin') {
        if ((inShape[inShape.length - 1] ?? 1) % 2 !== 0) throw new UnsupportedLayerError(layer.name, cls, `MaxMin needs an even last axis, got [${inShape}]`);
        ops.push({ kind: 'maxmin', layer: layer.name, inShape, outShape: inShape });
        return;
      }
      if (cls === 'Softmax' && last) {
        strippedSoftmax = true;
        return;
      }
      if (cls === 'Dense' || cls === 'SNDense' || cls === 'OrthoDense') {
        if (inShape.length !== 1) throw new UnsupportedLayerError(layer.name, cls, `dense on a rank-${inShape.length + 1} input; flatten first`);
        const W = effectiveKernel(layer) as tf.Tensor2D;
        owned.push(W);
        const bw = weight(layer, 'bias');
        const b = bw ? (tf.clone(bw) as tf.Tensor1D) : null;
        if (b) owned.push(b);
        ops.push({ kind: 'dense', layer: layer.name, inShape, outShape: [W.shape[1]], W, b });
        return activation(activationName(layer), [W.shape[1]]);
      }
      if (cls === 'Conv2D' || cls === 'SNConv2D' || cls === 'OrthoConv2D') {
        const geom = convConfig(layer);
        const raw = effectiveKernel(layer) as tf.Tensor4D;
        const K = undilateKernel(raw, geom.dilations);
        raw.dispose();
        owned.push(K);
        const bw = weight(layer, 'bias');
        const b = bw ? (tf.clone(bw) as tf.Tensor1D) : null;
        if (b) owned.push(b);
        ops.push({ kind: 'conv2d', layer: layer.name, inShape, outShape, K, b, strides: geom.strides, padding: geom.padding });
        return activation(geom.activation, outShape);
      }
      throw new UnsupportedLayerError(layer.name, cls, 'supported: Dense, Conv2D, SNDense, SNConv2D, OrthoDense, OrthoConv2D, Flatten, Reshape, ReLU/Activation(relu|linear), MaxMin, Dropout, a final softmax');
    });
  } catch (e) {
    dispose();
    throw e;
  }
  for (const op of ops) {
    if (op.outShape.some((d) => d < 0) || (op.kind === 'reshape' && size(op.inShape) !== size(op.outShape))) {
      dispose();
      throw new UnsupportedLayerError(op.layer, op.kind, `unknown or inconsistent shape [${op.inShape}] → [${op.outShape}]`);
    }
  }
  return { ops, inShape: links.length ? links[0]!.inputShape.slice(1) : [], strippedSoftmax, dispose };
}

/** Batch shape [n, ...shape]. */
export function batched(n: number, shape: readonly number[]): number[] {
  return [n, ...shape];
}

/** One op applied to a batch. */
export function applyOp(op: ChainOp, x: tf.Tensor): tf.Tensor {
  const n = x.shape[0]!;
  switch (op.kind) {
    case 'dense': {
      const y = tf.matMul(x as tf.Tensor2D, op.W);
      return op.b ? tf.add(y, op.b) : y;
    }
    case 'conv2d': {
      const y = tf.conv2d(x as tf.Tensor4D, op.K, op.strides, op.padding);
      return op.b ? tf.add(y, op.b) : y;
    }
    case 'reshape':
      return tf.reshape(x, batched(n, op.outShape));
    case 'relu':
      return tf.relu(x);
    case 'maxmin':
      return maxMinOp(x);
  }
}

/** The logit map (softmax stripped) on a batch, as a new tensor. */
export function forwardOps(chain: ChainOps, x: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    let h = tf.reshape(x, batched(x.shape[0]!, chain.inShape));
    for (const op of chain.ops) h = applyOp(op, h);
    if (h.rank !== 2) throw new Error(`bound propagation: the chain ends in shape [${h.shape}], expected [batch, classes]`);
    return h as tf.Tensor2D;
  });
}
