/**
 * The native addon's reductions give the same bits whatever the thread count and however
 * the threads happen to be scheduled, so a result does not depend on the machine's cores
 * or on a neighbour's load. Each case runs on 1 thread, then repeatedly on the whole pool
 * (interleaved with short pauses, which change which worker takes which item), and every
 * run must equal the first bit for bit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NativeAddon } from '../src/kernels/native/index.js';
import { getAddon, nativeSkip } from './helpers/native.js';
import { randArray } from './helpers/kernel-check.js';

/** Runs `op` (which writes out[]) on 1 thread, then `reps` times on the whole pool; returns how many runs differed. */
function runsThatDiffer(addon: NativeAddon, heap: Float32Array, outOff: number, outLen: number, op: () => void, reps = 12): string[] {
  const pool = addon.info().threads;
  const before = Float32Array.from(heap);
  const run = (threads: number): Float32Array => {
    addon.setThreads(threads);
    heap.set(before);
    op();
    return heap.slice(outOff, outOff + outLen);
  };
  const diffs: string[] = [];
  try {
    const reference = run(1);
    for (let r = 0; r < reps; r++) {
      const threads = r % 3 === 2 ? 1 : pool;
      const got = run(threads);
      let n = 0;
      for (let i = 0; i < outLen; i++) if (!Object.is(got[i], reference[i])) n++;
      if (n > 0) diffs.push(`run ${r} on ${threads} thread(s): ${n} of ${outLen} values differ from 1 thread`);
      // A pause lets the pool's workers fall asleep, so the next run hands items out differently.
      if (r % 2 === 1) { const t = performance.now(); while (performance.now() - t < 2); }
    }
  } finally {
    addon.setThreads(pool);
  }
  return diffs;
}

/** Skips on a one-CPU machine, where 1 thread and the pool are the same and nothing would be proved. */
const skip: string | false = nativeSkip || (getAddonOrNull()?.info().threads ?? 2) < 2 ? nativeSkip || 'a one-CPU machine' : false;

function getAddonOrNull(): NativeAddon | undefined {
  return nativeSkip ? undefined : getAddon();
}

