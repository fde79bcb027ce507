/**
 * The native addon's interface and the one that is *active*. The wasm kernels route
 * their GEMM work to an addon only while one is active (activateNative), so loading it
 * never changes the plain wasm+lipbench backend. Loading the .node file is Node-only
 * and lives in src/node/native-addon.ts; this file stays free of Node imports so the
 * kernels can be bundled for a browser.
 */
export interface NativeInfo {
  /** Micro-kernel picked at load time: avx512, avx2 or generic. */
  readonly isa: string;
  /** Pool size: LIPBENCH_NATIVE_THREADS, else the affinity mask's CPUs capped by the cgroup CPU quota. */
  readonly threads: number;
  /** CPUs in the affinity mask at load time (0 when unknown) and the cgroup quota in CPUs (0 = none). */
  readonly affinityCpus: number;
  readonly quotaCpus: number;
  readonly mr: number;
  readonly nr: number;
  /** Parallel jobs issued so far, and how many times a worker thread joined one. */
  readonly parallelJobs: number;
  readonly workerJoins: number;
  /** Convolution input gradients run in bands of input rows (fewer images than two per thread) so far. */
  readonly bandedGradients: number;
  /** Parallel GEMMs split by columns only, the threads claiming column ranges as they run (see native gemm()), so far. */
  readonly columnSplits: number;
  /** Parallel GEMMs split by rows only, the threads claiming row ranges, so far. */
  readonly rowSplits: number;
}

/**
 * The addon's functions. `heap` is a Float32Array over the whole wasm memory; every offset
 * is a float index into it, and the addon checks each operand's extent against its length.
 */
