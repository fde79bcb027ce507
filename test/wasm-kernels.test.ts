/**
 * lipbench's wasm kernels against the cpu backend's reference implementations.
 * Both backends live in one process: tensors are built from plain Float32Arrays after
 * switching, and results are read back before switching again.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's node bundle registers no gradients; the tfjs-layers bundle does.
import '@tensorflow/tfjs-layers';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../src/kernels/wasm/index.js';
import {
  assertClose, compare, convOutShape, describeCase, operand, rand, randArray, randInt, randomConvCase, type ConvCase,
} from './helpers/kernel-check.js';

before(async () => {
  const require = createRequire(import.meta.url);
  tfwasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
  registerWasmKernels();
  assert.ok(await tf.setBackend('wasm'));
  await tf.ready();
});

describe('comparison harness', () => {
  it('rejects a perturbed result', () => {
    const e = Float32Array.from([1, 2, 3]);
    assert.throws(() => assertClose(Float32Array.from([1, 2, 3.01]), e, 'perturbed'));
    assertClose(Float32Array.from([1, 2, 3.0001]), e, 'within tolerance');
  });
});

describe('BatchMatMul on wasm', () => {
  it('matches cpu for every transpose combination on odd sizes', async () => {
    for (let rep = 0; rep < 6; rep++) {
      const [m, k, n] = [randInt(1, 70), randInt(1, 70), randInt(1, 70)];
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = operand(ta ? [k, m] : [m, k]);
          const b = operand(tb ? [n, k] : [k, n]);
          await compare(`matMul ${m}x${k}x${n} tA=${ta} tB=${tb}`, [a, b],
            (x, y) => tf.matMul(x, y, ta, tb));
        }
      }
    }
  });

  it('matches cpu with batch dimensions and broadcasting', async () => {
    // tfjs only broadcasts when one side's batch is all ones ([2,1] x [1,3] is outside its
    // contract, and the cpu reference returns a short buffer there).
    const cases: [number[], number[]][] = [
      [[3], [3]], [[4], [1]], [[1], [5]], [[], [2]], [[2], []], [[2, 3], [1, 1]], [[1, 1], [2, 3]], [[2, 3], [2, 3]],
    ];
    for (const [ba, bb] of cases) {
      const [m, k, n] = [randInt(1, 20), randInt(1, 20), randInt(1, 20)];
      const ta = rand() < 0.5;
      const tb = rand() < 0.5;
      const a = operand([...ba, ...(ta ? [k, m] : [m, k])]);
      const b = operand([...bb, ...(tb ? [n, k] : [k, n])]);
      await compare(`matMul batch ${ba}|${bb} ${m}x${k}x${n} tA=${ta} tB=${tb}`, [a, b],
        (x, y) => tf.matMul(x, y, ta, tb));
    }
  });

  it('matches cpu on a large transposed product (weight-gradient shape)', async () => {
    const a = operand([128, 300]);
    const b = operand([128, 257]);
    await compare('matMul tA 300x128x257', [a, b], (x, y) => tf.matMul(x, y, true, false));
    await compare('matMul tB 128x257x300', [b, operand([300, 257])], (x, y) => tf.matMul(x, y, false, true));
  });
});

describe('_FusedMatMul on wasm', () => {
  const activations = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const;
  it('matches cpu for bias, activations, transposes and batches', async () => {
    for (const activation of activations) {
      for (const batch of [[], [3]]) {
        const [m, k, n] = [randInt(1, 40), randInt(1, 40), randInt(1, 40)];
        const ta = rand() < 0.5;
        const tb = rand() < 0.5;
        const ops = [
          operand([...batch, ...(ta ? [k, m] : [m, k])]),
          operand([...batch, ...(tb ? [n, k] : [k, n])]),
          operand([n]),
          operand([n]),
        ];
        await compare(`fused ${activation} batch=${batch} ${m}x${k}x${n} tA=${ta} tB=${tb}`, ops,
          (a, b, bias, alpha) => tf.fused.matMul({
            a, b, transposeA: ta, transposeB: tb, bias, activation,
            preluActivationWeights: activation === 'prelu' ? alpha : undefined, leakyreluAlpha: 0.3,
          }));
      }
    }
  });

  it('matches cpu with a broadcast [m, n] bias and no bias', async () => {
    const [m, k, n] = [7, 9, 5];
    await compare('fused bias [m,n]', [operand([m, k]), operand([n, k]), operand([m, n])],
      (a, b, bias) => tf.fused.matMul({ a, b, transposeB: true, bias, activation: 'relu' }));
    await compare('fused no bias', [operand([k, m]), operand([k, n])],
      (a, b) => tf.fused.matMul({ a, b, transposeA: true, activation: 'relu' }));
  });
});

/** This file's random convolutions: few channels (ci in 1..6, co in 1..7). */
const randomCase = (): ConvCase => randomConvCase(6, 7);