describe('native reductions: the same bits on any thread count', { skip }, () => {
  it('sgemm with a small output and a long contraction (split over k)', () => {
    const addon = getAddon();
    // M·N ≤ 128K and K ≥ 2048: the shapes that split the contraction between threads (each
    // above the 4 MFLOP under which a GEMM runs on one thread anyway).
    for (const [m, n, k, ta] of [[256, 256, 4096, false], [64, 288, 25088, true], [40, 64, 4096, true]] as const) {
      const lda = ta ? m : k;
      const aOff = 0, bOff = m * k, cOff = bOff + k * n, biasOff = cOff + m * n;
      const heap = randArray([biasOff + n]);
      const diffs = runsThatDiffer(addon, heap, cOff, m * n,
        () => addon.sgemm(heap, ta, false, m, n, k, 1, aOff, lda, bOff, n, 0.5, cOff, n, biasOff, 1));
      assert.deepEqual(diffs, [], `${m}x${k}x${n} tA=${ta}`);
    }
  });

  it('sgemm split by columns (N >= 64 per thread, M <= 8N), by rows, and in row/column-block items', () => {
    const addon = getAddon();
    const pool = addon.info().threads;
    // [m, n, k, path on a pool of 2-4 threads]: dense layers at batch 128 and a wider
    // product split by columns; a tall product split by rows; a small one in items.
    // The threads claim column or row ranges while they run, so each run hands them out
    // differently. Also: several row blocks (M > 336), transposed operands, a bias with
    // ReLU and beta != 0 (applied on the first and last k block of each range), and a
    // tall product whose B is too large to pack whole per thread (split rows statically).
    const cases = [[128, 512, 784, 'columns'], [128, 256, 784, 'columns'], [300, 1000, 1300, 'columns'],
      [784, 512, 128, 'columns', true, false, true], [1000, 300, 600, 'columns', false, true, true],
      [2000, 100, 300, 'rows'], [5000, 40, 700, 'rows'], [3000, 70, 500, 'rows', true, true, true],
      [2100, 256, 5200, 'rows'], [100, 100, 900, 'items']] as const;
    for (const [m, n, k, path, ta = false, tb = false, epilogue = false] of cases) {
      const aOff = 0, bOff = m * k, cOff = bOff + k * n, biasOff = cOff + m * n;
      const heap = randArray([biasOff + n]);
      const before = addon.info();
      const diffs = runsThatDiffer(addon, heap, cOff, m * n, () => addon.sgemm(heap, ta, tb, m, n, k, 1, aOff, ta ? m : k, bOff,
        tb ? k : n, epilogue ? 0.5 : 0, cOff, n, epilogue ? biasOff : -1, epilogue ? 1 : 0), 4);
      assert.deepEqual(diffs, [], `${m}x${k}x${n} tA=${ta} tB=${tb} epilogue=${epilogue}`);
      if (pool > 4) continue;  // the paths above are worked out for 2-4 threads
      // runsThatDiffer: 1 thread, then reps 0-3 on the pool except rep 2: 3 pool runs.
      const after = addon.info();
      const got = { columns: after.columnSplits - before.columnSplits, rows: after.rowSplits - before.rowSplits };
      assert.deepEqual(got, { columns: path === 'columns' ? 3 : 0, rows: path === 'rows' ? 3 : 0 }, `${m}x${k}x${n}: runs split by columns, by rows`);
    }
  });

  it('conv2d filter gradient (a contraction over every output pixel of the batch)', () => {
    const addon = getAddon();
    // [n, h, w, c, kh, kw, oh, ow, sh, sw, pt, pl, dh, dw]: a 3x3 same conv 32 -> 64 at 28x28, and one of a single input channel.
    for (const [geom, co] of [[[32, 28, 28, 32, 3, 3, 28, 28, 1, 1, 1, 1, 1, 1], 64], [[64, 28, 28, 1, 3, 3, 28, 28, 1, 1, 1, 1, 1, 1], 32]] as const) {
      const [n, h, w, c, kh, kw, oh, ow] = geom;
      const xLen = n * h * w * c, dyLen = n * oh * ow * co, dwLen = kh * kw * c * co;
      const heap = randArray([xLen + dyLen + dwLen]);
      const g = Int32Array.from(geom);
      const diffs = runsThatDiffer(addon, heap, xLen + dyLen, dwLen, () => addon.conv2dBackpropFilter(heap, g, 0, xLen, co, xLen + dyLen), 6);
      assert.deepEqual(diffs, [], `filter gradient ${geom.join('x')} -> ${co}`);
    }
  });

  it('conv2d input gradient of fewer images than threads (cut into bands of input rows)', () => {
    const addon = getAddon();
    // [n, h, w, c, kh, kw, oh, ow, sh, sw, pt, pl, dh, dw]: one image of a 3x3 same conv
    // 64 -> 64; W4's power-iteration conv 32 -> 64 /2; a 5x5 conv with dilation 2, stride 2
    // and padding 4, whose first band's windows start above the image.
    const cases = [
      [[1, 32, 32, 64, 3, 3, 32, 32, 1, 1, 1, 1, 1, 1], 64],
      [[1, 28, 28, 32, 3, 3, 14, 14, 2, 2, 0, 0, 1, 1], 64],
      [[1, 40, 27, 16, 5, 5, 20, 14, 2, 2, 4, 4, 2, 2], 48],
    ] as const;
    for (const [geom, co] of cases) {
      const [n, h, w, c, kh, kw, oh, ow] = geom;
      const dyLen = n * oh * ow * co, fLen = kh * kw * c * co, dxLen = n * h * w * c;
      // At least 4 MFLOP, or the pool would not be used and nothing would be tested.
      assert.ok(2 * n * oh * ow * kh * kw * c * co >= 4e6, geom.join('x'));
      const heap = randArray([dyLen + fLen + dxLen]);
      const g = Int32Array.from(geom);
      const banded = addon.info().bandedGradients;
      const diffs = runsThatDiffer(addon, heap, dyLen + fLen, dxLen, () => addon.conv2dBackpropInput(heap, g, 0, dyLen, co, dyLen + fLen), 6);
      assert.deepEqual(diffs, [], `input gradient ${geom.join('x')} -> ${co}`);
      // The pool's runs really were banded and the 1-thread ones were not: runsThatDiffer
      // runs 1 thread first, then reps 0-5 on the pool except every third (2, 5): 4 banded.
      assert.equal(addon.info().bandedGradients - banded, 4, `${geom.join('x')}: banded runs`);
    }
  });

  it('column sums (bias gradients)', () => {
    const addon = getAddon();
    for (const [rows, cols] of [[4096, 512], [100_352, 32], [70_000, 10]] as const) {
      const heap = randArray([rows * cols + cols]);
      const diffs = runsThatDiffer(addon, heap, rows * cols, cols, () => addon.sumRows(heap, 0, rows, cols, rows * cols));
      assert.deepEqual(diffs, [], `sumRows ${rows}x${cols}`);
    }
  });
});

