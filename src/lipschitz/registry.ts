/**
 * Per-layer dispatch for the Lipschitz analysis, keyed by `layer.getClassName()`.
 * Every layer in a model must have a handler: an unknown class throws, naming the
 * layer, because silently treating it as 1-Lipschitz would yield a wrong "bound".
 * New layer classes (e.g. spectral-normalized dense/conv) call `registerLayerHandler`.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { PowerIterationOptions } from './power-iteration.js';

/** Norms of one linear layer; the same columns as `LayerRow` minus the run key. */
export interface LayerNorm {
  readonly layer: string;
  /** 'dense', 'conv2d', or whatever a registered handler reports. */
  readonly kind: string;
  /** σ_max of the layer's linear operator at its real input shape (power iteration). */
  readonly operatorSigma: number;
  /** σ_max of the conv kernel reshaped to [kh·kw·cin, cout]; null where it equals the operator (dense). */
  readonly reshapedSigma: number | null;
  /** A provably sound Frobenius-style upper bound on the operator norm (‖W‖_F for dense). */
  readonly frobenius: number;
  readonly iterations: number;
  readonly relChange: number;
}

/** What one layer contributes to the product bounds. */
export interface LayerContribution {
  /** Present for layers with a weight operator; its norms multiply the respective products. */
  readonly norm?: LayerNorm;
  /**
   * Lipschitz factor of the rest of the layer (fused activation, pooling, batch-norm
   * scaling, reshapes); multiplies all three products.
   */
  readonly factor: number;
  /** Why `factor` has its value, for reports (e.g. 'maxpool 3×3/1 overlap √9'). */
  readonly note: string;
}

export interface LayerContext {
  /** The layer's input shape with batch 1, e.g. [1, 28, 28, 1]. */
  readonly inputShape: readonly number[];
  readonly powerIteration: PowerIterationOptions;
}

export type LayerHandler = (layer: tfl.layers.Layer, ctx: LayerContext) => LayerContribution;

const handlers = new Map<string, LayerHandler>();

/** Register (or replace) the handler for a layer class name as returned by `getClassName()`. */
export function registerLayerHandler(className: string, handler: LayerHandler): void {
  handlers.set(className, handler);
}

export function registeredLayerClasses(): string[] {
  return [...handlers.keys()].sort();
}

export function analyzeLayer(layer: tfl.layers.Layer, ctx: LayerContext): LayerContribution {
  const cls = layer.getClassName();
  const handler = handlers.get(cls);
  if (!handler) {
    throw new Error(
      `lipschitz: no Lipschitz handler for layer '${layer.name}' of class '${cls}'; ` +
        `register one with registerLayerHandler('${cls}', ...) (known: ${registeredLayerClasses().join(', ')})`,
    );
  }
  const c = handler(layer, ctx);
  if (!(c.factor >= 0) || !Number.isFinite(c.factor)) {
    throw new Error(`lipschitz: handler for '${layer.name}' (${cls}) returned factor ${c.factor}`);
  }
  return c;
}