describe('Conv2DBackpropFilter on wasm', () => {
  it('matches cpu on fixed and randomized convolutions', async () => {
    const cases: ConvCase[] = [
      { n: 2, h: 28, w: 28, ci: 1, co: 8, k: 3, kw: 3, s: [1, 1], pad: 'same' },
      { n: 2, h: 28, w: 28, ci: 8, co: 16, k: 3, kw: 3, s: [2, 2], pad: 'same' },
      { n: 1, h: 9, w: 11, ci: 3, co: 4, k: 5, kw: 5, s: [2, 2], pad: 'valid' },
      { n: 2, h: 8, w: 8, ci: 2, co: 3, k: 1, kw: 1, s: [2, 2], pad: 'valid' },
      ...Array.from({ length: 24 }, randomCase),
    ];
    for (const c of cases) {
      const filterShape: [number, number, number, number] = [c.k, c.kw, c.ci, c.co];
      const x = operand([c.n, c.h, c.w, c.ci]);
      const dy = operand(convOutShape(x.shape, filterShape, c.s, c.pad));
      await compare(`backpropFilter ${describeCase(c)}`, [x, dy], (xt, dyt) =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy: dyt },
          { strides: c.s, pad: c.pad, dataFormat: 'NHWC', filterShape }) as tf.Tensor);
    }
  });
});

describe('Conv2DBackpropInput on wasm', () => {
  it('matches cpu on fixed and randomized convolutions', async () => {
    const cases: ConvCase[] = [
      { n: 2, h: 28, w: 28, ci: 8, co: 16, k: 3, kw: 3, s: [2, 2], pad: 'same' },
      { n: 2, h: 13, w: 13, ci: 4, co: 5, k: 3, kw: 3, s: [1, 1], pad: 'same' },
      { n: 1, h: 9, w: 12, ci: 3, co: 4, k: 5, kw: 5, s: [2, 2], pad: 'valid' },
      { n: 2, h: 8, w: 9, ci: 2, co: 3, k: 1, kw: 1, s: [2, 2], pad: 'valid' },
      { n: 1, h: 7, w: 7, ci: 2, co: 2, k: 2, kw: 2, s: [3, 3], pad: 'valid' },
      ...Array.from({ length: 24 }, randomCase),
    ];
    for (const c of cases) {
      const inputShape: [number, number, number, number] = [c.n, c.h, c.w, c.ci];
      const filter = operand([c.k, c.kw, c.ci, c.co]);
      const dy = operand(convOutShape(inputShape, filter.shape, c.s, c.pad));
      await compare(`backpropInput ${describeCase(c)}`, [dy, filter], (dyt, ft) =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy: dyt, filter: ft },
          { strides: c.s, pad: c.pad, dataFormat: 'NHWC', inputShape }) as tf.Tensor);
    }
  });
});

describe('Sum on wasm', () => {
  it('matches cpu for leading-axis and other reductions', async () => {
    const cases: [number[], number[], boolean][] = [
      [[16, 7, 5, 3], [0, 1, 2], false], [[16, 7, 5, 3], [0, 1, 2], true], [[9, 13], [0], false],
      [[4, 3, 2], [1, 0], true], [[4, 3, 2], [2], false], [[4, 3, 2], [0, 2], false], [[6, 5], [0, 1], false],
    ];
    for (const [shape, axes, keepDims] of cases) {
      await compare(`sum ${shape} axes=${axes} keepDims=${keepDims}`, [operand(shape)], (x) => tf.sum(x, axes, keepDims));
    }
  });
});

