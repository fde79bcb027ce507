/**
 * One Adam step for one variable as a single kernel: tfjs' AdamOptimizer spends about ten
 * kernels (and as many passes over the variable) per variable per step, which on wasm cost
 * ~1.8 ms of a ~10 ms MLP training step. Every operation is rounded to float32 in the
 * order tfjs composes them, so the new weights and moments are tfjs' bit for bit:
 *   m' = m·β1 + g·(1−β1),  v' = v·β2 + (g·g)·(1−β2),
 *   w' = ((m'/c1) / (√(v'/c2) + ε))·(−lr) + w,   c1 = 1−β1^t, c2 = 1−β2^t.
 * Kernels: cpu and wasm here and in wasm/adam-update.ts (the native addon while active);
 * train/fused-adam.ts uses the kernel where the backend has it and tfjs' Adam elsewhere.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { registerMissing, type SyncBackend } from './register.js';

export const ADAM_UPDATE = 'LipbenchAdamUpdate';

/** The kernel's attributes, each already a float32 value (see adamParams). */
export interface AdamUpdateAttrs {
  /** [β1, 1−β1, β2, 1−β2, 1−β1^t, 1−β2^t, ε, −lr]. */
  readonly params: readonly number[];
}

/** The float32 constants tfjs' Adam uses at a step (the scalars its ops are given). */
export function adamParams(beta1: number, beta2: number, oneMinusAccBeta1: number, oneMinusAccBeta2: number, epsilon: number, learningRate: number): number[] {
  const f = Math.fround;
  return [f(beta1), f(1 - beta1), f(beta2), f(1 - beta2), f(oneMinusAccBeta1), f(oneMinusAccBeta2), f(epsilon), f(-learningRate)];
}

/** The update over n floats at the given offsets of the arrays (which may be one heap). */
export function adamUpdateRange(
  w: Float32Array, wOff: number, m: Float32Array, mOff: number, v: Float32Array, vOff: number, g: Float32Array, gOff: number,
  n: number, params: readonly number[], nw: Float32Array, nwOff: number, nm: Float32Array, nmOff: number, nv: Float32Array, nvOff: number,
): void {
  const f = Math.fround;
  const [b1, omb1, b2, omb2, c1, c2, eps, nlr] = params as [number, number, number, number, number, number, number, number];
  for (let i = 0; i < n; i++) {
    const gi = g[gOff + i]!;
    const mi = f(f(m[mOff + i]! * b1) + f(gi * omb1));
    const vi = f(f(v[vOff + i]! * b2) + f(f(gi * gi) * omb2));
    const den = f(f(Math.sqrt(f(vi / c2))) + eps);
    nw[nwOff + i] = f(f(f(f(mi / c1) / den) * nlr) + w[wOff + i]!);
    nm[nmOff + i] = mi;
    nv[nvOff + i] = vi;
  }
}

const cpuAdamUpdate: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as SyncBackend;
  const { w, m, v, g } = inputs as { w: TensorInfo; m: TensorInfo; v: TensorInfo; g: TensorInfo };
  const { params } = attrs as unknown as AdamUpdateAttrs;
  const [ws, ms, vs, gs] = [w, m, v, g].map((t) => backend.readSync(t.dataId) as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const n = ws.length;
  const [nw, nm, nv] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  adamUpdateRange(ws, 0, ms, 0, vs, 0, gs, 0, n, params, nw, 0, nm, 0, nv, 0);
  return [nw, nm, nv].map((vals) => backend.makeTensorInfo([...w.shape], 'float32', vals));
};

export const cpuAdamUpdateConfig: KernelConfig = { kernelName: ADAM_UPDATE, backendName: 'cpu', kernelFunc: cpuAdamUpdate };

let registered = false;

/** Registers the cpu kernel (idempotent); wasm/adam-update.ts adds wasm's. */
export function registerAdamUpdateKernel(): void {
  if (registered) return;
  registered = true;
  registerMissing([cpuAdamUpdateConfig]);
}
