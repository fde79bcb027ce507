/**
 * kernels/lazy-dense-grad.ts: with the routing installed, a tfjs-layers MLP gives the
 * same forward values, input gradients and weight gradients bit for bit as tfjs' own
 * fused op, on cpu, wasm and wasm+native, while an input gradient no longer runs the
 * weight-gradient GEMMs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { installLazyDenseGradients, uninstallLazyDenseGradients } from '../src/kernels/lazy-dense-grad.js';
import { randArray } from './helpers/kernel-check.js';
import { MODES, setupModes, useMode } from './helpers/three-backends.js';

/** Dense (linear) + ReLU layers as lipbench builds them, a fused-ReLU Dense, a bias-free Dense, then logits. */
function mlp(): tfl.Sequential {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [6, 6, 1] }),
      tfl.layers.dense({ units: 20, kernelInitializer: init(1), biasInitializer: 'glorotUniform' }),
      tfl.layers.reLU(),
      tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: init(2) }),
      tfl.layers.dense({ units: 12, useBias: false, kernelInitializer: init(3) }),
      tfl.layers.dense({ units: 5, kernelInitializer: init(4) }),
    ],
  });
}

const X = randArray([9, 6, 6, 1]);
const Y = Float32Array.from({ length: 9 * 5 }, (_, i) => (i % 5 === Math.floor(i / 5) % 5 ? 1 : 0));

/** [logits, ∂loss/∂x, ∂loss/∂w for every weight], and the BatchMatMul count of the input gradient alone. */
async function outputs(model: tfl.Sequential): Promise<{ values: Float32Array[]; inputGradMatMuls: number }> {
  const x = tf.tensor(X, [9, 6, 6, 1]);
  const y = tf.tensor(Y, [9, 5]);
  const loss = (xt: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, model.apply(xt, { training: true }) as tf.Tensor) as tf.Scalar;
  const values = tf.tidy(() => {
    const logits = model.apply(x) as tf.Tensor;
    const dx = tf.grad(loss)(x);
    const { grads } = tf.variableGrads(() => loss(x), model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
    return [logits, dx, ...Object.values(grads)];
  }).map((t) => {
    const v = Float32Array.from(t.dataSync());
    t.dispose();
    return v;
  });
  const profile = await tf.profile(() => tf.tidy(() => tf.grad(loss)(x)));
  tf.dispose([x, y]);
  return { values, inputGradMatMuls: profile.kernels.filter((k) => ['BatchMatMul', '_FusedMatMul', 'LipbenchDense'].includes(k.name)).length };
}

describe('lazy dense gradients', () => {
  const modes = MODES;
  before(() => setupModes());
  after(() => installLazyDenseGradients());

  for (const mode of modes) {
    it(`${mode}: same logits and gradients bit for bit as tfjs' fused op, with fewer GEMMs for an input gradient`, async () => {
      await useMode(mode);
      const model = mlp();
      uninstallLazyDenseGradients();
      const stock = await outputs(model);
      assert.equal(installLazyDenseGradients(), true, 'the CommonJS tfjs-core namespace is writable');
      const lazy = await outputs(model);
      model.dispose();
      assert.equal(lazy.values.length, stock.values.length);
      stock.values.forEach((e, i) => {
        const a = lazy.values[i]!;
        for (let k = 0; k < e.length; k++) if (!Object.is(a[k], e[k])) assert.fail(`${mode} output ${i} element ${k}: ${a[k]} vs tfjs ${e[k]}`);
      });
      // Forward: 4 products. Backward to x: 4 input-side products, and no weight-side ones now
      // (tfjs' fused op ran 3 more: the fused-ReLU layer already took the unfused path).
      assert.equal(lazy.inputGradMatMuls, 8, `lazy: ${lazy.inputGradMatMuls}`);
      assert.equal(stock.inputGradMatMuls, 11, `stock: ${stock.inputGradMatMuls}`);
    });
  }
});