describe('Slice on wasm', () => {
  it('matches cpu on random slices of every rank and dtype, and leaves the source intact', async () => {
    const dtypes = ['float32', 'int32', 'bool'] as const;
    for (let t = 0; t < 60; t++) {
      const rank = randInt(1, 6);
      const shape = Array.from({ length: rank }, () => randInt(1, 5));
      const begin = shape.map((d) => randInt(0, d - 1));
      // -1 ("to the end") and whole-axis sizes exercise the run folding; 0 is an empty slice.
      const size = shape.map((d, i) => (rand() < 0.2 ? -1 : rand() < 0.1 ? 0 : randInt(1, d - begin[i])));
      const dtype = dtypes[t % 3];
      await compare(`slice ${dtype} ${shape} begin=${begin} size=${size}`, [operand(shape)], (x) => {
        const typed = dtype === 'float32' ? x : dtype === 'int32' ? tf.cast(tf.mul(x, 100), 'int32') : tf.greater(x, 0);
        const s = tf.slice(typed, begin, size);
        // Returning the source too checks the slice did not write into it.
        return [tf.cast(s, 'float32'), tf.cast(typed, 'float32')];
      });
    }
  });

  it('takes a batch from a large tensor without copying the whole source', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([4000, 28, 28, 1]);
    const t0 = performance.now();
    for (let s = 0; s < 4000; s += 250) tf.dispose(tf.slice(x, [s, 0, 0, 0], [250, -1, -1, -1]));
    const perSlice = (performance.now() - t0) / 16;
    x.dispose();
    // The stock kernel's whole-source copy took 13 ms a slice here; the run copy 0.2 ms.
    assert.ok(perSlice < 4, `slice took ${perSlice.toFixed(2)} ms`);
  });
});

describe('GatherV2 on wasm', () => {
  it('matches cpu on random gathers of every dtype, axis and batchDims, with repeated indices', async () => {
    const dtypes = ['float32', 'int32', 'bool'] as const;
    for (let t = 0; t < 60; t++) {
      const rank = randInt(1, 4);
      const shape = Array.from({ length: rank }, () => randInt(1, 6));
      const batchDims = rank >= 2 && rand() < 0.3 ? 1 : 0;
      const axis = randInt(batchDims, rank - 1);
      const idxShape = batchDims ? [shape[0]!, randInt(1, 5)] : rand() < 0.3 ? [randInt(1, 3), randInt(1, 3)] : [randInt(0, 7)];
      const idx = Array.from({ length: idxShape.reduce((a, b) => a * b, 1) }, () => randInt(0, shape[axis]! - 1));
      const dtype = dtypes[t % 3];
      const negAxis = rand() < 0.3 ? axis - rank : axis;
      await compare(`gather ${dtype} ${shape} axis=${negAxis} batchDims=${batchDims} indices=${idxShape}`, [operand(shape)], (x) => {
        const typed = dtype === 'float32' ? x : dtype === 'int32' ? tf.cast(tf.mul(x, 100), 'int32') : tf.greater(x, 0);
        const g = tf.gather(typed, tf.tensor(idx, idxShape, 'int32'), negAxis, batchDims);
        return [tf.cast(g, 'float32'), tf.cast(typed, 'float32')];
      });
    }
  });

  it('refuses an index out of range with the stock message', async () => {
    await tf.setBackend('wasm');
    const x = tf.ones([3, 2]);
    const bad = tf.tensor1d([0, 3], 'int32');
    assert.throws(() => tf.gather(x, bad), /GatherV2: the index value 3 is not in \[0, 2\]/);
    tf.dispose([x, bad]);
  });

  it('takes a training batch from a large tensor in well under a millisecond per image', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([12800, 28, 28, 1]);
    const order = tf.tensor1d(Array.from({ length: 128 }, (_, i) => (i * 97) % 12800), 'int32');
    tf.dispose(tf.gather(x, order));
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) tf.dispose(tf.gather(x, order));
    const perBatch = (performance.now() - t0) / 20;
    tf.dispose([x, order]);
    // The stock kernel took 3.7 ms a batch here (one index computation per element); the run copy ~0.1 ms.
    assert.ok(perBatch < 1.5, `gather of 128 images took ${perBatch.toFixed(2)} ms`);
  });
});

