// An outside check on lipbench's SGEMM figures: another BLAS library's sgemm_ (loaded with
// dlopen, so OpenBLAS and BLIS need no headers; called without the hidden string-length
// arguments of gfortran's convention, as C callers of those two do) timed on the same shapes against the same
// register-only FMA loop (fma-loop.h) that the addon's fmaPeak runs, measured before and
// after each sample, the larger of the two the yardstick (as bench/gemm.ts does, with a
// longer loop: 20M iterations, ~40 ms, against fmaPeak's ~8 ms). The loop is AVX2's: on an
// AVX-512 CPU it is not the peak, and bench/blas-peers.ts refuses to run there.
//
//   blas-peers LIBRARY THREADS REPS "m,k,n,ta,tb;..."
//
// Prints one JSON line per shape: {"m":..,"k":..,"n":..,"ta":..,"tb":..,"gflops":[..],"ratios":[..]}
// (per sample), after a first line {"library":..,"config":..} naming what the library
// reports of itself. Row-major C = op(A) op(B) is the column-major product
// C^T = op(B)^T op(A)^T, so B goes first; 16 entries of C are checked against a double sum
// before timing, and a wrong result ends the run with exit code 3 (a harness that calls
// the library wrong would time the wrong work).
#include <dlfcn.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "fma-loop.h"

using sgemm_t = void (*)(const char*, const char*, const int*, const int*, const int*, const float*, const float*, const int*,
                         const float*, const int*, const float*, float*, const int*);

static double wall() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
static double cpu() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

// The FMA loop's GFLOP/s on `threads` threads: on one, per CPU second (as bench/gemm.ts
// times one thread); on several, per wall second. Before it the process sleeps 300 ms on
// several threads: OpenBLAS's and OpenMP's idle workers spin after a call, and a loop that
// shared the cores with them would read low and flatter the library (ratios above 1 in a
// first version).
static double fma_rate(int threads) {
  constexpr long N = 20000000;
  if (threads == 1) {
    const double t = cpu();
    const double f = fma_loop_avx2(N);
    return f / (cpu() - t) / 1e9;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double t = wall();
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; i++) pool.emplace_back([] { fma_loop_avx2(N); });
  for (auto& th : pool) th.join();
  return threads * 12.0 * N * 16 / (wall() - t) / 1e9;
}

// A JSON string literal of s: quotes, backslashes and control characters escaped.
static std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

struct Shape {
  int m, k, n, ta, tb;
};

