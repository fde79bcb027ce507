/**
 * Benchmark workloads W1-W5 on whatever tfjs backend is active. Models are written with
 * tfjs-core fused ops, the same kernels tfjs-layers' Dense/Conv2D emit, so the numbers
 * track what lipbench's training and attacks actually pay for.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface WorkloadParams {
  readonly batch: number;
  readonly pgdInputs: number;
  readonly pgdSteps: number;
  readonly pgdChunk: number;
  readonly powerIters: number;
  readonly matmulSize: number;
}

export interface Workload {
  readonly id: string;
  readonly description: string;
  /** Floating-point operations per run, when meaningful for a GFLOP/s column. */
  readonly flops?: number;
  setup(): void;
  /** One timed run; must leave no tensors behind and finish all work before returning. */
  run(): void;
  teardown(): void;
}

const heNormal = (shape: number[], fanIn: number): tf.Variable =>
  tf.variable(tf.mul(tf.randomNormal(shape), Math.sqrt(2 / fanIn)));

function oneHotLabels(n: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([n], 0, 10, 'int32') as tf.Tensor1D, 10), 'float32')) as tf.Tensor2D;
}

interface Cnn {
  readonly vars: tf.Variable[];
  logits(x: tf.Tensor4D): tf.Tensor2D;
}

/** conv3x3 1->32 same, ReLU, conv3x3 32->64 stride 2 same, ReLU, flatten, dense 12544->10. */
function makeCnn(): Cnn {
  const w1 = heNormal([3, 3, 1, 32], 9);
  const b1 = tf.variable(tf.zeros([32]));
  const w2 = heNormal([3, 3, 32, 64], 9 * 32);
  const b2 = tf.variable(tf.zeros([64]));
  const w3 = heNormal([14 * 14 * 64, 10], 14 * 14 * 64);
  const b3 = tf.variable(tf.zeros([10]));
  return {
    vars: [w1, b1, w2, b2, w3, b3],
    logits(x) {
      const h1 = tf.fused.conv2d({ x, filter: w1 as tf.Tensor4D, strides: 1, pad: 'same', bias: b1, activation: 'relu' });
      const h2 = tf.fused.conv2d({ x: h1, filter: w2 as tf.Tensor4D, strides: 2, pad: 'same', bias: b2, activation: 'relu' });
      return tf.fused.matMul({ a: tf.reshape(h2, [x.shape[0], -1]) as tf.Tensor2D, b: w3 as tf.Tensor2D, bias: b3 }) as tf.Tensor2D;
    },
  };
}

function sgdStepWorkload(id: string, description: string, build: () => { vars: tf.Variable[]; loss: () => tf.Scalar; inputs: tf.Tensor[] }): Workload {
  let state: ReturnType<typeof build> | undefined;
  let opt: tf.Optimizer | undefined;
  return {
    id, description,
    setup() { state = build(); opt = tf.train.sgd(0.01); },
    run() {
      if (!state || !opt) throw new Error('setup() not called');
      const cost = opt.minimize(state.loss, true, state.vars);
      cost?.dataSync();
      cost?.dispose();
    },
    teardown() { if (state) tf.dispose([...state.vars, ...state.inputs]); opt?.dispose(); },
  };
}

