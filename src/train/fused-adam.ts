/**
 * tfjs' Adam with each variable's update as one kernel (kernels/adam-update.ts) where the
 * backend has it (cpu, wasm, wasm+native), and tfjs' own composition elsewhere (webgl,
 * tfjs-node). Same state (moments, β powers), same rate field (setOptimizerRate writes
 * `learningRate`), and the same float32 results bit for bit, so switching changes speed
 * only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, adamParams, registerAdamUpdateKernel } from '../kernels/adam-update.js';

/** The AdamOptimizer fields this class reads and writes (protected in tfjs' typings). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  incrementIterations(): void;
}

export class FusedAdam extends tf.AdamOptimizer {
  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
    registerAdamUpdateKernel();
  }

  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (!tf.getKernel(ADAM_UPDATE, tf.getBackend())) {
      super.applyGradients(variableGradients);
      return;
    }
    const s = this as unknown as AdamState;
    const named: { name: string; tensor: tf.Tensor | null | undefined }[] = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    tf.tidy(() => {
      // The bias corrections as tfjs computes them: float32 scalars 1 − β^t.
      // One read-back for both; the outer tidy frees the tensors.
      const corrections = tf.stack([tf.sub(1, s.accBeta1), tf.sub(1, s.accBeta2)]).dataSync();
      const params = adamParams(s.beta1, s.beta2, corrections[0]!, corrections[1]!, s.epsilon, s.learningRate);
      named.forEach(({ name, tensor: g }, i) => {
        const value = tf.engine().registeredVariables[name]!;
        s.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        s.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        if (g == null) return;
        const m = s.accumulatedFirstMoment[i]!.variable;
        const v = s.accumulatedSecondMoment[i]!.variable;
        const [nw, nm, nv] = tf.engine().runKernel(ADAM_UPDATE, { w: value, m, v, g }, { params } as never) as tf.Tensor[];
        m.assign(nm!);
        v.assign(nv!);
        value.assign(nw!);
      });
      s.accBeta1.assign(tf.mul(s.accBeta1, s.beta1));
      s.accBeta2.assign(tf.mul(s.accBeta2, s.beta2));
    });
    s.incrementIterations();
  }
}
