/**
 * One PGD-L∞ step, x' = Π(xAdv + α·sign(g)), as a single kernel. Composed from tfjs ops
 * (attacks/geometry.ts) it is eight passes over the batch (two multiplies and a clip for
 * the exact sign, a multiply by α, an add, a subtract, the ε-ball clip, an add and the box
 * clip): on wasm+native about 2 ms of a 13 ms PGD step on a batch of 1000 MNIST images.
 *
 * Each operation is rounded to float32 in the order the composition runs them, and every
 * clamp is the wasm backend's (XNNPACK's x86 build: a NaN becomes the lower bound), so on
 * wasm the kernel equals the composition bit for bit. The cpu backend keeps NaN, and so
 * does XNNPACK's ARM build: attacks/geometry.ts asks the backend's clamp once and keeps
 * composing where a NaN survives it, and on every backend without this kernel.
 * Kernels: wasm, in wasm/linf-step.ts (the native addon while active, else this
 * JavaScript over the heap).
 */
export const LINF_STEP = 'LipbenchLinfStep';

/** The kernel's attributes: the step size α and the ball's radius ε (ε > 0), as given to the ops. */
export interface LinfStepAttrs {
  readonly stepSize: number;
  readonly eps: number;
}

/** 2¹²⁷: v·2¹²⁷·2¹²⁷ saturates every non-zero float32 to ±∞ or beyond ±1 (see exactSign). */
const BIG = 2 ** 127;

/** The wasm backend's clamp: max(lo) then min(hi) by `<`, so NaN maps to lo. */
function clamp(v: number, lo: number, hi: number): number {
  const w = lo < v ? v : lo;
  return w < hi ? w : hi;
}

/** out[i] for i in [0, n): the step at the given offsets of one or more float32 arrays. */
export function linfStepRange(
  x: Float32Array, xOff: number, xa: Float32Array, xaOff: number, g: Float32Array, gOff: number, n: number,
  stepSize: number, eps: number, out: Float32Array, outOff: number,
): void {
  const f = Math.fround;
  const alpha = f(stepSize), hi = f(eps), lo = f(-eps);
  for (let i = 0; i < n; i++) {
    const xi = x[xOff + i]!;
    const s = clamp(f(f(g[gOff + i]! * BIG) * BIG), -1, 1);
    const u = f(xa[xaOff + i]! + f(s * alpha));
    const d = clamp(f(u - xi), lo, hi);
    out[outOff + i] = clamp(f(xi + d), 0, 1);
  }
}
