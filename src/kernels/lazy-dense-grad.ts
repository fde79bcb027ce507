/**
 * tfjs' fused matMul (what every tfjs-layers Dense calls) keeps its fusion inside a
 * gradient tape when the activation is linear, and its custom gradient then computes the
 * gradients of *both* operands eagerly. An attack wants only ∂/∂x, training never needs
 * ∂/∂x of the first layer, yet both GEMMs run: on PGD over an MLP 23% of the attack's
 * time went to weight gradients nobody read.
 *
 * Inside a tape, the linear case here runs the same fused kernel under another name
 * (LipbenchDense, registered per backend as a copy of that backend's _FusedMatMul) whose
 * registered gradient is lazy: each operand's gradient is the expression tfjs' custom
 * gradient uses, computed only when the tape asks for it. Forward values and every
 * gradient are tfjs' float32 results bit for bit (test/lazy-dense-grad.test.ts).
 *
 * The swap itself, and what happens where it cannot be made, is fused-route.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import { ensureKernelCopy, fusedBiasGradient, fusedRoute } from './fused-route.js';

type FusedMatMul = typeof tf.fused.matMul;
type FusedArgs = Parameters<FusedMatMul>[0];

export const LAZY_DENSE = 'LipbenchDense';

interface DenseAttrs {
  transposeA: boolean;
  transposeB: boolean;
  /** The bias's shape, or null without one (the fused kernel ignores this attribute). */
  biasShape: number[] | null;
}

/** Each operand's gradient as tfjs' fused matMul computes it, for dy and the 3-D operands. */
const lazyDenseGrad: tf.GradConfig = {
  kernelName: LAZY_DENSE,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [tf.Tensor3D, tf.Tensor3D];
    const { transposeA, transposeB, biasShape } = attrs as unknown as DenseAttrs;
    const g = dy as tf.Tensor3D;
    const grads: Record<string, () => tf.Tensor> = {
      a: () =>
        !transposeA && !transposeB ? tf.matMul(g, b, false, true)
        : !transposeA ? tf.matMul(g, b, false, false)
        : !transposeB ? tf.matMul(b, g, false, true)
        : tf.matMul(b, g, true, true),
      b: () =>
        !transposeA && !transposeB ? tf.matMul(a, g, true, false)
        : !transposeA ? tf.matMul(g, a, true, false)
        : !transposeB ? tf.matMul(a, g, false, false)
        : tf.matMul(g, a, true, true),
    };
    if (biasShape) {
      grads['bias'] = () => fusedBiasGradient(biasShape, g);
    }
    return grads;
  },
};

function lazyFusedMatMul(args: FusedArgs): tf.Tensor {
  const activation = args.activation ?? 'linear';
  if (tf.engine().state.gradientDepth === 0 || activation !== 'linear' || args.preluActivationWeights != null || !ensureKernelCopy(LAZY_DENSE, tf._FusedMatMul)) {
    return route.original()(args);
  }
  return tf.tidy(() => {
    const transposeA = args.transposeA ?? false;
    const transposeB = args.transposeB ?? false;
    const a = args.a as tf.Tensor;
    const b = args.b as tf.Tensor;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return route.original()(args);
    // The 3-D views and output shape as tfjs' fused matMul builds them.
    const inner = transposeA ? a.shape[a.rank - 2]! : a.shape[a.rank - 1]!;
    const outerA = transposeA ? a.shape[a.rank - 1]! : a.shape[a.rank - 2]!;
    const outerB = transposeB ? b.shape[b.rank - 2]! : b.shape[b.rank - 1]!;
    const batchA = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const batchB = b.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const outShape = [...backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), outerA, outerB];
    const a3 = transposeA ? tf.reshape(a, [batchA, inner, outerA]) : tf.reshape(a, [batchA, outerA, inner]);
    const b3 = transposeB ? tf.reshape(b, [batchB, outerB, inner]) : tf.reshape(b, [batchB, inner, outerB]);
    const inputs: Record<string, tf.Tensor> = { a: a3, b: b3 };
    if (args.bias != null) {
      // As tfjs' makeTypesMatch: a float32 bias is passed as is (a cast would copy it on every call).
      const bias = args.bias as tf.Tensor;
      inputs['bias'] = bias.dtype === 'float32' ? bias : tf.cast(bias, 'float32');
    }
    const attrs = { transposeA, transposeB, activation: 'linear', leakyreluAlpha: 0.2, biasShape: inputs['bias']?.shape ?? null };
    const res = tf.engine().runKernel(LAZY_DENSE, inputs, attrs as never) as tf.Tensor;
    return tf.reshape(res, outShape);
  });
}

const route = fusedRoute('matMul', lazyFusedMatMul as FusedMatMul, [lazyDenseGrad]);

/** Installs the routing once; false when tfjs' fused namespace cannot be written. */
export function installLazyDenseGradients(): boolean {
  return route.install();
}

/** Puts tfjs' own op back (for tests that compare both). */
export function uninstallLazyDenseGradients(): void {
  route.uninstall();
}
