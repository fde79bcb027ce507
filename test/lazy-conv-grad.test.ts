/**
 * kernels/lazy-conv-grad.ts: with the routing installed, a tfjs-layers CNN gives the same
 * forward values, input gradients and weight gradients bit for bit as tfjs' own fused
 * conv2d, on cpu, wasm and wasm+native, while an input gradient no longer runs the
 * filter-gradient convolutions.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { installLazyConvGradients, uninstallLazyConvGradients } from '../src/kernels/lazy-conv-grad.js';
import { randArray } from './helpers/kernel-check.js';
import { MODES, setupModes, useMode } from './helpers/three-backends.js';

/** Conv (linear) + ReLU as lipbench builds them, a strided bias-free conv, a fused-ReLU conv, max-pooling, logits. */
function cnn(): tfl.Sequential {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [9, 9, 2], filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(1), biasInitializer: 'glorotUniform' }),
      tfl.layers.reLU(),
      tfl.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, kernelInitializer: init(2) }),
      tfl.layers.conv2d({ filters: 3, kernelSize: 2, padding: 'same', activation: 'relu', kernelInitializer: init(3) }),
      tfl.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'relu', useBias: false, kernelInitializer: init(5) }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 4, kernelInitializer: init(4) }),
    ],
  });
}

const X = randArray([6, 9, 9, 2]);
const Y = Float32Array.from({ length: 6 * 4 }, (_, i) => (i % 4 === Math.floor(i / 4) % 4 ? 1 : 0));

async function outputs(model: tfl.Sequential): Promise<{ values: Float32Array[]; filterGrads: number; biasAdds: number }> {
  const x = tf.tensor(X, [6, 9, 9, 2]);
  const y = tf.tensor(Y, [6, 4]);
  const loss = (xt: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, model.apply(xt, { training: true }) as tf.Tensor) as tf.Scalar;
  const weights = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const values = tf.tidy(() => {
    const logits = model.apply(x) as tf.Tensor;
    // The loss as computed inside a tape: the forward pass the routing changes.
    const { value: taped, grad: dx } = tf.valueAndGrad(loss)(x);
    const { grads } = tf.variableGrads(() => loss(x), weights);
    return [logits, taped, dx, ...Object.values(grads)];
  }).map((t) => {
    const v = Float32Array.from(t.dataSync());
    t.dispose();
    return v;
  });
  const before = tf.memory().numTensors;
  const profile = await tf.profile(() => tf.tidy(() => { tf.grad(loss)(x); }));
  assert.equal(tf.memory().numTensors, before, 'an input gradient leaked tensors');
  tf.dispose([x, y]);
  return {
    values,
    filterGrads: profile.kernels.filter((k) => k.name === 'Conv2DBackpropFilter').length,
    // A broadcast bias Add over a 4-D activation: tfjs' unfused ReLU conv.
    biasAdds: profile.kernels.filter((k) => k.name === 'Add' && k.inputShapes[0]?.length === 4 && k.inputShapes[1]?.length === 1).length,
  };
}

describe('lazy conv gradients', () => {
  before(() => setupModes());
  after(() => installLazyConvGradients());

  it('a filter whose input depth does not match x fails as tfjs does, inside a tape too', async () => {
    await useMode('cpu');
    const x = tf.zeros([1, 5, 5, 3]);
    const f = tf.zeros([3, 3, 2, 4]);
    const conv = (t: tf.Tensor) => tf.sum(tf.fused.conv2d({ x: t as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'same', bias: tf.zeros([4]) }));
    assert.throws(() => tf.grad(conv)(x), /depth of input/);
    tf.dispose([x, f]);
  });

  it('runs the FusedConv2D kernel registered now, also when it was registered again after the first taped conv', async () => {
    await useMode('cpu');
    assert.equal(installLazyConvGradients(), true);
    const x = tf.ones([1, 4, 4, 1]);
    const f = tf.ones([2, 2, 1, 2]);
    const taped = (): void => { tf.tidy(() => { tf.grad((t) => tf.sum(tf.fused.conv2d({ x: t as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'valid' })))(x); }); };
    const kernels = (await tf.profile(taped)).kernels.map((k) => k.name);
    assert.ok(kernels.includes('LipbenchConv2D'), `the premise: the taped conv takes the route (${kernels.join(',')})`);
    const stock = tf.getKernel(tf.FusedConv2D, 'cpu')!;
    let calls = 0;
    tf.unregisterKernel(tf.FusedConv2D, 'cpu');
    tf.registerKernel({ ...stock, kernelFunc: (args) => { calls++; return stock.kernelFunc(args); } });
    try {
      taped();
      assert.equal(calls, 1, 'the copy under LipbenchConv2D followed the new FusedConv2D');
    } finally {
      tf.unregisterKernel(tf.FusedConv2D, 'cpu');
      tf.registerKernel(stock);
      tf.dispose([x, f]);
    }
  });

  for (const mode of MODES) {
    it(`${mode}: same logits and gradients bit for bit as tfjs' fused conv2d, with no filter gradients for an input gradient`, async () => {
      await useMode(mode);
      const model = cnn();
      uninstallLazyConvGradients();
      const stock = await outputs(model);
      assert.equal(installLazyConvGradients(), true, 'the CommonJS tfjs-core namespace is writable');
      const lazy = await outputs(model);
      model.dispose();
      assert.equal(lazy.values.length, stock.values.length);
      stock.values.forEach((e, i) => {
        const a = lazy.values[i]!;
        assert.equal(a.length, e.length);
        for (let k = 0; k < e.length; k++) if (!Object.is(a[k], e[k])) assert.fail(`${mode} output ${i} element ${k}: ${a[k]} vs tfjs ${e[k]}`);
      });
      // tfjs ran the filter gradient of both linear convs (the fused-ReLU one is unfused,
      // hence lazy, in a tape already); now none runs.
      assert.equal(stock.filterGrads, 2, `stock: ${stock.filterGrads}`);
      assert.equal(lazy.filterGrads, 0, `lazy: ${lazy.filterGrads}`);
      // The fused-ReLU conv's bias rides in the conv kernel where that kernel adds it after
      // the sum (cpu, the addon); stock XNNPACK keeps tfjs' Add.
      assert.equal(stock.biasAdds, 1, `stock: ${stock.biasAdds}`);
      assert.equal(lazy.biasAdds, mode === 'wasm' ? 1 : 0, `lazy: ${lazy.biasAdds}`);
    });
  }
});
