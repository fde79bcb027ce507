// A single-thread model of one thread's share of a column-split GEMM, built by
// bench/gemm-model.ts around the addon's own AVX2 micro-kernel (kern_avx2, copied out of
// native/lipbench_native.cc into kern_avx2.inc at build time). It runs the same blocked
// loop as gemm_cols_claimed (all of A packed once; per range of column panels, per k
// block: B's range packed, then every B panel against every A panel) with parts switched
// off, so each part's cost shows as a share of the FMA peak measured beside it. The
// packing here is plain copies, not the addon's 8x8 transposes for A: the model shows
// where time goes, not the addon's exact figures.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cmath>
#include <cstring>

#include "fma-loop.h"
#include "kern_avx2.inc"

namespace {

using KernFn = void (*)(int, const float*, const float*, float*, long, float);
const KernFn kEdge[7] = {nullptr, kern_avx2<1, 6>, kern_avx2<2, 6>, kern_avx2<3, 6>, kern_avx2<4, 6>, kern_avx2<5, 6>, kern_avx2<6, 6>};
// As the addon: a last row panel of 1 or 2 rows runs two adjacent panels in one call.
const KernFn kPair[3] = {nullptr, kern_avx2<1, 6, 2>, kern_avx2<2, 6, 2>};

/**
 * Row panel pn of column panel q (of `panels`, their packed B side by side kc * 16 floats
 * apart; bq is q's) into C at c (q's columns): the edge panel of 1 or 2 rows pairs
 * an even q with q + 1, which then skips it.
 */
inline void tile(int M, int pn, int q, int panels, int kc, const float* a, const float* bq, float* c, long ldc, float beta) {
  const int mr = std::min(6, M - pn * 6);
  if (mr >= 3) return kEdge[mr](kc, a, bq, c, ldc, beta);
  if (q % 2 == 1) return;
  if (q + 1 < panels) return kPair[mr](kc, a, bq, c, ldc, beta);
  kEdge[mr](kc, a, bq, c, ldc, beta);
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct Model {
  int M, K, N, ldb, kcb, P;
  float *a, *b, *c, *ap, *bp;
  int nkb() const { return (K + kcb - 1) / kcb; }
  int npan() const { return (M + 5) / 6; }
  void pack_a() const {
    for (int kb = 0; kb < nkb(); kb++) {
      const int kc = std::min(kcb, K - kb * kcb);
      for (int pn = 0; pn < npan(); pn++) {
        float* d = ap + (static_cast<long>(kb) * npan() + pn) * 6 * kcb;
        for (int p = 0; p < kc; p++)
          for (int i = 0; i < 6; i++) {
            const int r = pn * 6 + i;
            d[p * 6 + i] = r < M ? a[static_cast<long>(r) * K + kb * kcb + p] : 0.f;
          }
      }
    }
  }
  void pack_b(int kb, int j0, int panels) const {
    const int kc = std::min(kcb, K - kb * kcb);
    for (int p = 0; p < kc; p++) {
      const float* s = b + static_cast<long>(kb * kcb + p) * ldb + j0;
      for (int q = 0; q < panels; q++) std::memcpy(bp + q * 16L * kc + p * 16, s + q * 16, 64);
    }
  }
  // packA, packB: whether each call packs; with neither, the buffers packed once are reused.
  void run(bool packA, bool packB) const {
    if (packA) pack_a();
    for (int j0 = 0; j0 < N; j0 += P * 16) {
      const int panels = std::min(P, (N - j0) / 16);
      for (int kb = 0; kb < nkb(); kb++) {
        const int kc = std::min(kcb, K - kb * kcb);
        if (packB) pack_b(kb, j0, panels);
        for (int q = 0; q < panels; q++)
          for (int pn = 0; pn < npan(); pn++) {
            tile(M, pn, q, panels, kc, ap + (static_cast<long>(kb) * npan() + pn) * 6 * kcb, bp + q * 16L * kc,
                 c + static_cast<long>(pn) * 6 * N + j0 + q * 16, N, kb == 0 ? 0.f : 1.f);
          }
      }
    }
  }
};

float* alloc(long n) {
  float* p = static_cast<float*>(std::aligned_alloc(64, ((n * 4 + 63) / 64) * 64));
  if (!p) std::exit(1);
  return p;
}

}  // namespace

// argv: M K N ldb kcb P reps [check]. Prints one line per mode and repetition: mode, microseconds, % of peak.
int main(int argc, char** argv) {
  if (argc < 8) {
    std::fprintf(stderr, "usage: gemm-model M K N ldb kcb P reps\n");
    return 2;
  }
  Model m{std::atoi(argv[1]), std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]), std::atoi(argv[6]),
          nullptr, nullptr, nullptr, nullptr, nullptr};
  const int reps = std::atoi(argv[7]);
  if (m.M < 1 || m.K < 1 || m.N < 16 || m.N % 16 != 0 || m.ldb < m.N || m.kcb < 1 || m.P < 1 || reps < 1) {
    std::fprintf(stderr, "gemm-model: need M, K, kcb, P, reps >= 1, N a positive multiple of 16 and ldb >= N\n");
    return 2;
  }
  m.a = alloc(static_cast<long>(m.M) * m.K);
  m.b = alloc(static_cast<long>(m.K) * m.ldb);
  m.c = alloc(static_cast<long>(m.M) * m.N);
  m.ap = alloc(static_cast<long>(m.npan()) * 6 * m.kcb * m.nkb());
  m.bp = alloc(static_cast<long>(m.P) * 16 * m.kcb);
  // Distinct values everywhere (no period that a misplaced row or panel could hide in).
  uint32_t x = 0x9e3779b9u;
  auto next = [&x]() {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return static_cast<float>(x >> 8) / 16777216.f - 0.5f;
  };
  for (long i = 0; i < static_cast<long>(m.M) * m.K; i++) m.a[i] = next();
  for (long i = 0; i < static_cast<long>(m.K) * m.ldb; i++) m.b[i] = next();
  std::memset(m.c, 0, sizeof(float) * m.M * m.N);
  m.pack_a();
  m.pack_b(0, 0, std::min(m.P, m.N / 16));
  if (argc > 8 && std::strcmp(argv[8], "check") == 0) {
    // The full loop (both packs) against a double-precision product: the model computes
    // what the addon computes, so its timings are of real work.
    m.run(true, true);
    double worst = 0;
    for (int i = 0; i < m.M; i++)
      for (int j = 0; j < m.N; j++) {
        double ref = 0, mag = 0;
        for (int p = 0; p < m.K; p++) {
          const double t = static_cast<double>(m.a[static_cast<long>(i) * m.K + p]) * m.b[static_cast<long>(p) * m.ldb + j];
          ref += t;
          mag += std::abs(t);
        }
        worst = std::max(worst, std::abs(m.c[static_cast<long>(i) * m.N + j] - ref) / std::max(mag, 1e-30));
      }
    std::printf("max relative error %.3g\n", worst);
    return 0;
  }
  const double flops = 2.0 * m.M * m.N * m.K;
  const bool two = m.P >= 2;
  const char* names[] = {"micro-kernel alone (B panels in L1, A from L2)", "blocked loop, no packing", "with B's packing", "with A's packing", "with both"};
  for (int r = 0; r < reps; r++) {
    for (int mode = 0; mode < 5; mode++) {
      double t = now();
      const double before = fma_loop_avx2(20000000) / (now() - t);
      const int calls = std::max(1, static_cast<int>(0.3 * before / flops));  // ~0.3 s a sample
      t = now();
      for (int i = 0; i < calls; i++) {
        if (mode == 0) {
          for (int kb = 0; kb < m.nkb(); kb++) {
            const int kc = std::min(m.kcb, m.K - kb * m.kcb);
            for (int q = 0; q < m.N / 16; q++)
              for (int pn = 0; pn < m.npan(); pn++)
                // The same one or two packed panels (two when the edge pairs) for every q.
                tile(m.M, pn, two ? q : 0, two ? m.N / 16 : 1, kc, m.ap + (static_cast<long>(kb) * m.npan() + pn) * 6 * m.kcb,
                     m.bp + (two ? q % 2 : 0) * 16L * kc, m.c + static_cast<long>(pn) * 6 * m.N, m.N, kb == 0 ? 0.f : 1.f);
          }
        } else {
          m.run(mode == 4 || mode == 3, mode == 4 || mode == 2);
        }
      }
      const double dt = (now() - t) / calls;
      t = now();
      const double after = fma_loop_avx2(20000000) / (now() - t);
      // The faster of the two burns: a slow moment during one of them must not inflate the share.
      const double peak = std::max(before, after);
      std::printf("%d\t%s\t%.1f\t%.1f\n", mode, names[mode], dt * 1e6, 100.0 * flops / dt / peak);
    }
  }
  return 0;
}
