/**
 * Local certificates by bound propagation for chains of dense/conv2d/reshape/ReLU/MaxMin ops
 * (chain-ops.ts), on ℓ∞ or ℓ2 input balls:
 *
 *  - IBP (interval bound propagation; Gowal et al. 2018): boxes pushed layer by layer.
 *    The first affine map gets the exact image of the ball as a box: centre W·x + b,
 *    radius ε·‖row‖₁ for ℓ∞ (inside the [0,1] box: the box corners) and ε·‖row‖₂ for ℓ2
 *    (the dual norm). Conv rows at the border get their own ℓ2 norms, without the taps
 *    that land on padding (rowDualNorms), so the box stays exact there too.
 *  - CROWN (Zhang et al. 2018, as in auto_LiRPA): for each quantity to bound, a linear
 *    function Λ is pushed backwards: through an affine map exactly (Λ ← ΛW, bias += Λb),
 *    through each ReLU by a linear relaxation using the bounds l ≤ z ≤ u of its input:
 *    upper line u(z − l)/(u − l) on unstable neurons; lower line α·z with the usual
 *    adaptive α = 1 if u > −l else 0. At the input the linear function is minimised
 *    over the ball exactly (ℓ∞ ∩ [0,1]: per-coordinate ends; ℓ2: Λx − ε‖Λ‖₂).
 *    Intermediate bounds for ReLU inputs come from the same backward pass with Λ = ±I,
 *    intersected with IBP's (both are sound, so their intersection is).
 *  - MaxMin (GroupSort-2): IBP takes max/min of the halves' bounds; CROWN writes
 *    [max(a, b), min(a, b)] as [b + relu(d), a − relu(d)] with d = a − b, which is exact,
 *    and relaxes relu(d) as above on CROWN bounds of d (specs e_a − e_b).
 *
 * The certified quantity is the margin f_y − f_j for every j ≠ y, with the last dense
 * layer folded into the specification (c = e_y − e_j applied to W, not to bounds on f),
 * for both methods. x is certified at ε when every margin's lower bound is > 0.
 *
 * The ℓ∞ ball is intersected with the [0,1] input box (attacks clip there too); the ℓ2
 * ball is not (sound, slightly loose).
 */
import * as tf from '@tensorflow/tfjs-core';
import { applyOp, batched, type ChainOp, type ChainOps } from './chain-ops.js';
import { lastAxisHalves } from '../kernels/max-min.js';

export type BallNorm = 'linf' | 'l2';
export type BoundMethod = 'ibp' | 'crown';

export interface InputBall {
  readonly norm: BallNorm;
  readonly eps: number;
}

export interface PropagationOptions {
  /**
   * Floats one backward pass may hold per tensor (N·specs·width); bounds memory and sets
   * the example batch. Default 2²⁴.
   */
  readonly budget?: number;
}

