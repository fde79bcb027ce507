/**
 * Square Attack (Andriushchenko, Croce, Flammarion & Hein, "Square Attack: a
 * query-efficient black-box adversarial attack via random search", ECCV 2020), L∞ and
 * L2: `square-linf`, `square-l2`. The third member of AutoAttack.
 *
 * Score-based random search that never takes a gradient, so gradient masking cannot
 * stop it: where Square breaks points that every gradient attack left robust, the
 * gradient attacks were being fooled. Each query changes one random square window
 * (shared by the batch, signs drawn per example and channel) and keeps the change when
 * the margin f_y − max_{j≠y} f_j went down. The window's area is a fraction p of the
 * image, p_init at first and halved on the paper's schedule (at 10, 50, 200, 500, 1000,
 * 2000, 4000, 6000 and 8000 queries, rescaled to the budget when it is not 10 000).
 * L∞ starts from vertical stripes of ±ε; L2 from a grid of 5×5 centred bumps and moves
 * mass between two windows, keeping ‖δ‖₂ = ε.
 *
 * Options (all optional):
 *   queries  int ≥ 1      query budget per example; default 5000 (AutoAttack 'standard')
 *   pInit    (0, 1]       initial window fraction; default 0.8 (AutoAttack)
 * Inputs: NHWC float32 in [0,1] with height and width ≥ 2; the model returns logits.
 * The search runs on the host: the model is only queried for logits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { mulberry32 } from '../util/rng.js';
import { logits } from '../models/logits.js';
import type { Attack, Classifier, Norm } from './types.js';

export const SquareOptions = z.strictObject({
  queries: z.int().min(1).default(5000),
  pInit: z.number().gt(0).max(1).default(0.8),
});
export type SquareOptions = z.input<typeof SquareOptions>;

/** The paper's schedule for the window fraction, on a budget rescaled to 10 000 queries. */
export function squareFraction(pInit: number, query: number, budget: number): number {
  const it = Math.floor((query / budget) * 10000);
  const halvings = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000].filter((t) => it > t).length;
  return pInit / 2 ** halvings;
}

/** Per example margin f_y − max_{j≠y} f_j (≤ 0: misclassified), for the rows of a host buffer. */
function margins(model: Classifier, data: Float32Array, shape: [number, number, number, number], y: Int32Array): Float32Array {
  const z = tf.tidy(() => logits(model, tf.tensor4d(data, shape)));
  const zs = z.dataSync() as Float32Array;
  const k = z.shape[1];
  z.dispose();
  const out = new Float32Array(shape[0]);
  for (let i = 0; i < shape[0]; i++) {
    let other = -Infinity;
    for (let j = 0; j < k; j++) if (j !== y[i] && zs[i * k + j]! > other) other = zs[i * k + j]!;
    out[i] = zs[i * k + y[i]!]! - other;
  }
  return out;
}

/** A [rows, cols] bump of nested rectangles with weights 1/(r+1)², unit L2 norm (the paper's L2 building block). */
function rectangles(rows: number, cols: number): Float64Array {
  const d = new Float64Array(rows * cols);
  let r0 = Math.floor(rows / 2);
  let c0 = Math.floor(cols / 2);
  const rings = Math.max(Math.floor(rows / 2) + 1, Math.floor(cols / 2) + 1);
  for (let ring = 0; ring < rings; ring++) {
    for (let r = Math.max(r0, 0); r < Math.min(r0 + 2 * ring + 1, rows); r++) {
      for (let c = Math.max(c0, 0); c < Math.min(c0 + 2 * ring + 1, cols); c++) d[r * cols + c]! += 1 / (ring + 1) ** 2;
    }
    r0--;
    c0--;
  }
  return unitL2(d);
}

function unitL2(d: Float64Array): Float64Array {
  let s = 0;
  for (const v of d) s += v * v;
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < d.length; i++) d[i]! /= n;
  return d;
}

/** The L2 window pattern of side s: a positive bump over a negative one, randomly transposed. */
function eta(s: number, rand: () => number): Float64Array {
  const top = Math.floor(s / 2);
  const a = rectangles(top, s);
  const b = rectangles(s - top, s);
  const d = new Float64Array(s * s);
  d.set(a, 0);
  for (let i = 0; i < b.length; i++) d[top * s + i] = -b[i]!;
  unitL2(d);
  if (rand() > 0.5) {
    const t = new Float64Array(s * s);
    for (let r = 0; r < s; r++) for (let c = 0; c < s; c++) t[c * s + r] = d[r * s + c]!;
    return t;
  }
  return d;
}