export interface NativeAddon {
  /** C = alpha*op(A)*op(B) + beta*C (+ bias[j], then ReLU when act = 1); row-major; biasOff < 0 for none. */
  sgemm(heap: Float32Array, transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    aOff: number, lda: number, bOff: number, ldb: number, beta: number, cOff: number, ldc: number,
    biasOff: number, act: number): void;
  /** NHWC conv, HWIO filter, implicit im2col. geom = [n,h,w,c,kh,kw,oh,ow,sh,sw,padTop,padLeft,dh,dw]. */
  conv2d(heap: Float32Array, geom: Int32Array, xOff: number, fOff: number, co: number, biasOff: number, yOff: number, act: number): void;
  conv2dBackpropFilter(heap: Float32Array, geom: Int32Array, xOff: number, dyOff: number, co: number, dwOff: number): void;
  conv2dBackpropInput(heap: Float32Array, geom: Int32Array, dyOff: number, fOff: number, co: number, dxOff: number): void;
  /** out[j] = sum over i of x[i, j] for a row-major [rows, cols] block (leading-axes Sum). */
  sumRows(heap: Float32Array, xOff: number, rows: number, cols: number, outOff: number): void;
  /** out[i] = sum over j of x[i, j] for a row-major [rows, len] block (trailing-axes Sum), in double, in kernels/wasm/sum.ts's order. */
  sumInner(heap: Float32Array, xOff: number, rows: number, len: number, outOff: number): void;
  /** MaxPoolGrad with cpu's semantics (kernels/wasm/pool-grad.ts); geom as conv2d's, kh/kw the pool size. */
  maxPoolGrad(heap: Float32Array, geom: Int32Array, xOff: number, dyOff: number, dxOff: number): void;
  /** AvgPoolGrad with cpu's semantics (kernels/wasm/pool-grad.ts); geom as maxPoolGrad's. */
  avgPoolGrad(heap: Float32Array, geom: Int32Array, dyOff: number, dxOff: number): void;
  /** MaxMin over the last axis of a row-major [rows, c] block (c even): y = [max(a, b), min(a, b)] of the halves. */
  maxMin(heap: Float32Array, xOff: number, rows: number, c: number, yOff: number): void;
  /** The input gradient of maxMin, with tfjs' tie rule (both halves of dy go to a where a = b). */
  maxMinGrad(heap: Float32Array, xOff: number, dyOff: number, rows: number, c: number, dxOff: number): void;
  /**
   * One fused Adam step over n floats (kernels/adam-update.ts): new w, m, v written at
   * their offsets; params = [β1, 1−β1, β2, 1−β2, 1−β1^t, 1−β2^t, ε, −lr] as floats.
   */
  adamUpdate(heap: Float32Array, wOff: number, mOff: number, vOff: number, gOff: number, n: number, params: Float32Array,
    nwOff: number, nmOff: number, nvOff: number): void;
  /** out = a op b over n floats (op 0 add, 1 sub, 2 mul); aLen and bLen are n or 1 (one broadcast value). */
  binary(heap: Float32Array, op: number, aOff: number, aLen: number, bOff: number, bLen: number, n: number, outOff: number): void;
  /** out = clamp(x, lo, hi) over n floats, as the wasm backend's XNNPACK clamp (NaN → lo; [0, +inf) as its ReLU). */
  clip(heap: Float32Array, xOff: number, n: number, lo: number, hi: number, outOff: number): void;
  /** One PGD-L∞ step over n floats (kernels/linf-step.ts): out = Π(xAdv + stepSize·sign(g)), ε > 0. */
  linfStep(heap: Float32Array, xOff: number, xAdvOff: number, gOff: number, n: number, stepSize: number, eps: number, outOff: number): void;
  info(): NativeInfo;
  setThreads(n: number): number;
  /** Switches the micro-kernel (avx512, avx2, generic); returns the one in force (lower when the CPU lacks it). */
  setIsa(isa: string): string;
  /**
   * The load-time pool-size rule on given inputs: an affinity-mask CPU count (0 = unknown,
   * then `hw`), a cgroup mount directory, the text of /proc/self/cgroup, and
   * LIPBENCH_NATIVE_THREADS (null when unset). `quota` is the cgroup CPU limit found (0 = none).
   */
  planThreads(affinity: number, hw: number, cgroupRoot: string, selfCgroup: string, env: string | null): { threads: number; quota: number };
  /**
   * Flops done by a register-only FMA loop of `iters` iterations per thread on the current
   * ISA (0 on generic), on `threads` pool threads (default 1, the calling thread; capped
   * at the pool's size), cut into 8 items per thread that the threads pull as a GEMM's
   * items are pulled; time it for a measured peak.
   */
  fmaPeak(iters: number, threads?: number): number;
  /**
   * Flops done by `iters` calls per thread of the current ISA's GEMM micro-kernel on one
   * tile that stays in L1 (beta 1), on `threads` pool threads as fmaPeak; time it for the
   * ceiling a whole GEMM could reach with every load an L1 hit.
   */
  kernelPeak(iters: number, threads?: number): number;
}

/**
 * Every function of NativeAddon (the type check below fails when the interface gains one
 * this list lacks): an addon built from older source lacks some, and must be reported
 * stale at load, not crash at its first call.
 */
export const NATIVE_FUNCTIONS = [
  'sgemm', 'conv2d', 'conv2dBackpropFilter', 'conv2dBackpropInput', 'sumRows', 'sumInner', 'maxPoolGrad', 'avgPoolGrad', 'maxMin',
  'maxMinGrad', 'adamUpdate', 'binary', 'clip', 'linfStep', 'info', 'setThreads', 'setIsa', 'planThreads', 'fmaPeak',
  'kernelPeak',
] as const satisfies readonly (keyof NativeAddon)[];
const everyFunctionListed: [Exclude<keyof NativeAddon, (typeof NATIVE_FUNCTIONS)[number]>] extends [never] ? true : never = true;
void everyFunctionListed;

/** The NativeAddon functions `addon` lacks (none for an addon built from this source). */
export function missingNativeFunctions(addon: object): string[] {
  return NATIVE_FUNCTIONS.filter((f) => typeof (addon as Record<string, unknown>)[f] !== 'function');
}

let active: NativeAddon | undefined;

/** Routes the wasm GEMM/conv kernels through the addon (undefined restores pure wasm). */
export function activateNative(addon: NativeAddon | undefined): void {
  active = addon;
}

/** The addon the wasm kernels should use right now, if any. */
export function activeNative(): NativeAddon | undefined {
  return active;
}