interface Box {
  readonly l: tf.Tensor;
  readonly u: tf.Tensor;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkBall(ball: InputBall): void {
  if (!(ball.eps >= 0) || !Number.isFinite(ball.eps)) throw new Error(`bound propagation: ε must be a finite number ≥ 0, got ${ball.eps}`);
  if (ball.norm !== 'linf' && ball.norm !== 'l2') throw new Error(`bound propagation: unknown norm '${String(ball.norm)}'`);
}

/**
 * Dual norm of every row of an affine op: ‖row‖₁ (ℓ∞ ball) or ‖row‖₂ (ℓ2 ball), shaped
 * like one output. For a conv, the row of an output position holds only the taps that
 * land inside the input, so conv2d(1, |K|) and √conv2d(1, K²) give the exact per-position
 * norms (padding zeros contribute nothing).
 */
function rowDualNorms(op: ChainOp & { kind: 'dense' | 'conv2d' }, norm: BallNorm): tf.Tensor {
  return tf.tidy(() => {
    if (op.kind === 'dense') return norm === 'linf' ? tf.sum(tf.abs(op.W), 0) : tf.sqrt(tf.sum(tf.square(op.W), 0));
    const shape: number[] = [1, ...op.inShape];
    const flatOnes: tf.Tensor = tf.reshape(tf.ones([size(shape)]), shape);
    const ones = flatOnes as tf.Tensor4D;
    if (norm === 'linf') return tf.squeeze(tf.conv2d(ones, tf.abs(op.K), op.strides, op.padding), [0]);
    return tf.squeeze(tf.sqrt(tf.relu(tf.conv2d(ones, tf.square(op.K), op.strides, op.padding))), [0]);
  });
}

/** Affine op on a box, in centre/radius form: exact for a box. */
function affineBox(op: ChainOp & { kind: 'dense' | 'conv2d' }, box: Box): Box {
  return tf.tidy(() => {
    const c = tf.div(tf.add(box.l, box.u), 2);
    const r = tf.div(tf.sub(box.u, box.l), 2);
    const yc = applyOp(op, c);
    const yr = op.kind === 'dense' ? tf.matMul(r as tf.Tensor2D, tf.abs(op.W)) : tf.conv2d(r as tf.Tensor4D, tf.abs(op.K), op.strides, op.padding);
    return { l: tf.sub(yc, yr), u: tf.add(yc, yr) };
  });
}

/** MaxMin on a box: max(a, b) ∈ [max(la, lb), max(ua, ub)], min(a, b) ∈ [min(la, lb), min(ua, ub)]. */
function maxMinBox(box: Box): Box {
  return tf.tidy(() => {
    const [la, lb] = lastAxisHalves(box.l);
    const [ua, ub] = lastAxisHalves(box.u);
    const axis = box.l.rank - 1;
    return { l: tf.concat([tf.maximum(la, lb), tf.minimum(la, lb)], axis), u: tf.concat([tf.maximum(ua, ub), tf.minimum(ua, ub)], axis) };
  });
}

/** ℓ∞ ball ∩ [0,1]. */
function linfBox(x: tf.Tensor, eps: number): Box {
  return tf.tidy(() => ({ l: tf.clipByValue(tf.sub(x, eps), 0, 1), u: tf.clipByValue(tf.add(x, eps), 0, 1) }));
}

/**
 * IBP bounds at the input of every op (index i = input of op i; index ops.length = output).
 * Entries before the first affine op are null for ℓ2 (the set is still a ball there).
 */
function ibpAll(chain: ChainOps, x: tf.Tensor, ball: InputBall): (Box | null)[] {
  const out: (Box | null)[] = [];
  let box: Box | null = ball.norm === 'linf' ? linfBox(x, ball.eps) : null;
  let h = x; // the ball's centre, while the set is still a ball
  const setH = (t: tf.Tensor) => {
    if (h !== x) h.dispose();
    h = t;
  };
  for (const op of chain.ops) {
    out.push(box);
    if (box === null) {
      if (op.kind === 'reshape') {
        setH(applyOp(op, h));
        continue;
      }
      const centre = h;
      if (op.kind === 'relu') {
        // A ReLU on the raw ℓ2 ball: go through its enclosing box.
        box = tf.tidy(() => ({ l: tf.relu(tf.sub(centre, ball.eps)), u: tf.relu(tf.add(centre, ball.eps)) }));
      } else if (op.kind === 'maxmin') {
        const enclosing: Box = tf.tidy(() => ({ l: tf.sub(centre, ball.eps), u: tf.add(centre, ball.eps) }));
        box = maxMinBox(enclosing);
        tf.dispose([enclosing.l, enclosing.u]);
      } else {
        box = tf.tidy(() => {
          const c = applyOp(op, centre);
          const r = tf.mul(rowDualNorms(op, 'l2'), ball.eps);
          return { l: tf.sub(c, r), u: tf.add(c, r) };
        });
      }
      setH(x);
      continue;
    }
    const cur: Box = box;
    if (op.kind === 'relu') box = tf.tidy(() => ({ l: tf.relu(cur.l), u: tf.relu(cur.u) }));
    else if (op.kind === 'maxmin') box = maxMinBox(cur);
    else if (op.kind === 'reshape') box = tf.tidy(() => ({ l: applyOp(op, cur.l), u: applyOp(op, cur.u) }));
    else box = affineBox(op, cur);
  }
  out.push(box);
  setH(x);
  return out;
}

/**
 * Index of every op whose input needs CROWN bounds: each ReLU after more than one affine
 * map (after a single one IBP is already exact), and every MaxMin, whose relaxation needs
 * bounds on the difference of its halves, which no box of its input gives tightly.
 */
function crownBoundIndices(chain: ChainOps): number[] {
  const out: number[] = [];
  let affine = 0;
  chain.ops.forEach((op, i) => {
    if (op.kind === 'dense' || op.kind === 'conv2d') affine++;
    else if ((op.kind === 'relu' && affine > 1) || op.kind === 'maxmin') out.push(i);
  });
  return out;
}

/**
 * Lower bounds of Λ·(value at the input of op `at`) + bias over the ball, for Λ of shape
 * [N, S, ...shape at `at`] (or [1, S, ...] when shared by all N examples); returns [N, S].
 */
function backward(
  chain: ChainOps,
  at: number,
  lambda0: tf.Tensor,
  bias0: tf.Tensor2D,
  x: tf.Tensor,
  ball: InputBall,
  pre: readonly (Box | null)[],
): tf.Tensor2D {
  return tf.tidy(() => {
    const n = x.shape[0]!;
    const s = lambda0.shape[1]!;
    let lam = lambda0;
    // Λ may start shared by every example ([1, s, ...]; the ±I specs of intermediate
    // bounds): the affine ops before the first ReLU are example-independent, and the
    // ReLU's per-example slopes broadcast it to [n, s, ...]. Tiling it up front instead
    // cost ~60% of a 2C2F CROWN pass in wasm's Tile.
    let ln = lambda0.shape[0]!;
    let bias: tf.Tensor = bias0;
    for (let i = at - 1; i >= 0; i--) {
      const op = chain.ops[i]!;
      const flat = (t: tf.Tensor, shape: readonly number[]) => tf.reshape(t, [ln * s, ...shape]);
      if (op.kind === 'dense') {
        const l2 = flat(lam, op.outShape) as tf.Tensor2D;
        if (op.b) bias = tf.add(bias, tf.reshape(tf.matMul(l2, tf.reshape(op.b, [-1, 1])), [ln, s]));
        lam = tf.reshape(tf.matMul(l2, op.W, false, true), [ln, s, ...op.inShape]);
      } else if (op.kind === 'conv2d') {
        const l4 = flat(lam, op.outShape) as tf.Tensor4D;
        if (op.b) bias = tf.add(bias, tf.reshape(tf.sum(tf.mul(l4, op.b), [1, 2, 3]), [ln, s]));
        const back = tf.conv2dTranspose(l4, op.K, [ln * s, ...(op.inShape as [number, number, number])], op.strides, op.padding);
        lam = tf.reshape(back, [ln, s, ...op.inShape]);
      } else if (op.kind === 'reshape') {
        lam = tf.reshape(lam, [ln, s, ...op.inShape]);
      } else {
        // ReLU: relaxed on its input's bounds. MaxMin: [max(a, b), min(a, b)] = [b + r, a − r]
        // with r = relu(d), d = a − b, so Λ·y = Λ_hi·b + Λ_lo·a + (Λ_hi − Λ_lo)·r and r is
        // relaxed like a ReLU on the bounds of d (which is what pre[i] holds for a MaxMin).
        const box = pre[i];
        if (!box) throw new Error(`bound propagation: no bounds at the input of '${op.layer}'`);
        const l = tf.expandDims(box.l, 1);
        const u = tf.expandDims(box.u, 1);
        const active = tf.cast(tf.greaterEqual(l, 0), 'float32');
        const unstable = tf.cast(tf.logicalAnd(tf.less(l, 0), tf.greater(u, 0)), 'float32');
        const chord = tf.div(u, tf.maximum(tf.sub(u, l), 1e-30));
        const upSlope = tf.add(active, tf.mul(unstable, chord));
        const upIcpt = tf.mul(tf.mul(unstable, chord), tf.neg(l));
        // Adaptive lower slope: 1 where the neuron is more on than off, else 0.
        const loSlope = tf.add(active, tf.mul(unstable, tf.cast(tf.greater(u, tf.neg(l)), 'float32')));
        const [lamHi, lamLo] = op.kind === 'maxmin' ? lastAxisHalves(lam) : [lam, lam];
        const coef = op.kind === 'maxmin' ? tf.sub(lamHi, lamLo) : lam;
        const pos = tf.relu(coef);
        // Λ − relu(Λ) is min(Λ, 0) exactly, and wasm's same-shape subtraction is ~10× faster than its minimum with a scalar.
        const neg = tf.sub(coef, pos);
        // For a lower bound, positive coefficients take the lower line, negative the upper one.
        bias = tf.add(bias, tf.sum(tf.reshape(tf.mul(neg, upIcpt), [n, s, -1]), 2));
        const k = tf.add(tf.mul(pos, loSlope), tf.mul(neg, upSlope));
        // MaxMin's input is [a, b]: Λ_a = Λ_lo + k, Λ_b = Λ_hi − k.
        lam = op.kind === 'maxmin' ? tf.concat([tf.add(lamLo, k), tf.sub(lamHi, k)], k.rank - 1) : k;
        ln = n;
      }
    }
    const lamFlat = tf.reshape(lam, [ln, s, -1]);
    const x3 = tf.reshape(x, [n, 1, -1]);
    let lower: tf.Tensor;
    if (ball.norm === 'linf') {
      const lo = tf.reshape(tf.clipByValue(tf.sub(x, ball.eps), 0, 1), [n, 1, -1]);
      const hi = tf.reshape(tf.clipByValue(tf.add(x, ball.eps), 0, 1), [n, 1, -1]);
      const pos = tf.relu(lamFlat);
      lower = tf.sum(tf.add(tf.mul(pos, lo), tf.mul(tf.sub(lamFlat, pos), hi)), 2);
    } else {
      lower = tf.sub(tf.sum(tf.mul(lamFlat, x3), 2), tf.mul(tf.sqrt(tf.sum(tf.square(lamFlat), 2)), ball.eps));
    }
    return tf.add(lower, bias) as tf.Tensor2D;
  });
}

/**
 * CROWN bounds on `rows`·(input of op i), one linear function per row (`rows` is
 * [m, ...input shape], shared by every example), as a box of shape [n, ...outShape];
 * intersected with `clip` when given (another sound box of the same quantity).
 */
function linearBounds(
  chain: ChainOps,
  i: number,
  x: tf.Tensor,
  ball: InputBall,
  pre: (Box | null)[],
  rows: tf.Tensor,
  outShape: readonly number[],
  clip: Box | null,
): Box {
  const n = x.shape[0]!;
  const m = rows.shape[0]!;
  // The rows give lower bounds; their negatives give minus the upper bounds.
  const both = tf.tidy(() => {
    const spec = tf.concat([rows, tf.neg(rows)], 0);
    return backward(chain, i, tf.expandDims(spec, 0), tf.zeros([n, 2 * m]) as tf.Tensor2D, x, ball, pre);
  });
  const box = tf.tidy(() => {
    const lo = tf.reshape(tf.slice(both, [0, 0], [n, m]), [n, ...outShape]);
    const hi = tf.reshape(tf.neg(tf.slice(both, [0, m], [n, m])), [n, ...outShape]);
    return clip ? { l: tf.maximum(lo, clip.l), u: tf.minimum(hi, clip.u) } : { l: lo, u: hi };
  });
  both.dispose();
  return box;
}

/** CROWN bounds at the input of every ReLU, each intersected with IBP's; for a MaxMin, bounds on the difference of its halves. */
function crownPreBounds(chain: ChainOps, x: tf.Tensor, ball: InputBall, ibp: (Box | null)[]): (Box | null)[] {
  const pre: (Box | null)[] = chain.ops.map(() => null);
  const needed = new Set(crownBoundIndices(chain));
  chain.ops.forEach((op, i) => {
    const ib = ibp[i] ?? null;
    const shape = op.inShape;
    if (op.kind === 'maxmin') {
      // d = a − b per pair: rows e_a − e_b, clipped by what the IBP box gives, [la − ub, ua − lb].
      const dShape = [...shape.slice(0, -1), shape[shape.length - 1]! / 2];
      const m = size(dShape);
      const rows = tf.tidy(() => {
        const eye = tf.reshape(tf.eye(m), [m, ...dShape]);
        return tf.concat([eye, tf.neg(eye)], dShape.length);
      });
      const clip = ib
        ? tf.tidy(() => {
            const [la, lb] = lastAxisHalves(ib.l);
            const [ua, ub] = lastAxisHalves(ib.u);
            return { l: tf.sub(la, ub), u: tf.sub(ua, lb) };
          })
        : null;
      pre[i] = linearBounds(chain, i, x, ball, pre, rows, dShape, clip);
      tf.dispose([rows, ...(clip ? [clip.l, clip.u] : [])]);
      return;
    }
    if (op.kind !== 'relu') return;
    if (!needed.has(i)) {
      if (!ib) throw new Error(`bound propagation: no IBP bounds at the input of '${op.layer}'`);
      pre[i] = { l: tf.clone(ib.l), u: tf.clone(ib.u) };
      return;
    }
    const m = size(shape);
    const rows = tf.tidy(() => tf.reshape(tf.eye(m), [m, ...shape]));
    pre[i] = linearBounds(chain, i, x, ball, pre, rows, shape, ib);
    rows.dispose();
  });
  return pre;
}

/** C = e_y − e_j for j ≠ y, as [N, k−1, k]. */
function marginSpecs(y: tf.Tensor1D, k: number): tf.Tensor3D {
  return tf.tidy(() => {
    const labels = y.arraySync() as number[];
    const rows: number[] = [];
    for (const yi of labels) {
      for (let j = 0; j < k; j++) {
        if (j === yi) continue;
        for (let c = 0; c < k; c++) rows.push((c === yi ? 1 : 0) - (c === j ? 1 : 0));
      }
    }
    return tf.tensor3d(rows, [labels.length, k - 1, k]);
  });
}

/**
 * Lower bounds on f_y − f_j (j ≠ y, in index order skipping y) over the ball around each
 * x, as [N, k−1], for one batch. The caller disposes the result.
 */
export function marginLowerBoundsBatch(chain: ChainOps, x: tf.Tensor, y: tf.Tensor1D, ball: InputBall, method: BoundMethod): tf.Tensor2D {
  checkBall(ball);
  const ops = chain.ops;
  const last = ops[ops.length - 1];
  if (!last || last.kind !== 'dense') throw new Error(`bound propagation: the logit map must end in a dense layer; it ends in ${last ? `'${last.layer}'` : 'nothing'}`);
  const k = last.W.shape[1];
  const xs = tf.reshape(x, batched(x.shape[0]!, chain.inShape));
  const ibp = ibpAll(chain, xs, ball);
  try {
    const specs = marginSpecs(y, k);
    try {
      if (method === 'ibp') {
        return tf.tidy(() => {
          // Fold the last layer into the spec: c·(W h + b) over the box of h.
          const box = ibp[ops.length - 1];
          const cw = tf.matMul(tf.reshape(specs, [-1, k]), last.W, false, true); // [N(k−1), in]
          const n = xs.shape[0]!;
          const cw3 = tf.reshape(cw, [n, k - 1, -1]);
          let lower: tf.Tensor;
          if (box) {
            const c = tf.expandDims(tf.div(tf.add(box.l, box.u), 2), 1);
            const r = tf.expandDims(tf.div(tf.sub(box.u, box.l), 2), 1);
            lower = tf.sub(tf.sum(tf.mul(cw3, c), 2), tf.sum(tf.mul(tf.abs(cw3), r), 2));
          } else {
            // A single dense layer on the raw ℓ2 ball.
            const h = tf.reshape(xs, [n, 1, -1]);
            lower = tf.sub(tf.sum(tf.mul(cw3, h), 2), tf.mul(tf.sqrt(tf.sum(tf.square(cw3), 2)), ball.eps));
          }
          if (last.b) lower = tf.add(lower, tf.reshape(tf.matMul(tf.reshape(specs, [-1, k]), tf.reshape(last.b, [-1, 1])), [n, k - 1]));
          return lower as tf.Tensor2D;
        });
      }
      const pre = crownPreBounds(chain, xs, ball, ibp);
      // backward's tidy does not own tensors made outside it: the zero bias is freed here.
      const bias0 = tf.zeros([xs.shape[0]!, k - 1]) as tf.Tensor2D;
      try {
        return backward(chain, ops.length, specs, bias0, xs, ball, pre);
      } finally {
        bias0.dispose();
        for (const b of pre) if (b) tf.dispose([b.l, b.u]);
      }
    } finally {
      specs.dispose();
    }
  } finally {
    for (const b of ibp) if (b) tf.dispose([b.l, b.u]);
    if (xs !== x) xs.dispose();
  }
}

/**
 * Examples per batch so that the widest backward pass stays within `budget` floats:
 * a CROWN pass at a ReLU of m units carries 2m specs of the widest earlier width.
 */
export function crownBatchSize(chain: ChainOps, budget = 2 ** 24): number {
  const needed = new Set(crownBoundIndices(chain));
  let widest = size(chain.inShape);
  let worst = 1;
  chain.ops.forEach((op, i) => {
    if (needed.has(i)) worst = Math.max(worst, 2 * size(op.inShape) * widest);
    widest = Math.max(widest, size(op.inShape));
  });
  const last = chain.ops[chain.ops.length - 1];
  if (last && last.kind === 'dense') worst = Math.max(worst, last.W.shape[1] * widest);
  return Math.max(1, Math.floor(budget / worst));
}

/**
 * Min over j ≠ y of the lower bound on f_y − f_j for each example, i.e. a certified
 * lower bound on the margin over the ball; > 0 means certified. `only` restricts work
 * to some examples (others get −Infinity), e.g. those not yet refuted at a smaller ε.
 */
export function marginLowerBounds(
  chain: ChainOps,
  x: tf.Tensor,
  y: tf.Tensor1D,
  ball: InputBall,
  method: BoundMethod,
  opts: PropagationOptions & { only?: readonly boolean[] } = {},
): number[] {
  const n = x.shape[0]!;
  const out = new Array<number>(n).fill(-Infinity);
  const idx = [...Array(n).keys()].filter((i) => opts.only?.[i] ?? true);
  const bs = method === 'crown' ? crownBatchSize(chain, opts.budget) : 512;
  for (let s = 0; s < idx.length; s += bs) {
    const part = idx.slice(s, s + bs);
    const ids = tf.tensor1d(part, 'int32');
    const xb = tf.gather(x, ids);
    const yb = tf.gather(y, ids) as tf.Tensor1D;
    ids.dispose();
    try {
      const lb = marginLowerBoundsBatch(chain, xb, yb, ball, method);
      const m = tf.tidy(() => tf.min(lb, 1));
      lb.dispose();
      const v = m.dataSync();
      m.dispose();
      part.forEach((i, j) => (out[i] = v[j]!));
    } finally {
      tf.dispose([xb, yb]);
    }
  }
  return out;
}

/**
 * Certified accuracy at each ε: the fraction of all points whose margin lower bound is
 * > 0. ε are processed in increasing order and a point refuted at a smaller ε is not
 * tried again (counting it as not certified is conservative, so always sound).
 */
export function certifiedAccuracyByPropagation(
  chain: ChainOps,
  x: tf.Tensor,
  y: tf.Tensor1D,
  norm: BallNorm,
  epsList: readonly number[],
  method: BoundMethod,
  opts: PropagationOptions = {},
): { eps: number; certified: boolean[]; accuracy: number }[] {
  const n = x.shape[0]!;
  let alive: boolean[] = new Array<boolean>(n).fill(true);
  const order = [...epsList].sort((a, b) => a - b);
  const byEps = new Map<number, boolean[]>();
  for (const eps of order) {
    // At ε = 0 every method's bound is the margin itself; IBP gets it in forward passes.
    const m = eps === 0 ? 'ibp' : method;
    const lb = alive.some(Boolean) ? marginLowerBounds(chain, x, y, { norm, eps }, m, { ...opts, only: alive }) : new Array<number>(n).fill(-Infinity);
    alive = lb.map((v) => v > 0);
    byEps.set(eps, alive);
  }
  return epsList.map((eps) => {
    const certified = byEps.get(eps)!;
    return { eps, certified, accuracy: n ? certified.filter(Boolean).length / n : 0 };
  });
}
