/**
 * The SGEMM shapes the GEMM benches time (bench/gemm.ts, bench/gemm-ab.ts,
 * bench/blas-peers.ts): 1024³ and the products MLP training issues at batch 128-256. A
 * module of their own so that gemm.ts (which runs blas-peers.ts for --blas) and
 * blas-peers.ts do not import each other.
 */
export interface GemmShape { readonly m: number; readonly n: number; readonly k: number; readonly ta: boolean; readonly tb: boolean; readonly what: string }

export const SHAPES: readonly GemmShape[] = [
  { m: 1024, n: 1024, k: 1024, ta: false, tb: false, what: '1024³' },
  { m: 128, n: 512, k: 784, ta: false, tb: false, what: 'fwd 128x784 · 784x512' },
  { m: 784, n: 512, k: 128, ta: true, tb: false, what: 'dW 784x128 · 128x512' },
  { m: 128, n: 784, k: 512, ta: false, tb: true, what: 'dX 128x512 · 512x784' },
  { m: 256, n: 1024, k: 1024, ta: false, tb: false, what: 'fwd 256x1024 · 1024x1024' },
  { m: 256, n: 256, k: 4096, ta: false, tb: false, what: 'fwd 256x4096 · 4096x256' },
  { m: 256, n: 4096, k: 256, ta: false, tb: false, what: 'fwd 256x256 · 256x4096' },
  { m: 1024, n: 1024, k: 256, ta: true, tb: false, what: 'dW 1024x256 · 256x1024' },
];