describe('comparisons on wasm', () => {
  it('match cpu on random broadcast shapes, with ties and NaN, for all six', async () => {
    const ops = [tf.equal, tf.notEqual, tf.greater, tf.greaterEqual, tf.less, tf.lessEqual];
    for (let t = 0; t < 36; t++) {
      const rank = randInt(1, 4);
      const out = Array.from({ length: rank }, () => randInt(1, 5));
      // Each operand drops leading axes or sets some to 1, so it broadcasts against the other.
      const shapeOf = () => out.slice(randInt(0, rank - 1)).map((d) => (rand() < 0.4 ? 1 : d));
      const [sa, sb] = [shapeOf(), shapeOf()];
      const op = ops[t % ops.length]!;
      await compare(`${op.name} [${sa}] vs [${sb}]`, [operand(sa), operand(sb)], (a, b) => {
        // Rounded values make ties common; one NaN on each side where there is room.
        const ra = tf.div(tf.round(tf.mul(a, 2)), 2);
        const rb = tf.div(tf.round(tf.mul(b, 2)), 2);
        const na = ra.size > 1 ? tf.where(tf.equal(tf.reshape(tf.range(0, ra.size), ra.shape), 1), tf.fill(ra.shape, NaN), ra) : ra;
        return tf.cast(op(na, rb), 'float32');
      });
    }
  });
});

describe('Pow on wasm', () => {
  it('matches cpu, with gradients, for squaring and for the cases left to the stock kernel', async () => {
    const cases: [string, number[], (x: tf.Tensor) => tf.Tensor][] = [
      ['norm', [3, 5, 4], (x) => tf.norm(x)],
      ['norm axis=1 keepDims', [6, 10], (x) => tf.norm(x, 'euclidean', 1, true)],
      ['x^2 float exponent', [7, 3], (x) => tf.pow(x, tf.scalar(2))],
      ['x^3', [7, 3], (x) => tf.pow(x, tf.scalar(3))],
      ['|x|^0.5', [9], (x) => tf.pow(tf.abs(x), tf.scalar(0.5))],
      ['x^[2,2,2] (not a scalar)', [4, 3], (x) => tf.pow(x, tf.fill([3], 2))],
      ['x^[[2]] broadcasts x up a rank', [3], (x) => tf.pow(x, tf.fill([1, 1], 2))],
      ['int32 base squared', [5], (x) => tf.cast(tf.pow(tf.cast(tf.mul(x, 10), 'int32'), tf.scalar(2, 'int32')), 'float32')],
    ];
    for (const [what, shape, f] of cases) {
      await compare(`pow ${what}`, [operand(shape)], (x) => {
        const g = tf.grad((t: tf.Tensor) => tf.sum(f(t)));
        return what.startsWith('int32') ? [f(x)] : [f(x), g(x)];
      });
    }
  });

  it('squares at the speed of Square', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([4, 28, 28, 32]);
    const two = tf.scalar(2);
    const perCall = (f: () => tf.Tensor): number => {
      for (let i = 0; i < 10; i++) tf.dispose(f());
      const t0 = performance.now();
      for (let i = 0; i < 50; i++) tf.dispose(f());
      return (performance.now() - t0) / 50;
    };
    const pow = perCall(() => tf.pow(x, two));
    const square = perCall(() => tf.square(x));
    tf.dispose([x, two]);
    // The stock Pow took 26x as long as Square on this shape.
    assert.ok(pow < 4 * square + 0.1, `pow ${pow.toFixed(3)} ms vs square ${square.toFixed(3)} ms`);
  });
});