static std::vector<Shape> parse_shapes(const char* spec) {
  std::vector<Shape> out;
  std::string s(spec);
  size_t at = 0;
  while (at < s.size()) {
    const size_t end = std::min(s.find(';', at), s.size());
    Shape x{};
    if (sscanf(s.substr(at, end - at).c_str(), "%d,%d,%d,%d,%d", &x.m, &x.k, &x.n, &x.ta, &x.tb) != 5 || x.m < 1 || x.k < 1 || x.n < 1) {
      fprintf(stderr, "blas-peers: shape \"%s\" is not m,k,n,ta,tb\n", s.substr(at, end - at).c_str());
      exit(2);
    }
    out.push_back(x);
    at = end + 1;
  }
  return out;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: blas-peers LIBRARY THREADS REPS \"m,k,n,ta,tb;...\"\n");
    return 2;
  }
  const char* lib = argv[1];
  const int threads = atoi(argv[2]), reps = atoi(argv[3]);
  if (threads < 1 || reps < 1) {
    fprintf(stderr, "blas-peers: THREADS and REPS must be positive\n");
    return 2;
  }
  const std::vector<Shape> shapes = parse_shapes(argv[4]);
  void* h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "blas-peers: %s\n", dlerror());
    return 2;
  }
  const auto sgemm = reinterpret_cast<sgemm_t>(dlsym(h, "sgemm_"));
  if (!sgemm) {
    fprintf(stderr, "blas-peers: %s has no sgemm_\n", lib);
    return 2;
  }
  // Each library's own thread setting (OpenMP builds also read OMP_NUM_THREADS, which the
  // caller sets); what the library says of its build goes into the first line.
  std::string config;
  if (auto f = reinterpret_cast<void (*)(int)>(dlsym(h, "openblas_set_num_threads"))) f(threads);
  if (auto f = reinterpret_cast<void (*)(long)>(dlsym(h, "bli_thread_set_num_threads"))) f(threads);
  if (auto f = reinterpret_cast<char* (*)()>(dlsym(h, "openblas_get_config"))) config = f();
  if (auto q = reinterpret_cast<int (*)()>(dlsym(h, "bli_arch_query_id"))) {
    if (auto s = reinterpret_cast<const char* (*)(int)>(dlsym(h, "bli_arch_string"))) config = std::string("BLIS, sub-configuration ") + s(q());
  }
  printf("{\"library\":%s,\"config\":%s}\n", json_string(lib).c_str(), json_string(config).c_str());
  fflush(stdout);

  srand(1);
  for (const Shape& s : shapes) {
    std::vector<float> A(static_cast<size_t>(s.m) * s.k), B(static_cast<size_t>(s.k) * s.n), C(static_cast<size_t>(s.m) * s.n);
    for (float& x : A) x = rand() / static_cast<float>(RAND_MAX) - 0.5f;
    for (float& x : B) x = rand() / static_cast<float>(RAND_MAX) - 0.5f;
    const float one = 1, zero = 0;
    // Stored as lipbench's shapes are: A m x k (k x m when transposed), B k x n (n x k).
    const int lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n, ldc = s.n;
    const auto call = [&] {
      sgemm(s.tb ? "T" : "N", s.ta ? "T" : "N", &s.n, &s.m, &s.k, &one, B.data(), &ldb, A.data(), &lda, &zero, C.data(), &ldc);
    };
    call();
    for (int e = 0; e < 16; e++) {
      const int i = (e * 7919) % s.m, j = (e * 104729) % s.n;
      double ref = 0, mag = 0;
      for (int p = 0; p < s.k; p++) {
        const double a = s.ta ? A[static_cast<size_t>(p) * lda + i] : A[static_cast<size_t>(i) * lda + p];
        const double b = s.tb ? B[static_cast<size_t>(j) * ldb + p] : B[static_cast<size_t>(p) * ldb + j];
        ref += a * b;
        mag += std::fabs(a * b);
      }
      const double got = C[static_cast<size_t>(i) * ldc + j];
      // k float roundings at most (a blocked sum has fewer): a wrong operand or transpose
      // misses by about sqrt(k) times an entry, far outside this.
      if (!(std::fabs(got - ref) <= 1e-7 * s.k * mag + 1e-6)) {
        fprintf(stderr, "blas-peers: %s: %dx%d . %dx%d (ta %d, tb %d): C[%d][%d] = %g, expected %g\n", lib, s.m, s.k, s.k, s.n, s.ta, s.tb, i, j, got, ref);
        return 3;
      }
    }
    // Enough calls per sample to last ~50 ms (rounded up, as bench/gemm.ts does).
    double t = wall();
    call();
    const int inner = std::max(1, static_cast<int>(std::ceil(0.05 / std::max(wall() - t, 1e-5))));
    const double flops = 2.0 * s.m * s.n * s.k * inner;
    std::string gf = "[", ratio = "[";
    for (int r = 0; r < reps; r++) {
      const double before = fma_rate(threads);
      const double t0 = threads == 1 ? cpu() : wall();
      for (int i = 0; i < inner; i++) call();
      const double g = flops / ((threads == 1 ? cpu() : wall()) - t0) / 1e9;
      const double after = fma_rate(threads);
      char buf[64];
      snprintf(buf, sizeof buf, "%s%.3f", r ? "," : "", g);
      gf += buf;
      snprintf(buf, sizeof buf, "%s%.4f", r ? "," : "", g / std::max(before, after));
      ratio += buf;
    }
    printf("{\"m\":%d,\"k\":%d,\"n\":%d,\"ta\":%d,\"tb\":%d,\"gflops\":%s],\"ratios\":%s]}\n", s.m, s.k, s.n, s.ta, s.tb, gf.c_str(), ratio.c_str());
    fflush(stdout);
  }
  return 0;
}
