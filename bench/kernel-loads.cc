// Built and run by bench/kernel-loads.ts (which also checks the assembly for spills): how
// an AVX2 micro-kernel's loads per k step bear on its FMA rate, every operand in L1. Each
// variant is an extern "C" noipa function, so that the runner finds its code by name.
// Prints one line per variant: name, k steps per call, loads per k step, FMAs per k step,
// then the GFLOP/s of every round (rounds interleave the variants, so a drift moves all of them).
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "fma-loop.h"

namespace {

// k steps per call: at most KC, fewer for a tile whose packed A and B would take more than
// 24 KB of the 32 KB L1 at KC (tile_kc). 4x24 takes 21 KB at 192 (28 KB at 256).
constexpr int KC = 192;
constexpr int L1_FLOATS = 6144;
constexpr int tile_kc(int r, int v) { return L1_FLOATS / (r + 8 * v) / 16 * 16 < KC ? L1_FLOATS / (r + 8 * v) / 16 * 16 : KC; }

// R rows x V vectors of 8 columns. MODE 0 loads B's V vectors and broadcasts A's R values
// every step; MODE 1 holds A's R values in registers and loads B's vectors one at a time,
// each used by its R FMAs before the next (B's loads only); MODE 2 holds B's V vectors (A's
// broadcasts only); MODE 3 broadcasts A's R values at the start of each step, then streams
// B's vectors as MODE 1 does (3x32 in 16 registers). R*V accumulators + the held operands
// + one loaded value must fit 16 ymm registers, or the compiler spills and the loop loads
// more than its name says.
template <int R, int V, int MODE>
__attribute__((target("avx2,fma"), always_inline)) inline void tile(int kc, const float* A, const float* B, float* C) {
  __m256 acc[R][V], held_a[R], b[V];
#pragma GCC unroll 16
  for (int i = 0; i < R; i++) {
#pragma GCC unroll 16
    for (int v = 0; v < V; v++) acc[i][v] = _mm256_setzero_ps();
    if (MODE == 1) held_a[i] = _mm256_broadcast_ss(A + i);
  }
#pragma GCC unroll 16
  for (int v = 0; v < V; v++) b[v] = _mm256_load_ps(B + 8 * v);
#pragma GCC unroll 4
  for (int p = 0; p < kc; p++) {
    if (MODE == 1 || MODE == 3) {
      if (MODE == 3) {
#pragma GCC unroll 16
        for (int i = 0; i < R; i++) held_a[i] = _mm256_broadcast_ss(A + i);
      }
#pragma GCC unroll 16
      for (int v = 0; v < V; v++) {
        const __m256 bv = _mm256_load_ps(B + 8 * v);
#pragma GCC unroll 16
        for (int i = 0; i < R; i++) acc[i][v] = _mm256_fmadd_ps(held_a[i], bv, acc[i][v]);
      }
    } else {
      if (MODE == 0) {
#pragma GCC unroll 16
        for (int v = 0; v < V; v++) b[v] = _mm256_load_ps(B + 8 * v);
      }
#pragma GCC unroll 16
      for (int i = 0; i < R; i++) {
        const __m256 a = _mm256_broadcast_ss(A + i);
#pragma GCC unroll 16
        for (int v = 0; v < V; v++) acc[i][v] = _mm256_fmadd_ps(a, b[v], acc[i][v]);
      }
    }
    A += R;
    B += 8 * V;
  }
#pragma GCC unroll 16
  for (int i = 0; i < R; i++)
#pragma GCC unroll 16
    for (int v = 0; v < V; v++) _mm256_storeu_ps(C + i * 8 * V + 8 * v, _mm256_add_ps(_mm256_loadu_ps(C + i * 8 * V + 8 * v), acc[i][v]));
}

}  // namespace

#define KL(NAME, R, V, MODE) \
  extern "C" __attribute__((noipa, target("avx2,fma"))) void NAME(int kc, const float* A, const float* B, float* C) { tile<R, V, MODE>(kc, A, B, C); }