describe('Identity on wasm', () => {
  it('shares the buffer (the engine clones every tensor it saves for a gradient), and the clone outlives the original', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor2d(randArray([300, 7]), [300, 7]);
    const want = x.dataSync().slice();
    const y = tf.clone(x);
    assert.equal(y.dataId, x.dataId, 'Identity copied the buffer');
    x.dispose();
    assert.deepEqual(y.dataSync(), want);
    // The saved copy of a variable keeps the value the forward pass saw after assign().
    const init = tf.tensor1d([1, 2, 3]);
    const later = tf.tensor1d([10, 20, 30]);
    const v = tf.variable(init);
    const { value, grads } = tf.variableGrads(() => {
      const loss = tf.sum(tf.square(v));
      v.assign(later);
      return loss as tf.Scalar;
    }, [v]);
    assert.deepEqual([...grads[v.name]!.dataSync()], [2, 4, 6]);
    tf.dispose([y, init, later, v, value, grads[v.name]!]);
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('Cast on wasm', () => {
  it('shares the buffer when the dtype does not change, and converts as the stock kernel otherwise', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([1.5, -2.7, 0, 3]);
    const same = tf.cast(x, 'float32');
    assert.equal(same.dataId, x.dataId, 'a float32 → float32 cast copied the buffer');
    const i = tf.cast(x, 'int32');
    assert.notEqual(i.dataId, x.dataId);
    assert.equal(i.dtype, 'int32');
    assert.deepEqual([...i.dataSync()], [1, -2, 0, 3]);
    const back = tf.cast(i, 'int32');
    assert.equal(back.dataId, i.dataId);
    x.dispose();
    assert.deepEqual([...same.dataSync()], [1.5, -2.700000047683716, 0, 3]);
    tf.dispose([same, i, back]);
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('tiny CNN on wasm', () => {
  // conv3x3 -> relu -> conv3x3/2 -> relu -> maxPool -> flatten -> dense -> softmax CE.
  const batch = 4;
  const shapes = { x: [batch, 12, 12, 1], w1: [3, 3, 1, 4], b1: [4], w2: [3, 3, 4, 6], b2: [6], w3: [3 * 3 * 6, 10], b3: [10] };
  const labels = Float32Array.from({ length: batch * 10 }, (_, i) => (i % 10 === (Math.floor(i / 10) * 3) % 10 ? 1 : 0));

  const loss = (x: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor, w3: tf.Tensor, b3: tf.Tensor): tf.Scalar => {
    const h1 = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same'), b1));
    const h2 = tf.relu(tf.add(tf.conv2d(h1 as tf.Tensor4D, w2 as tf.Tensor4D, 2, 'same'), b2));
    const pooled = tf.maxPool(h2 as tf.Tensor4D, 2, 2, 'same');
    const logits = tf.add(tf.matMul(tf.reshape(pooled, [batch, -1]), w3), b3);
    return tf.losses.softmaxCrossEntropy(tf.tensor2d(labels, [batch, 10]), logits) as tf.Scalar;
  };

  it('has gradients (params and input) matching cpu', async () => {
    const ops = Object.values(shapes).map((s) => operand(s));
    await compare('tiny CNN grads', ops, (...ts) => {
      const g = tf.grads((...a: tf.Tensor[]) => loss(a[0], a[1], a[2], a[3], a[4], a[5], a[6]));
      return [loss(ts[0], ts[1], ts[2], ts[3], ts[4], ts[5], ts[6]), ...g(ts)];
    });
  });

  it('takes SGD and Adam steps that lower the loss', async () => {
    await tf.setBackend('wasm');
    const init = Object.values(shapes).map((s) => tf.tensor(randArray(s), s));
    const [x, ...params] = init;
    const vars = params.map((p) => tf.variable(p));
    for (const opt of [tf.train.sgd(0.05), tf.train.adam(0.01)]) {
      const evalLoss = (): number => tf.tidy(() => loss(x, vars[0], vars[1], vars[2], vars[3], vars[4], vars[5]).dataSync()[0]);
      const start = evalLoss();
      for (let i = 0; i < 5; i++) {
        opt.minimize(() => loss(x, vars[0], vars[1], vars[2], vars[3], vars[4], vars[5]), false, vars);
      }
      const end = evalLoss();
      assert.ok(Number.isFinite(end) && end < start, `${opt.getClassName()} loss ${start} -> ${end}`);
      opt.dispose();
    }
    tf.dispose([...init, ...vars]);
  });
});