export function square(norm: Norm, options: SquareOptions = {}): Attack {
  const o = SquareOptions.parse(options);
  const name = `square-${norm}`;
  return {
    name,
    norm,
    gradientFree: true,
    validate(info) {
      const [h, w] = info.inputShape;
      if (info.inputShape.length !== 3 || !(h! >= 2 && w! >= 2)) {
        throw new Error(`${name}: needs image inputs [height, width, channels] with height and width ≥ 2; the model takes [${info.inputShape.join(', ')}]`);
      }
    },
    perturb(model, x, y, eps, ctx) {
      const [n, h, w, c] = x.shape;
      if (eps === 0 || n === 0) return x.clone();
      const rand = mulberry32(ctx?.seed ?? 0);
      const xs = x.dataSync() as Float32Array;
      const ys = y.dataSync() as Int32Array;
      const d = h * w * c;
      const at = (i: number, r: number, col: number, ch: number) => i * d + (r * w + col) * c + ch;
      const sign = () => (rand() < 0.5 ? -1 : 1);
      const clip01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

      // The starting point.
      const best = new Float32Array(xs.length);
      if (norm === 'linf') {
        for (let i = 0; i < n; i++) {
          for (let ch = 0; ch < c; ch++) {
            for (let col = 0; col < w; col++) {
              const s = sign() * eps;
              for (let r = 0; r < h; r++) best[at(i, r, col, ch)] = clip01(xs[at(i, r, col, ch)]! + s);
            }
          }
        }
      } else {
        const delta = new Float64Array(xs.length);
        const s = Math.max(Math.floor(h / 5), 1);
        const start = Math.floor((h - s * 5) / 2);
        for (let bh = 0, vh = start; bh < Math.floor(h / s); bh++, vh += s) {
          for (let bw = 0, vw = start; bw < Math.floor(w / s); bw++, vw += s) {
            const e = eta(s, rand);
            for (let i = 0; i < n; i++) {
              for (let ch = 0; ch < c; ch++) {
                const sg = sign();
                for (let r = 0; r < s; r++) {
                  for (let col = 0; col < s; col++) {
                    if (vh + r < h && vw + col < w) delta[at(i, vh + r, vw + col, ch)]! += e[r * s + col]! * sg;
                  }
                }
              }
            }
          }
        }
        for (let i = 0; i < n; i++) {
          let s2 = 0;
          for (let j = 0; j < d; j++) s2 += delta[i * d + j]! ** 2;
          const scale = eps / (Math.sqrt(s2) + 1e-12);
          for (let j = 0; j < d; j++) best[i * d + j] = clip01(xs[i * d + j]! + delta[i * d + j]! * scale);
        }
      }
      const margin = margins(model, best, [n, h, w, c], ys);

      for (let q = 0; q < o.queries; q++) {
        const active: number[] = [];
        for (let i = 0; i < n; i++) if (margin[i]! > 0) active.push(i);
        if (active.length === 0) break;
        const m = active.length;
        const p = squareFraction(o.pInit, q, o.queries);
        let s = Math.round(Math.sqrt((p * d) / c));
        s = norm === 'linf' ? Math.max(s, 1) : Math.max(s, 3);
        if (norm === 'l2' && s % 2 === 0) s++;
        s = Math.min(s, h, w);
        const vh = Math.floor(rand() * (h - s));
        const vw = Math.floor(rand() * (w - s));
        const cand = new Float32Array(m * d);
        for (let a = 0; a < m; a++) cand.set(best.subarray(active[a]! * d, (active[a]! + 1) * d), a * d);
        if (norm === 'linf') {
          for (let a = 0; a < m; a++) {
            const i = active[a]!;
            for (let ch = 0; ch < c; ch++) {
              const s2 = 2 * eps * sign();
              for (let r = vh; r < vh + s; r++) {
                for (let col = vw; col < vw + s; col++) {
                  const k = at(a, r, col, ch);
                  const x0 = xs[at(i, r, col, ch)]!;
                  const v = Math.min(Math.max(cand[k]! + s2, x0 - eps), x0 + eps);
                  cand[k] = clip01(v);
                }
              }
            }
          }
        } else {
          const vh2 = Math.floor(rand() * (h - s));
          const vw2 = Math.floor(rand() * (w - s));
          const e = eta(s, rand);
          const in1 = (r: number, col: number) => r >= vh && r < vh + s && col >= vw && col < vw + s;
          const in2 = (r: number, col: number) => r >= vh2 && r < vh2 + s && col >= vw2 && col < vw2 + s;
          const delta = new Float64Array(d);
          for (let a = 0; a < m; a++) {
            const i = active[a]!;
            let image2 = 0;
            for (let j = 0; j < d; j++) {
              delta[j] = best[i * d + j]! - xs[i * d + j]!;
              image2 += delta[j]! ** 2;
            }
            for (let ch = 0; ch < c; ch++) {
              let win1 = 0;
              let windows = 0;
              for (let r = 0; r < h; r++) {
                for (let col = 0; col < w; col++) {
                  const v = delta[(r * w + col) * c + ch]!;
                  if (in1(r, col)) win1 += v * v;
                  if (in1(r, col) || in2(r, col)) windows += v * v;
                }
              }
              win1 = Math.sqrt(win1);
              const sg = sign();
              const fresh = new Float64Array(s * s);
              let fresh2 = 0;
              for (let r = 0; r < s; r++) {
                for (let col = 0; col < s; col++) {
                  const v = e[r * s + col]! * sg + delta[((vh + r) * w + vw + col) * c + ch]! / (1e-12 + win1);
                  fresh[r * s + col] = v;
                  fresh2 += v * v;
                }
              }
              const target = Math.sqrt(Math.max(eps * eps - image2, 0) / c + windows);
              const scale = target / (1e-12 + Math.sqrt(fresh2));
              for (let r = vh2; r < vh2 + s; r++) for (let col = vw2; col < vw2 + s; col++) delta[(r * w + col) * c + ch] = 0;
              for (let r = 0; r < s; r++) {
                for (let col = 0; col < s; col++) delta[((vh + r) * w + vw + col) * c + ch] = fresh[r * s + col]! * scale;
              }
            }
            let total = 0;
            for (let j = 0; j < d; j++) total += delta[j]! ** 2;
            const k = eps / (Math.sqrt(total) + 1e-12);
            for (let j = 0; j < d; j++) cand[a * d + j] = clip01(xs[i * d + j]! + delta[j]! * k);
          }
        }
        const mc = margins(model, cand, [m, h, w, c], Int32Array.from(active, (i) => ys[i]!));
        for (let a = 0; a < m; a++) {
          const i = active[a]!;
          if (mc[a]! < margin[i]!) {
            margin[i] = mc[a]!;
            best.set(cand.subarray(a * d, (a + 1) * d), i * d);
          }
        }
      }
      return tf.tensor4d(best, [n, h, w, c]);
    },
  };
}
