/**
 * What double backpropagation needs on top of tfjs 4.22: gradients it does not register
 * (MaxPoolGrad, AvgPoolGrad, comparisons) and replacements for the gradients it gets
 * silently wrong at second order (see recompute.ts). Backend-independent (compositions
 * of ordinary ops), so one registration serves cpu, wasm and tfjs-node. Registered on
 * demand by whatever differentiates through a gradient (grad-penalty), so plain
 * training keeps tfjs' stock gradients.
 */
import * as tf from '@tensorflow/tfjs-core';
import { avgPoolGradGradConfig } from './avg-pool-grad.js';
import { maxPoolGradGradConfig } from './max-pool-grad.js';
import { recomputingGradients } from './recompute.js';
import { registerMissing } from '../register.js';

export { avgPoolGradGradConfig, maxPoolGradGradConfig };

/**
 * Comparisons are piecewise constant with boolean outputs; TensorFlow declares them
 * NotDifferentiable, tfjs registers nothing. They enter second-order tapes through the
 * backward passes of max/min/maximum (mul(dy, cast(equal(x, y)))), so without a zero
 * gradient double backprop through such ops would fail although its value is defined.
 */
const COMPARISONS = [tf.Equal, tf.NotEqual, tf.Greater, tf.GreaterEqual, tf.Less, tf.LessEqual];

function zeroGradient(kernelName: string): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (_dy, saved) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      return { a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) };
    },
  };
}

let registered = false;

/**
 * Idempotent. Missing gradients are added only where tfjs has none (a future tfjs may
 * bring its own); the output-saving ones are replaced unconditionally.
 */
export function registerSecondOrderGradients(): void {
  if (registered) return;
  registered = true;
  registerMissing([], [maxPoolGradGradConfig, avgPoolGradGradConfig, ...COMPARISONS.map(zeroGradient)]);
  for (const cfg of recomputingGradients) tf.registerGradient(cfg);
}

/**
 * Rethrows tfjs' "gradient function not found for X" from a double backprop with the
 * op named and the way out, so a missing second-order gradient is an error, not a
 * silently wrong penalty.
 */
export function explainMissingGradient(e: unknown, what: string): Error {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /gradient function not found for (\w+)/.exec(msg);
  if (!m) return e instanceof Error ? e : new Error(msg);
  return new Error(
    `${what} needs second-order gradients, but tfjs has no gradient for the op '${m[1]}'. ` +
      `Register one in src/kernels/gradients/ (see max-pool-grad.ts), or use a model without that op.`,
  );
}