KL(kl_6x16, 6, 2, 0)
KL(kl_4x24, 4, 3, 0)
KL(kl_4x16, 4, 2, 0)
KL(kl_4x16_b_loads_only, 4, 2, 1)
KL(kl_4x16_a_broadcasts_only, 4, 2, 2)
KL(kl_12x8, 12, 1, 0)
KL(kl_6x16_a_broadcasts_only, 6, 2, 2)
KL(kl_3x32_b_loads_only, 3, 4, 1)
KL(kl_3x32, 3, 4, 3)
KL(kl_12x8_a_broadcasts_only, 12, 1, 2)
KL(kl_1x96_b_loads_only, 1, 12, 1)
#undef KL

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 31;
  if (rounds < 1) return 2;
  struct Variant { const char* name; void (*fn)(int, const float*, const float*, float*); int r, v; bool heldA, heldB; };
  const Variant vs[] = {
      {"6x16", kl_6x16, 6, 2, false, false},
      {"4x24", kl_4x24, 4, 3, false, false},
      {"4x16", kl_4x16, 4, 2, false, false},
      {"4x16_b_loads_only", kl_4x16_b_loads_only, 4, 2, true, false},
      {"4x16_a_broadcasts_only", kl_4x16_a_broadcasts_only, 4, 2, false, true},
      {"12x8", kl_12x8, 12, 1, false, false},
      {"6x16_a_broadcasts_only", kl_6x16_a_broadcasts_only, 6, 2, false, true},
      {"3x32_b_loads_only", kl_3x32_b_loads_only, 3, 4, true, false},
      {"3x32", kl_3x32, 3, 4, false, false},
      {"12x8_a_broadcasts_only", kl_12x8_a_broadcasts_only, 12, 1, false, true},
      {"1x96_b_loads_only", kl_1x96_b_loads_only, 1, 12, true, false},
  };
  constexpr int NV = sizeof vs / sizeof vs[0];
  float* A = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * 16 * KC));
  float* B = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * 96 * KC));
  float* C = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * 16 * 96));
  for (int i = 0; i < 16 * KC; i++) A[i] = 1.f / 1024;
  for (int i = 0; i < 96 * KC; i++) B[i] = 1.f / 1024;
  for (int i = 0; i < 16 * 96; i++) C[i] = 0;
  static double g[NV + 1][1000];
  const int R = rounds > 1000 ? 1000 : rounds;
  for (int it = 0; it < R; it++) {
    // Each round starts at another variant, so that none always runs first or last.
    for (int step = 0; step <= NV; step++) {
      const int v = (it + step) % (NV + 1);
      const auto t0 = std::chrono::steady_clock::now();
      double flops = 0;
      if (v == NV) {
        flops = fma_loop_avx2(4000000);  // ~8 ms, as long as a variant's 20000 calls
      } else {
        // The same k steps for every variant: 20000 calls of KC, or more calls of a shorter kc.
        const int kc = tile_kc(vs[v].r, vs[v].v), calls = 20000 * KC / kc;
        for (int c = 0; c < calls; c++) vs[v].fn(kc, A, B, C);
        flops = 2.0 * kc * vs[v].r * vs[v].v * 8 * calls;
      }
      g[v][it] = flops / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 1e9;
    }
  }
  for (int v = 0; v <= NV; v++) {
    if (v == NV) std::printf("fma_loop_avx2\t0\t0\t12");
    else std::printf("%s\t%d\t%d\t%d", vs[v].name, tile_kc(vs[v].r, vs[v].v), (vs[v].heldA ? 0 : vs[v].r) + (vs[v].heldB ? 0 : vs[v].v), vs[v].r * vs[v].v);
    for (int it = 0; it < R; it++) std::printf("\t%.2f", g[v][it]);
    std::printf("\n");
  }
  return C[3] < 0 ? 1 : 0;
}
