// The register-only FMA loop that bench/gemm-model.cc, bench/kernel-loads.cc and
// bench/blas-peers.cc divide by, as the addon's fmaPeak: 12 independent accumulator chains
// (more than latency x pipes on Zen 3/4 and Skylake), no loads. Each of those programs is one translation unit and
// includes this once, so the definition lives here. extern "C" and noipa so that
// bench/kernel-loads.ts finds its code in the assembly by name; its loops are unrolled and
// its result goes to a global, so it keeps every value in registers (no stack operand).
#pragma once
#include <immintrin.h>

volatile float fma_loop_sink;

/** Runs `n` iterations; returns the flops done (the caller times it). */
extern "C" __attribute__((noipa, target("avx2,fma"))) double fma_loop_avx2(long n) {
  __m256 a[12];
#pragma GCC unroll 12
  for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps(1 + i * 1e-3f);
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (long r = 0; r < n; r++) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], m, c);
  }
  __m256 s = a[0];
#pragma GCC unroll 12
  for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
  fma_loop_sink = _mm256_cvtss_f32(s);
  return 12.0 * n * 16;
}
