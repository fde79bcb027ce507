/**
 * Lipschitz handlers for the spectral-normalized layers (models/spectral-layers.ts).
 * Their raw `kernel` weight is not the map they compute: the layer applies
 * W̄ = c·W/σ̂(W) with its frozen power-iteration vector, so the handlers measure the
 * effective W̄ (operator norm, reshaped σ, Frobenius bound) exactly as the Dense and
 * Conv2D handlers measure a plain kernel. The type-only import keeps this module free
 * of a runtime dependency on the layers (which import it to register these handlers).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SNConv2D, SNDense } from '../models/spectral-layers.js';
import { activationFactor } from './factors.js';
import { activationName, convConfig } from './layer-config.js';
import { conv2dFrobeniusBound, conv2dOperatorNorm, reshapedKernelNorm } from './layer-norms.js';
import { matrixSpectralNorm } from './power-iteration.js';
import { registerLayerHandler, type LayerContribution, type LayerHandler, type LayerNorm } from './registry.js';

function frobenius(t: tf.Tensor): number {
  const n = tf.tidy(() => tf.norm(t));
  const v = n.dataSync()[0]!;
  n.dispose();
  return v;
}

function contribution(layerName: string, norm: LayerNorm, activation: string): LayerContribution {
  const factor = activationFactor(activation, `layer '${layerName}'`);
  return { norm, factor, note: `spectral-normalized; fused ${activation}: ${factor}` };
}

/** Measures the effective kernel W̄ of an SN dense layer (or of a subclass that refines W̄). */
export const snDenseHandler: LayerHandler = (layer, ctx) => {
  const w = (layer as SNDense).effectiveKernel() as tf.Tensor2D;
  try {
    const r = matrixSpectralNorm(w, ctx.powerIteration);
    const norm: LayerNorm = {
      layer: layer.name,
      kind: 'sn-dense',
      operatorSigma: r.sigma,
      reshapedSigma: null,
      frobenius: frobenius(w),
      iterations: r.iterations,
      relChange: r.relChange,
    };
    return contribution(layer.name, norm, activationName(layer));
  } finally {
    w.dispose();
  }
};
registerLayerHandler('SNDense', snDenseHandler);

/** Measures the effective kernel W̄ of an SN conv layer (or of a subclass that refines W̄) at its input shape. */
export const snConv2DHandler: LayerHandler = (layer, ctx) => {
  const w = (layer as SNConv2D).effectiveKernel() as tf.Tensor4D;
  try {
    const geom = convConfig(layer);
    if (ctx.inputShape.length !== 4) throw new Error(`lipschitz: SNConv2D layer '${layer.name}' has input shape [${ctx.inputShape}], expected NHWC`);
    const op = conv2dOperatorNorm(w, ctx.inputShape as [number, number, number, number], geom, ctx.powerIteration);
    const reshaped = reshapedKernelNorm(w, ctx.powerIteration);
    const norm: LayerNorm = {
      layer: layer.name,
      kind: 'sn-conv2d',
      operatorSigma: op.sigma,
      reshapedSigma: reshaped.sigma,
      frobenius: conv2dFrobeniusBound(w, geom),
      iterations: Math.max(op.iterations, reshaped.iterations),
      relChange: Math.max(op.relChange, reshaped.relChange),
    };
    return contribution(layer.name, norm, geom.activation);
  } finally {
    w.dispose();
  }
};
registerLayerHandler('SNConv2D', snConv2DHandler);