export function makeWorkloads(p: WorkloadParams): Workload[] {
  const w1 = sgdStepWorkload('W1', `MLP 784-512-512-10 ReLU SGD step, batch ${p.batch}`, () => {
    const x = tf.randomUniform([p.batch, 784]) as tf.Tensor2D;
    const y = oneHotLabels(p.batch);
    const ws = [heNormal([784, 512], 784), heNormal([512, 512], 512), heNormal([512, 10], 512)];
    const bs = [tf.variable(tf.zeros([512])), tf.variable(tf.zeros([512])), tf.variable(tf.zeros([10]))];
    const loss = (): tf.Scalar => {
      let h: tf.Tensor2D = x;
      ws.forEach((w, i) => {
        h = tf.fused.matMul({ a: h, b: w as tf.Tensor2D, bias: bs[i], activation: i < 2 ? 'relu' : 'linear' }) as tf.Tensor2D;
      });
      return tf.losses.softmaxCrossEntropy(y, h) as tf.Scalar;
    };
    return { vars: [...ws, ...bs], loss, inputs: [x, y] };
  });

  const w2 = sgdStepWorkload('W2', `CNN (conv32, conv64/2, dense) SGD step, batch ${p.batch}`, () => {
    const x = tf.randomUniform([p.batch, 28, 28, 1]) as tf.Tensor4D;
    const y = oneHotLabels(p.batch);
    const net = makeCnn();
    return { vars: net.vars, loss: () => tf.losses.softmaxCrossEntropy(y, net.logits(x)) as tf.Scalar, inputs: [x, y] };
  });

  let pgd: { net: Cnn; xs: tf.Tensor4D[]; ys: tf.Tensor2D[] } | undefined;
  const w3: Workload = {
    id: 'W3',
    description: `PGD-Linf ${p.pgdSteps} steps over ${p.pgdInputs} inputs (chunks of ${p.pgdChunk}) on the W2 net`,
    setup() {
      const net = makeCnn();
      const xs: tf.Tensor4D[] = [];
      const ys: tf.Tensor2D[] = [];
      for (let i = 0; i < p.pgdInputs; i += p.pgdChunk) {
        const n = Math.min(p.pgdChunk, p.pgdInputs - i);
        xs.push(tf.randomUniform([n, 28, 28, 1]) as tf.Tensor4D);
        ys.push(oneHotLabels(n));
      }
      pgd = { net, xs, ys };
    },
    run() {
      if (!pgd) throw new Error('setup() not called');
      const { net } = pgd;
      const eps = 0.3;
      const alpha = 0.01;
      pgd.xs.forEach((x0, c) => {
        const y = pgd!.ys[c];
        const gradX = tf.grad((x: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, net.logits(x as tf.Tensor4D)));
        const lo = tf.tidy(() => tf.maximum(tf.sub(x0, eps), 0));
        const hi = tf.tidy(() => tf.minimum(tf.add(x0, eps), 1));
        let adv: tf.Tensor = x0.clone();
        for (let s = 0; s < p.pgdSteps; s++) {
          const next = tf.tidy(() => tf.minimum(tf.maximum(tf.add(adv, tf.mul(alpha, tf.sign(gradX(adv)))), lo), hi));
          adv.dispose();
          adv = next;
        }
        adv.dataSync();
        tf.dispose([adv, lo, hi]);
      });
    },
    teardown() { if (pgd) tf.dispose([...pgd.net.vars, ...pgd.xs, ...pgd.ys]); },
  };

  let power: { k: tf.Tensor4D; v0: tf.Tensor4D } | undefined;
  const w4: Workload = {
    id: 'W4',
    description: `${p.powerIters} power iterations of conv3x3 32->64/2 and its adjoint at 28x28x32`,
    setup() { power = { k: tf.randomNormal([3, 3, 32, 64]) as tf.Tensor4D, v0: tf.randomNormal([1, 28, 28, 32]) as tf.Tensor4D }; },
    run() {
      if (!power) throw new Error('setup() not called');
      const { k } = power;
      let v: tf.Tensor4D = power.v0.clone();
      for (let i = 0; i < p.powerIters; i++) {
        const next = tf.tidy(() => {
          const u = tf.conv2d(v, k, 2, 'same');
          const w = tf.conv2dTranspose(u, k, [1, 28, 28, 32], 2, 'same');
          return tf.div(w, tf.norm(w)) as tf.Tensor4D;
        });
        v.dispose();
        v = next;
      }
      v.dataSync();
      v.dispose();
    },
    teardown() { if (power) tf.dispose([power.k, power.v0]); },
  };

  const n = p.matmulSize;
  const matmul = (id: string, ta: boolean, tb: boolean): Workload => {
    let ab: [tf.Tensor2D, tf.Tensor2D] | undefined;
    return {
      id,
      description: `matMul ${n}^3${ta ? ' transposeA' : ''}${tb ? ' transposeB' : ''}`,
      flops: 2 * n * n * n,
      setup() { ab = [tf.randomNormal([n, n]) as tf.Tensor2D, tf.randomNormal([n, n]) as tf.Tensor2D]; },
      run() {
        if (!ab) throw new Error('setup() not called');
        const c = tf.matMul(ab[0], ab[1], ta, tb);
        // Read one element: it forces completion on async backends without timing a 4 MB
        // copy out of the heap into a fresh array (14 ms here), which PyTorch's peer does
        // not pay either. Stock wasm's Slice still copies the whole result first, so the
        // `wasm` rows include that copy; lipbench's Slice copies only the element.
        const probe = tf.slice(c, [0, 0], [1, 1]);
        probe.dataSync();
        tf.dispose([probe, c]);
      },
      teardown() { if (ab) tf.dispose(ab); },
    };
  };
  return [w1, w2, w3, w4, matmul('W5', false, false), matmul('W5tA', true, false), matmul('W5tB', false, true)];
}