describe('wasm+native: a CNN training gradient has the same bits on 1 thread and on the pool', { skip }, () => {
  it('conv 1->32, conv 32->64 /2, dense, softmax cross-entropy, batch 64', async () => {
    const { initBackend } = await import('../src/node/backend.js');
    const { activeNative } = await import('../src/kernels/native/addon.js');
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-layers');
    await initBackend('wasm+native');
    const addon = activeNative();
    assert.ok(addon, 'wasm+native is active');
    const pool = addon.info().threads;
    const vars = [
      tf.variable(tf.tensor(randArray([3, 3, 1, 32]).map((v) => v * 0.5), [3, 3, 1, 32])),
      tf.variable(tf.tensor(randArray([3, 3, 32, 64]).map((v) => v * 0.1), [3, 3, 32, 64])),
      tf.variable(tf.tensor(randArray([14 * 14 * 64, 10]).map((v) => v * 0.02), [14 * 14 * 64, 10])),
    ];
    const x = tf.tensor(randArray([64, 28, 28, 1]).map((v) => v + 1), [64, 28, 28, 1]) as import('@tensorflow/tfjs-core').Tensor4D;
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 64 }, (_, i) => (i * 7) % 10), 'int32'), 10);
    const grads = (threads: number): Float32Array[] => {
      addon.setThreads(threads);
      const { grads: g } = tf.variableGrads(() => {
        const h1 = tf.relu(tf.conv2d(x, vars[0] as import('@tensorflow/tfjs-core').Tensor4D, 1, 'same'));
        const h2 = tf.relu(tf.conv2d(h1, vars[1] as import('@tensorflow/tfjs-core').Tensor4D, 2, 'same'));
        const logits = tf.matMul(tf.reshape(h2, [64, 14 * 14 * 64]), vars[2] as import('@tensorflow/tfjs-core').Tensor2D);
        return tf.losses.softmaxCrossEntropy(y, logits) as import('@tensorflow/tfjs-core').Scalar;
      }, vars);
      const out = vars.map((v) => Float32Array.from(g[v.name]!.dataSync()));
      tf.dispose(Object.values(g));
      return out;
    };
    try {
      const one = grads(1);
      for (let r = 0; r < 3; r++) {
        const many = grads(pool);
        for (let i = 0; i < one.length; i++) {
          let n = 0;
          for (let j = 0; j < one[i]!.length; j++) if (!Object.is(one[i]![j], many[i]![j])) n++;
          assert.equal(n, 0, `run ${r}: gradient of variable ${i} differs in ${n} of ${one[i]!.length} values between 1 and ${pool} threads`);
        }
      }
    } finally {
      addon.setThreads(pool);
      tf.dispose([...vars, x, y]);
    }
  });
});
