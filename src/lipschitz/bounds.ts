/**
 * Product upper bounds on the L2 Lipschitz constant of a chain model's logit map:
 * Π (linear-operator norm) × Π (factors of activations, pooling, batch-norm). Biases
 * are shifts and do not change the constant.
 *
 *   upper          operator norms (conv at its real input shape): the sound bound.
 *   upperFrobenius ‖W‖_F for dense and √m·‖K‖_F for conv: looser, also sound.
 *   upperReshaped  reshaped-kernel σ for conv: NOT a sound bound, kept for comparison
 *                  with what spectral normalization controls.
 *
 * Soundness caveat: operatorSigma comes from power iteration, a lower estimate of each
 * σ that converges from below; `maxRelChange` is the worst per-step change reached and
 * `converged` says whether every layer met the tolerance. Use `strict` to throw instead.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { modelChain } from './chain.js';
import './handlers.js';
import type { PowerIterationOptions } from './power-iteration.js';
import { analyzeLayer, type LayerNorm } from './registry.js';

export interface LipschitzBoundOptions extends PowerIterationOptions {
  /** Throw if any power iteration ends above its tolerance. Default false (reported instead). */
  readonly strict?: boolean;
}

/** The non-weight factor of one layer, for reports. */
export interface LayerFactor {
  readonly layer: string;
  readonly className: string;
  readonly factor: number;
  readonly note: string;
}

export interface LipschitzBounds {
  readonly layers: LayerNorm[];
  readonly factors: LayerFactor[];
  readonly upper: number;
  readonly upperFrobenius: number;
  readonly upperReshaped: number;
  /** Largest final relative change over all power iterations (0 if there were none). */
  readonly maxRelChange: number;
  readonly converged: boolean;
}

export function lipschitzUpperBounds(model: tfl.LayersModel, opts: LipschitzBoundOptions = {}): LipschitzBounds {
  const { strict = false, ...pi } = opts;
  const tol = pi.tol ?? 1e-6;
  const layers: LayerNorm[] = [];
  const factors: LayerFactor[] = [];
  let upper = 1;
  let upperFrobenius = 1;
  let upperReshaped = 1;
  let maxRelChange = 0;
  for (const { layer, inputShape } of modelChain(model)) {
    const c = analyzeLayer(layer, { inputShape, powerIteration: pi });
    if (c.norm) {
      const n = c.norm;
      if (strict && !(n.relChange < tol)) {
        throw new Error(`lipschitz: power iteration for layer '${n.layer}' stopped at relative change ${n.relChange} ≥ tol ${tol} after ${n.iterations} iterations`);
      }
      layers.push(n);
      upper *= n.operatorSigma;
      upperFrobenius *= n.frobenius;
      upperReshaped *= n.reshapedSigma ?? n.operatorSigma;
      maxRelChange = Math.max(maxRelChange, n.relChange);
    }
    factors.push({ layer: layer.name, className: layer.getClassName(), factor: c.factor, note: c.note });
    upper *= c.factor;
    upperFrobenius *= c.factor;
    upperReshaped *= c.factor;
  }
  return { layers, factors, upper, upperFrobenius, upperReshaped, maxRelChange, converged: maxRelChange < tol };
}

/** The norm rows of every linear layer of a chain model (throws on unknown layer classes). */
export function layerNorms(model: tfl.LayersModel, opts: PowerIterationOptions = {}): LayerNorm[] {
  const rows: LayerNorm[] = [];
  for (const { layer, inputShape } of modelChain(model)) {
    const c = analyzeLayer(layer, { inputShape, powerIteration: opts });
    if (c.norm) rows.push(c.norm);
  }
  return rows;
}
