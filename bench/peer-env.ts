/** The PyTorch peers' environment (bench.ts, gemm.ts, e2e.ts): threads and an instruction set matched to the addon's. */
import { readFileSync } from 'node:fs';

/**
 * The peer's environment: its thread count (torch's and OpenBLAS's), and its instruction
 * set matched to the addon's. Debian's OpenBLAS misdetects this CPU family, so the kernel set is pinned:
 * SkylakeX only where the CPU has AVX-512 and the addon uses it, Haswell (AVX2) otherwise.
 */
export function peerEnv(threads: number | undefined, base: NodeJS.ProcessEnv = process.env, cpuinfo = readCpuinfo()): NodeJS.ProcessEnv {
  const env = { ...base };
  const avx512 = /\bavx512f\b/.test(cpuinfo);
  const forced = base.LIPBENCH_NATIVE_ISA;
  if (avx512 && (forced === undefined || forced === '' || forced === 'avx512')) env.OPENBLAS_CORETYPE = 'SkylakeX';
  else if (/\bavx2\b/.test(cpuinfo)) {
    env.OPENBLAS_CORETYPE = 'Haswell';
    if (avx512) {
      // An AVX-512 CPU measured as an AVX2 one: cap oneDNN and ATen's own kernels too.
      env.ONEDNN_MAX_CPU_ISA = 'AVX2';
      env.DNNL_MAX_CPU_ISA = 'AVX2';
      env.ATEN_CPU_CAPABILITY = 'avx2';
    }
  }
  if (threads) {
    env.LIPBENCH_PEER_THREADS = String(threads);
    // torch.set_num_threads does not reach OpenBLAS, which starts one thread per CPU: a
    // "1-thread" torch.matmul ran on both cores of the 2-core Zen 3 VM (146 GFLOP/s wall,
    // 74 per CPU second). The caller's own setting wins.
    env.OPENBLAS_NUM_THREADS ??= String(threads);
  }
  return env;
}

function readCpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return ''; // not Linux: leave the peer's libraries to detect
  }
}

