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
  /** β1^t and β2^t as float32 values, the same as accBeta1/accBeta2 hold; read from them when unset. */
  private betaPowers: [number, number] | undefined;

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
    registerAdamUpdateKernel();
  }

  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (!tf.getKernel(ADAM_UPDATE, tf.getBackend())) {
      super.applyGradients(variableGradients);
      this.betaPowers = undefined;  // tfjs moved the β powers on; read them if a later step has the kernel
      return;
    }
    const s = this as unknown as AdamState;
    const named: { name: string; tensor: tf.Tensor | null | undefined }[] = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    // The β powers and bias corrections as tfjs computes them, float32 scalars, here in
    // JavaScript: one float32 operation each, rounded by Math.fround (exact for × and −:
    // a double holds every product and difference of two floats before the one rounding).
    // tfjs ran seven scalar kernels and a read-back for them, ~65 µs of a 4 ms MLP step.
    const f = Math.fround;
    const [p1, p2] = (this.betaPowers ??= [s.accBeta1.dataSync()[0]!, s.accBeta2.dataSync()[0]!]);
    const [n1, n2] = (this.betaPowers = [f(p1 * f(s.beta1)), f(p2 * f(s.beta2))]);
    tf.tidy(() => {
      const params = adamParams(s.beta1, s.beta2, f(1 - p1), f(1 - p2), s.epsilon, s.learningRate);
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
      // The variables too, for anything that reads them (an assign runs no kernel).
      s.accBeta1.assign(tf.scalar(n1));
      s.accBeta2.assign(tf.scalar(n2));
    });
    s.incrementIterations();
  }

  /** tfjs' setWeights recomputes the β powers (float32 pow): read them again on the next step. */
  override async setWeights(weightValues: Parameters<tf.AdamOptimizer['setWeights']>[0]): Promise<void> {
    await super.setWeights(weightValues);
    this.betaPowers = undefined;
  }
}
