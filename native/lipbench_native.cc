// lipbench native addon: packed SGEMM, matrix-vector products and implicit-im2col
// convolutions that read and write the tfjs wasm backend's heap in place (a Float32Array
// over the whole wasm memory plus element offsets), so the O(n^3) work runs here; of the
// elementwise ops only the ones big enough for a second core (Adam, MaxMin, large
// add/sub/mul/clip) do, the rest stay in wasm.
//
// Built with baseline x86-64 flags; the micro-kernels carry their own target attributes
// and one is picked at load time with __builtin_cpu_supports (AVX-512F, AVX2+FMA, or
// portable C++; AVX2 on AMD family 19h, see avx2_preferred). Large problems are split over
// a small persistent thread pool.
#include <node_api.h>

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <cstdio>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define LB_X86 1
#endif

namespace {

// ---------------------------------------------------------------------------------------
// Micro-kernels: C[MR x NR] (+)= Ap[kc x MR]^T * Bp[kc x NR]. beta == 0 stores without
// reading C (it may hold garbage); beta == 1 accumulates; anything else scales C first.

using KernFn = void (*)(int kc, const float* A, const float* B, float* C, long ldc, float beta);

struct Isa {
  const char* name;
  int mr;
  int nr;
  KernFn kern;
  // edge[r] computes only the first r < mr rows of a tile (A still packed mr wide), so a
  // batch of 128 rows on a 6-row kernel does not run 6 rows' FMAs for its last 2; null
  // where an ISA has none (the full kernel then runs into a scratch tile).
  KernFn edge[16];
  // pair[r] computes r rows of two adjacent full panels in one call (kern_avx2's P = 2),
  // for the row counts whose edge kernel has too few accumulator chains; null otherwise.
  KernFn pair[3];
};

static void kern_generic(int kc, const float* A, const float* B, float* C, long ldc, float beta) {
  constexpr int MR = 4, NR = 16;
  float acc[MR][NR] = {};
  for (int p = 0; p < kc; p++) {
    for (int i = 0; i < MR; i++) {
      const float a = A[i];
      for (int j = 0; j < NR; j++) acc[i][j] += a * B[j];
    }
    A += MR;
    B += NR;
  }
  for (int i = 0; i < MR; i++) {
    float* c = C + i * ldc;
    if (beta == 0.f) for (int j = 0; j < NR; j++) c[j] = acc[i][j];
    else if (beta == 1.f) for (int j = 0; j < NR; j++) c[j] += acc[i][j];
    else for (int j = 0; j < NR; j++) c[j] = beta * c[j] + acc[i][j];
  }
}

#ifdef LB_X86
// R rows of a tile packed MR wide: R == MR is the full kernel, R < MR an edge kernel. Each
// element is one FMA chain over k in the same order whatever R is, so the bits agree.
// P = 2 runs two adjacent B panels at once (the second kc * 16 floats on, its C 16 columns
// on): an edge of 1 or 2 rows has only 2R accumulator chains per panel (4R with P = 2),
// fewer than this core's FMA latency x pipes (4 x 2), so one panel at a time leaves FMA
// slots idle.
template <int R, int MR = 6, int P = 1>
__attribute__((target("avx2,fma"))) static void kern_avx2(int kc, const float* A, const float* B, float* C, long ldc, float beta) {
  static_assert(P == 1 || P == 2, "one or two panels");
  __m256 c0[R], c1[R], d0[R], d1[R];
  const float* B2 = B + 16L * kc;
#pragma GCC unroll 8
  for (int i = 0; i < R; i++) {
    c0[i] = _mm256_setzero_ps();
    c1[i] = _mm256_setzero_ps();
    d0[i] = _mm256_setzero_ps();
    d1[i] = _mm256_setzero_ps();
    // The tile's 16 floats a row may straddle two lines (32 floats, three); fetch them
    // while the k loop runs.
    _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc), _MM_HINT_T0);
    if constexpr (P == 2) _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc + 16), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc + 16 * P - 1), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (int p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_load_ps(B);
    const __m256 b1 = _mm256_load_ps(B + 8);
    __m256 b2 = b0, b3 = b1;
    if constexpr (P == 2) {
      b2 = _mm256_load_ps(B2);
      b3 = _mm256_load_ps(B2 + 8);
      B2 += 16;
    }
#pragma GCC unroll 8
    for (int i = 0; i < R; i++) {
      const __m256 a = _mm256_broadcast_ss(A + i);
      c0[i] = _mm256_fmadd_ps(a, b0, c0[i]);
      c1[i] = _mm256_fmadd_ps(a, b1, c1[i]);
      if constexpr (P == 2) {
        d0[i] = _mm256_fmadd_ps(a, b2, d0[i]);
        d1[i] = _mm256_fmadd_ps(a, b3, d1[i]);
      }
    }
    A += MR;
    B += 16;
  }
  const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 8
  for (int i = 0; i < R; i++) {
#pragma GCC unroll 2
    for (int q = 0; q < P; q++) {
      float* c = C + i * ldc + 16 * q;
      const __m256 lo = q == 0 ? c0[i] : d0[i], hi = q == 0 ? c1[i] : d1[i];
      if (beta == 0.f) {
        _mm256_storeu_ps(c, lo);
        _mm256_storeu_ps(c + 8, hi);
      } else if (beta == 1.f) {
        _mm256_storeu_ps(c, _mm256_add_ps(_mm256_loadu_ps(c), lo));
        _mm256_storeu_ps(c + 8, _mm256_add_ps(_mm256_loadu_ps(c + 8), hi));
      } else {
        _mm256_storeu_ps(c, _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), lo));
        _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), hi));
      }
    }
  }
}

template <int R, int MR = R>
__attribute__((target("avx512f"))) static void kern_avx512(int kc, const float* A, const float* B, float* C, long ldc, float beta) {
  __m512 c0[R], c1[R];
#pragma GCC unroll 16
  for (int i = 0; i < R; i++) { c0[i] = _mm512_setzero_ps(); c1[i] = _mm512_setzero_ps(); }
  for (int p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_load_ps(B);
    const __m512 b1 = _mm512_load_ps(B + 16);
    _mm_prefetch(reinterpret_cast<const char*>(B + 32 * 8), _MM_HINT_T0);
#pragma GCC unroll 16
    for (int i = 0; i < R; i++) {
      const __m512 a = _mm512_set1_ps(A[i]);
      c0[i] = _mm512_fmadd_ps(a, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(a, b1, c1[i]);
    }
    A += MR;
    B += 32;
  }
  const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 16
  for (int i = 0; i < R; i++) {
    float* c = C + i * ldc;
    if (beta == 0.f) {
      _mm512_storeu_ps(c, c0[i]);
      _mm512_storeu_ps(c + 16, c1[i]);
    } else if (beta == 1.f) {
      _mm512_storeu_ps(c, _mm512_add_ps(_mm512_loadu_ps(c), c0[i]));
      _mm512_storeu_ps(c + 16, _mm512_add_ps(_mm512_loadu_ps(c + 16), c1[i]));
    } else {
      _mm512_storeu_ps(c, _mm512_fmadd_ps(vb, _mm512_loadu_ps(c), c0[i]));
      _mm512_storeu_ps(c + 16, _mm512_fmadd_ps(vb, _mm512_loadu_ps(c + 16), c1[i]));
    }
  }
}
#endif

#ifdef LB_X86
/**
 * The core's FMA throughput with no memory traffic: 12 independent accumulator chains
 * (more than latency x pipes on Zen 4 and Skylake), run for `iters` iterations. Returns
 * the flops done; the caller times it. This is the yardstick the GEMM's "% of peak" uses
 * besides the nominal-clock figure, because the real clock (boost, contention) differs.
 */
#define LB_FMA_BURN(NAME, TARGET, V, FMA, SET, LANES)                                  \
  __attribute__((target(TARGET))) double NAME(long iters) {                            \
    V acc[12];                                                                         \
    for (int i = 0; i < 12; i++) acc[i] = SET(1.f + i * 1e-3f);                        \
    const V a = SET(0.999999f), b = SET(1e-7f);                                        \
    for (long it = 0; it < iters; it++) {                                              \
      _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) acc[i] = FMA(acc[i], a, b); \
    }                                                                                  \
    V s = acc[0];                                                                      \
    for (int i = 1; i < 12; i++) s = FMA(s, a, acc[i]);                                \
    float out[LANES];                                                                  \
    std::memcpy(out, &s, sizeof out);                                                  \
    volatile float sink = out[0];                                                      \
    (void)sink;                                                                        \
    return 12.0 * iters * 2 * LANES;                                                   \
  }
LB_FMA_BURN(fma_burn_avx2, "avx2,fma", __m256, _mm256_fmadd_ps, _mm256_set1_ps, 8)
LB_FMA_BURN(fma_burn_avx512, "avx512f", __m512, _mm512_fmadd_ps, _mm512_set1_ps, 16)
#undef LB_FMA_BURN
#endif

#ifndef LB_AVX512_MR
#define LB_AVX512_MR 14
#endif

/**
 * The best micro-kernel this CPU runs, capped at `force` (avx512 > avx2 > generic) when it
 * names one; LIPBENCH_NATIVE_ISA=avx2 on an AVX-512 machine measures the AVX2 path.
 */
#ifdef LB_X86
/**
 * AMD family 19h (Zen 3 and Zen 4): Zen 4 runs a 512-bit FMA as two 256-bit halves, and on
 * the 2-core Zen 4 VM the AVX2 kernel was 5-12% faster on one thread (1024³ 107 against 95
 * GFLOP/s) and as fast on two. Both kernels give the same bits (one FMA per k in the same
 * order; test/native-kernels.test.ts), so the choice changes speed only.
 */
bool avx2_preferred() {
  unsigned a, b, c, d;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return false;
  const bool amd = b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163;  // "AuthenticAMD"
  if (!amd || !__get_cpuid(1, &a, &b, &c, &d)) return false;
  const unsigned base = (a >> 8) & 0xf;
  const unsigned family = base == 0xf ? base + ((a >> 20) & 0xff) : base;
  return family == 0x19;
}
#endif

template <class Make, int... r>
void fill_edges(Isa& isa, Make make, std::integer_sequence<int, r...>) {
  ((isa.edge[r + 1] = make(std::integral_constant<int, r + 1>{})), ...);
}

/** isa with edge[r] = make(integral_constant<r>) for r = 1 .. MR-1. */
template <int MR, class Make>
Isa with_edges(Isa isa, Make make) {
  static_assert(MR <= 16, "edge[] holds 16 row counts");
  fill_edges(isa, make, std::make_integer_sequence<int, MR - 1>{});
  return isa;
}

Isa pick_isa(const std::string& f) {
#ifdef LB_X86
  __builtin_cpu_init();
  const bool want512 = f == "avx512" || (f.empty() && !avx2_preferred());
  if (want512 && __builtin_cpu_supports("avx512f")) {
    return with_edges<LB_AVX512_MR>({"avx512", LB_AVX512_MR, 32, kern_avx512<LB_AVX512_MR>, {}}, [](auto r) {
      return kern_avx512<decltype(r)::value, LB_AVX512_MR>;
    });
  }
  if ((f.empty() || f == "avx512" || f == "avx2") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    Isa isa = with_edges<6>({"avx2", 6, 16, kern_avx2<6>, {}, {}}, [](auto r) { return kern_avx2<decltype(r)::value, 6>; });
    isa.pair[1] = kern_avx2<1, 6, 2>;
    isa.pair[2] = kern_avx2<2, 6, 2>;
    return isa;
  }
#endif
  return {"generic", 4, 16, kern_generic, {}};
}

Isa detect_isa() {
  const char* force = std::getenv("LIPBENCH_NATIVE_ISA");
  return pick_isa(force ? force : "");
}

Isa g_isa;

// ---------------------------------------------------------------------------------------
// Thread pool: worker threads spin for SPIN_US after a job (training steps issue GEMMs a
// few hundred microseconds apart), then sleep on a condition variable. The caller takes part as thread 0. Jobs pull
// work items from a shared counter, and the caller never waits for a worker that has not
// joined yet: on a busy machine a descheduled worker simply misses the job.

// How long an idle worker spins before it sleeps. Waking a sleeping worker takes long
// enough that it missed 15% of the jobs of an MLP training step (784-256-256-10, batch
// 128) with a 100 us spin; 1 ms made those steps 3% faster. A spinning worker burns its
// core meanwhile, so this stays a few GEMMs long.
#ifndef LB_SPIN_US
#define LB_SPIN_US 1000
#endif
constexpr long SPIN_US = LB_SPIN_US;

class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; i++) threads_.emplace_back([this, i] { loop(i + 1); });
    for (auto& t : threads_) t.detach();  // never joined: the process may exit at any time
  }
  int size() const { return static_cast<int>(threads_.size()) + 1; }
  /** Jobs started, and worker joins: their ratio shows how often the workers made it in time. */
  uint64_t jobs() const { return gen_.load(std::memory_order_relaxed); }
  uint64_t joins() const { return joined_.load(std::memory_order_relaxed); }

  /** Runs fn(tid) on the caller (tid 0) and on up to n-1 workers that join in time. */
  void run(int n, const std::function<void(int)>& fn) {
    n = std::min(n, size());
    if (n <= 1) { fn(0); return; }
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &fn;
      limit_ = n;
      closed_ = false;
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    fn(0);
    {
      std::lock_guard<std::mutex> lk(mu_);
      closed_ = true;
    }
    // A worker preempted mid-item keeps us here: after a short spin, give the core away.
    for (int spin = 0; active_.load(std::memory_order_acquire) != 0; spin++) {
      if (spin < 2000) pause();
      else std::this_thread::yield();
    }
  }

 private:
  static void pause() {
#ifdef LB_X86
    _mm_pause();
#endif
  }
  void loop(int id) {
    uint64_t seen = 0;
    for (;;) {
      uint64_t g = gen_.load(std::memory_order_acquire);
      // Spin by the clock, not by a count: a pause takes 25 ns on Zen 4 and 40 on recent
      // Intel cores. SPIN_US covers the gaps between a training step's GEMMs.
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(SPIN_US);
      for (int spin = 1; g == seen; spin++) {
        pause();
        g = gen_.load(std::memory_order_acquire);
        if (spin % 64 == 0 && std::chrono::steady_clock::now() > until) break;
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return gen_.load(std::memory_order_acquire) != seen; });
      }
      const std::function<void(int)>* job = nullptr;
      {
        std::lock_guard<std::mutex> lk(mu_);
        seen = gen_.load(std::memory_order_acquire);
        if (!closed_ && id < limit_) {
          job = job_;
          active_.fetch_add(1, std::memory_order_acq_rel);
        }
      }
      if (job) {
        joined_.fetch_add(1, std::memory_order_relaxed);
        (*job)(id);
        active_.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void(int)>* job_ = nullptr;
  int limit_ = 0;
  bool closed_ = true;
  std::atomic<uint64_t> gen_{0};
  std::atomic<int> active_{0};
  std::atomic<uint64_t> joined_{0};
};

Pool* g_pool = nullptr;
int g_threads = 1;

/**
 * Threads for one op of `flops`: at least ~2 MFLOP (tens of microseconds) per thread, so
 * a small GEMM on a 64-core machine wakes a few workers instead of all of them; below
 * 4 MFLOP the hand-off costs more than it saves and the caller works alone.
 */
int threads_for(double flops) {
  return flops < 4e6 ? 1 : static_cast<int>(std::min<double>(g_threads, flops / 2e6));
}

// ---------------------------------------------------------------------------------------
// Thread count: the CPUs this process may actually use. hardware_concurrency() counts the
// host's CPUs, but a container or `taskset` grants fewer (affinity mask) and a CFS quota
// may cap the time; more threads than that only preempt one another mid-GEMM.

constexpr int kMaxThreads = 256;

std::string read_text(const std::string& file) {
  std::string out;
  if (FILE* f = std::fopen(file.c_str(), "r")) {
    char buf[512];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

/** CPUs granted by quota/period microseconds, rounded up; 0 when unlimited or unparsable. */
int quota_cpus(const std::string& quota, const std::string& period) {
  char* end = nullptr;
  const double q = std::strtod(quota.c_str(), &end);
  if (end == quota.c_str() || q <= 0) return 0;  // "max", "-1" (v1 unlimited) or garbage
  const double p = std::strtod(period.c_str(), &end);
  if (end == period.c_str() || p <= 0) return 0;
  const double cpus = std::ceil(q / p);
  return cpus >= kMaxThreads ? kMaxThreads : std::max(1, static_cast<int>(cpus));
}

/**
 * The tightest CFS quota over this process's cgroup and its ancestors, in CPUs (0 = none).
 * `root` is the cgroup mount (/sys/fs/cgroup), `self` the text of /proc/self/cgroup. The
 * walk goes up to the mount itself because in a container the path in /proc/self/cgroup
 * is often the host's while the mount already shows the container's own cgroup.
 */
int cgroup_cpu_limit(const std::string& root, const std::string& self) {
  int best = 0;
  auto take = [&](int cpus) { if (cpus > 0 && (best == 0 || cpus < best)) best = cpus; };
  auto walk = [&](const std::string& base, std::string rel, const auto& limitAt) {
    for (;;) {
      take(limitAt(base + rel));
      if (rel.empty() || rel == "/") break;
      const size_t slash = rel.find_last_of('/');
      rel = slash == std::string::npos ? "" : rel.substr(0, slash);
    }
  };
  size_t pos = 0;
  while (pos < self.size()) {
    size_t nl = self.find('\n', pos);
    if (nl == std::string::npos) nl = self.size();
    const std::string line = self.substr(pos, nl - pos);
    pos = nl + 1;
    const size_t c1 = line.find(':'), c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    const std::string ctrls = line.substr(c1 + 1, c2 - c1 - 1), path = line.substr(c2 + 1);
    if (ctrls.empty()) {  // cgroup v2: "0::/path", limit in cpu.max as "<quota|max> <period>"
      walk(root, path, [](const std::string& dir) {
        const std::string t = read_text(dir + "/cpu.max");
        const size_t sp = t.find(' ');
        return sp == std::string::npos ? 0 : quota_cpus(t.substr(0, sp), t.substr(sp + 1));
      });
      continue;
    }
    bool cpu = false;  // v1: the hierarchy whose controller list holds exactly "cpu"
    for (size_t a = 0; a <= ctrls.size();) {
      size_t b = ctrls.find(',', a);
      if (b == std::string::npos) b = ctrls.size();
      if (ctrls.compare(a, b - a, "cpu") == 0) cpu = true;
      a = b + 1;
    }
    if (!cpu) continue;
    for (const char* mount : {"/cpu", "/cpu,cpuacct", "/cpuacct,cpu"}) {
      walk(root + mount, path, [](const std::string& dir) {
        return quota_cpus(read_text(dir + "/cpu.cfs_quota_us"), read_text(dir + "/cpu.cfs_period_us"));
      });
    }
  }
  return best;
}

/**
 * Threads for the pool: LIPBENCH_NATIVE_THREADS when it is a positive integer, otherwise
 * the CPUs in the affinity mask (`affinity`, or `hw` when the mask is unknown), capped by
 * the cgroup quota in CPUs (0 = none).
 */
int plan_threads(int affinity, int hw, int quota, const char* env) {
  if (env && *env) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (*end == '\0' && v >= 1) return static_cast<int>(std::min<long>(v, kMaxThreads));
  }
  int n = affinity > 0 ? affinity : (hw > 0 ? hw : 1);
  if (quota > 0) n = std::min(n, quota);
  return std::max(1, std::min(n, kMaxThreads));
}

int affinity_cpus() {
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
  return 0;
}

struct ThreadPlan {
  int threads, affinity, quota;
};

ThreadPlan detect_threads() {
  const int affinity = affinity_cpus();
  const int quota = cgroup_cpu_limit("/sys/fs/cgroup", read_text("/proc/self/cgroup"));
  const int hw = static_cast<int>(std::thread::hardware_concurrency());
  return {plan_threads(affinity, hw, quota, std::getenv("LIPBENCH_NATIVE_THREADS")), affinity, quota};
}

ThreadPlan g_plan{1, 0, 0};

/** fn(tid, item) for item in [0, items), items pulled dynamically by up to nt threads. */
template <class F>
void run_items(int nt, int items, F&& fn) {
  if (nt <= 1 || items <= 1) {
    for (int i = 0; i < items; i++) fn(0, i);
    return;
  }
  std::atomic<int> next{0};
  g_pool->run(std::min(nt, items), [&](int tid) {
    for (int i; (i = next.fetch_add(1, std::memory_order_relaxed)) < items;) fn(tid, i);
  });
}

// ---------------------------------------------------------------------------------------
// Blocking parameters and per-thread packing buffers.

constexpr int KC = 256;

/**
 * The k-block length for a contraction of `k`: at most KC, split evenly, so K = 784 runs
 * as 4 x 196 rather than 3 x 256 + 16 (a 16-long block pays a full read and write of C
 * for 32 flops per element).
 */
inline int balanced_kc(int k) {
  const int blocks = std::max(1, (k + KC - 1) / KC);
  return (k + blocks - 1) / blocks;
}
// Rows of A per block, a multiple of MR (4, 6, 14): 336 x KC floats (344 KB) stay in a
// 1 MB L2 beside the B panels. 336 rather than 252 keeps a batch of 256 in one row block,
// whose items pack their own B panels just before use instead of all of B in a shared
// pass (4 MB for 256x1024x1024): that shape 3-8% faster in three interleaved A/B runs,
// the others between 6% faster and 4% slower (noise), the same bits.
constexpr int MC = 336;
constexpr int NC = 3072;  // multiple of 16 and 32
// A row block of C up to this many floats (256 KB) stays in L2 across its k blocks, beside
// a super-block of packed B of up to B_L2_FLOATS (512 KB) (gemm_block).
constexpr long C_L2_FLOATS = 1L << 16;
constexpr long B_L2_FLOATS = 1L << 17;
// Floats of packed B per super-block of k blocks (4 MiB), sized for the last-level cache.
constexpr long B_BUDGET = 1L << 20;

struct Workspace {
  float* a = nullptr;
  float* b = nullptr;
  float* c = nullptr;  // scratch: col2im's (per thread), a split contraction's partial products (g_shared)
  size_t ca = 0, cb = 0, cc = 0;
  static float* grow(float*& p, size_t& cap, size_t need) {
    if (need > cap) {
      // Emptied first, so that a failed allocation leaves no stale capacity for the next
      // call to trust (it once kept the new size with a null pointer).
      std::free(p);
      p = nullptr;
      cap = 0;
      const size_t c = (need + 4095) & ~size_t(4095);
      p = static_cast<float*>(std::aligned_alloc(64, c * sizeof(float)));
      if (!p) throw std::bad_alloc();
      cap = c;
    }
    return p;
  }
};

Workspace& workspace() {
  static thread_local Workspace ws;
  return ws;
}

#ifdef LB_X86
/**
 * dst[p*NR + j] = b[(j0 + j)*ldb + p0 + p] for a full NR-wide panel (NR a multiple of 8):
 * 8x8 register transposes instead of one strided store per element (the input gradient
 * dY*W^T packs W this way for every k block).
 */
/** Transposes the 8x8 block whose rows are 8 floats at rows[0..7]; r[q] = column q. */
__attribute__((target("avx2"), always_inline)) inline void transpose8(const float* const rows[8], __m256 out[8]) {
  __m256 r0 = _mm256_loadu_ps(rows[0]), r1 = _mm256_loadu_ps(rows[1]), r2 = _mm256_loadu_ps(rows[2]), r3 = _mm256_loadu_ps(rows[3]);
  __m256 r4 = _mm256_loadu_ps(rows[4]), r5 = _mm256_loadu_ps(rows[5]), r6 = _mm256_loadu_ps(rows[6]), r7 = _mm256_loadu_ps(rows[7]);
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5), t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE), u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      r0 = _mm256_permute2f128_ps(u0, u4, 0x20); r1 = _mm256_permute2f128_ps(u1, u5, 0x20);
      r2 = _mm256_permute2f128_ps(u2, u6, 0x20); r3 = _mm256_permute2f128_ps(u3, u7, 0x20);
      r4 = _mm256_permute2f128_ps(u0, u4, 0x31); r5 = _mm256_permute2f128_ps(u1, u5, 0x31);
      r6 = _mm256_permute2f128_ps(u2, u6, 0x31); r7 = _mm256_permute2f128_ps(u3, u7, 0x31);
  out[0] = r0; out[1] = r1; out[2] = r2; out[3] = r3; out[4] = r4; out[5] = r5; out[6] = r6; out[7] = r7;
}

__attribute__((target("avx2"))) void pack_bt_8x8(float* dst, const float* b, long ldb, int p0, int kc, int j0, int NR) {
  int p = 0;
  for (; p + 8 <= kc; p += 8) {
    for (int j = 0; j < NR; j += 8) {
      const float* s = b + static_cast<long>(j0 + j) * ldb + p0 + p;
      const float* rows[8] = {s, s + ldb, s + 2 * ldb, s + 3 * ldb, s + 4 * ldb, s + 5 * ldb, s + 6 * ldb, s + 7 * ldb};
      __m256 c[8];
      transpose8(rows, c);
      float* d = dst + static_cast<long>(p) * NR + j;
      for (int q = 0; q < 8; q++) _mm256_storeu_ps(d + q * NR, c[q]);
    }
  }
  for (; p < kc; p++)
    for (int j = 0; j < NR; j++) dst[static_cast<long>(p) * NR + j] = b[static_cast<long>(j0 + j) * ldb + p0 + p];
}

/**
 * d[q*MR + i] = alpha * rows[min(i, MR-1)][q] for q in whole 8-blocks of [0, n), 4 <= MR <= 8,
 * by 8x8 register transposes; returns how many q it did (the caller copies the rest). Each
 * 8-float store spills 8 - MR lanes into the next k-row, which a later store overwrites
 * (with MR >= 4 the spill never reaches past the next k-row); when `panelEnd` (these rows
 * end the panel) the last k-row is stored lane by lane so nothing spills past the panel.
 * alpha = 1 multiplies exactly, so a plain copy keeps its bits. With `next` (the first of
 * `nextRows` rows, `ld` floats apart, that the caller reads after these), a line of each is
 * prefetched per 16 floats done, so that the next panel's rows are on their way while
 * this one is copied.
 */
__attribute__((target("avx2"))) int transpose_rows_8(float* d, const float* const* src, int n, int MR, bool panelEnd, float alpha,
                                                     const float* next = nullptr, int nextRows = 0, long ld = 0) {
  const float* rows0[8];
  for (int i = 0; i < 8; i++) rows0[i] = src[std::min(i, MR - 1)];
  const __m256 va = _mm256_set1_ps(alpha);
  int q = 0;
  for (; q + 8 <= n; q += 8) {
    const float* rows[8];
    for (int i = 0; i < 8; i++) rows[i] = rows0[i] + q;
    if ((q & 15) == 0)
      for (int i = 0; i < nextRows; i++) _mm_prefetch(reinterpret_cast<const char*>(next + i * ld + q), _MM_HINT_T0);
    __m256 c[8];
    transpose8(rows, c);
    float* o = d + static_cast<long>(q) * MR;
    const int full = panelEnd && q + 8 == n ? 7 : 8;
    for (int k = 0; k < full; k++) _mm256_storeu_ps(o + k * MR, _mm256_mul_ps(va, c[k]));
    if (full == 7) {
      alignas(32) float last[8];
      _mm256_store_ps(last, _mm256_mul_ps(va, c[7]));
      for (int i = 0; i < MR; i++) o[7 * MR + i] = last[i];
    }
  }
  return q;
}

/**
 * dst[p*MR + i] = alpha * a[(i0 + i)*lda + p0 + p] for one full MR-row panel, 4 <= MR <= 8
 * (the forward pass packs row-major activations this way), prefetching the `nextRows`
 * rows after it. Rows lda apart are short streams that the hardware prefetcher barely
 * follows: on one thread 1024³ packed A in 886-950 µs a call without this and 665-688
 * with it (instrumented, three alternating runs).
 */
__attribute__((target("avx2"))) void pack_a_8x8(float* dst, const float* a, long lda, int i0, int p0, int kc, float alpha, int MR,
                                                int nextRows) {
  const float* rows[8] = {};  // [MR, 8) unread (transpose_rows_8 repeats row MR-1); zeroed for -Wmaybe-uninitialized
  for (int i = 0; i < MR; i++) rows[i] = a + static_cast<long>(i0 + i) * lda + p0;
  const float* next = nextRows > 0 ? a + static_cast<long>(i0 + MR) * lda + p0 : nullptr;
  for (int p = transpose_rows_8(dst, rows, kc, MR, true, alpha, next, nextRows, lda); p < kc; p++)
    for (int i = 0; i < MR; i++) dst[static_cast<long>(p) * MR + i] = alpha * rows[i][p];
}

#endif

bool g_has_avx2 = false;  // set at load: the 8x8 transposing pack needs AVX2 whatever kernel runs

// ---------------------------------------------------------------------------------------
// Operand accessors. Each packs a block of the logical left operand into MR-row panels:
// dst[panel][p][i] = alpha * A(i0 + panel*MR + i, p0 + p), zero-padded past m.

struct DenseA {
  const float* a;
  long lda;
  bool trans;  // logical A(i, p) = trans ? a[p*lda + i] : a[i*lda + p]
  /**
   * A transposed A, row by row: each stored row (one p) is read once, contiguously, and
   * scattered MR floats into each panel. Panel by panel, the same copy read MR floats from
   * each of kc rows lda apart: on the Zen 3 VM (interleaved A/B) 1024³ with transposeA took
   * 1.06x the time on one thread, and 128x784·784x512 with transposeA 1.2x on two.
   * Inlined with R a constant for each kernel's MR, so the inner copy has a fixed length.
   */
  __attribute__((always_inline)) inline void pack_trans(float* dst, int i0, int m, int p0, int kc, float alpha, int R) const {
    for (int p = 0; p < kc; p++) {
      const float* src = a + static_cast<long>(p0 + p) * lda + i0;
      float* d = dst + static_cast<long>(p) * R;
      int ip = 0;
      for (; ip + R <= m; ip += R, d += static_cast<long>(R) * kc) {
        for (int i = 0; i < R; i++) d[i] = alpha * src[ip + i];
      }
      if (ip < m) {
        int i = 0;
        for (; i < m - ip; i++) d[i] = alpha * src[ip + i];
        for (; i < R; i++) d[i] = 0.f;
      }
    }
  }
  void pack(float* dst, int i0, int m, int p0, int kc, float alpha, int MR) const {
    if (trans) {
      switch (MR) {
        case 4: return pack_trans(dst, i0, m, p0, kc, alpha, 4);
        case 6: return pack_trans(dst, i0, m, p0, kc, alpha, 6);
#if LB_AVX512_MR != 4 && LB_AVX512_MR != 6
        case LB_AVX512_MR: return pack_trans(dst, i0, m, p0, kc, alpha, LB_AVX512_MR);
#endif
        default: return pack_trans(dst, i0, m, p0, kc, alpha, MR);
      }
    }
    for (int ip = 0; ip < m; ip += MR) {
      const int mr = std::min(MR, m - ip);
#ifdef LB_X86
      if (mr == MR && MR >= 4 && MR <= 8 && g_has_avx2) {
        pack_a_8x8(dst, a, lda, i0 + ip, p0, kc, alpha, MR, std::min(MR, m - ip - MR));
        dst += static_cast<long>(MR) * kc;
        continue;
      }
#endif
      for (int i = 0; i < mr; i++) {
        const float* src = a + static_cast<long>(i0 + ip + i) * lda + p0;
        for (int p = 0; p < kc; p++) dst[p * MR + i] = alpha * src[p];
      }
      for (int i = mr; i < MR; i++) for (int p = 0; p < kc; p++) dst[p * MR + i] = 0.f;
      dst += static_cast<long>(MR) * kc;
    }
  }
};

// Widest row range (floats) whose next rows DenseB::pack prefetches by hand: 16 lines.
constexpr int PREFETCH_ROW_FLOATS = 256;

struct DenseB {
  const float* b;
  long ldb;
  bool trans;  // logical B(p, j) = trans ? b[j*ldb + p] : b[p*ldb + j]
  void pack(float* dst, int p0, int kc, int j0, int n, int NR) const {
    if (!trans) {
      // Row by row: each row of B is read once, contiguously, and scattered into the
      // panels. Strip by strip (kc rows of NR floats at a stride of ldb) the same copy
      // ran 5-10% of the whole GEMM slower on the forward shapes.
      for (int p = 0; p < kc; p++) {
        const float* src = b + static_cast<long>(p0 + p) * ldb + j0;
        float* d = dst + static_cast<long>(p) * NR;
        int jp = 0;
#ifdef LB_X86
        // A claimed range of columns (gemm_cols_claimed: at most CLAIM_MAX panels, 512
        // bytes) is a few lines of each row, and the next row is ldb floats on, often in
        // another 4 KB page, where the hardware's stream prefetch stops: fetch the row 4
        // ahead by hand, every line the range touches. NTA, as each source line is read
        // once. Wider rows (one thread's blocked loop, a row split's whole B) are long
        // streams the hardware follows, and 4 of them ahead would overrun L1: left alone.
        // A small gain: on the Zen 3 VM, 2 threads, interleaved A/B (five runs of 15-21
        // pairs), the 7 shapes that pack B this way took a median 0.975-0.989x the time per
        // run (29 of 35 shape-runs under 1, range 0.93-1.005); one thread 0.97-1.02x.
        if (n <= PREFETCH_ROW_FLOATS && p + 4 < kc) {
          const char* ahead = reinterpret_cast<const char*>(src + 4 * ldb);
          const char* end = reinterpret_cast<const char*>(src + 4 * ldb + n);
          for (const char* q = reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(ahead) & ~uintptr_t(63)); q < end; q += 64)
            _mm_prefetch(q, _MM_HINT_NTA);
        }
#endif
        // Whole panels by constant-size copies (inlined moves; a memcpy call per 64 bytes
        // cost more than the copy itself).
        if (NR == 16) for (; jp + 16 <= n; jp += 16, d += 16L * kc) std::memcpy(d, src + jp, 16 * sizeof(float));
        if (NR == 32) for (; jp + 32 <= n; jp += 32, d += 32L * kc) std::memcpy(d, src + jp, 32 * sizeof(float));
        for (; jp < n; jp += NR, d += static_cast<long>(NR) * kc) {
          const int nr = std::min(NR, n - jp);
          std::memcpy(d, src + jp, nr * sizeof(float));
          for (int j = nr; j < NR; j++) d[j] = 0.f;
        }
      }
      return;
    }
    for (int jp = 0; jp < n; jp += NR) {
      const int nr = std::min(NR, n - jp);
#ifdef LB_X86
      if (nr == NR && NR % 8 == 0 && g_has_avx2) {
        pack_bt_8x8(dst, b, ldb, p0, kc, j0 + jp, NR);
        dst += static_cast<long>(NR) * kc;
        continue;
      }
#endif
      for (int j = 0; j < nr; j++) {
        const float* src = b + static_cast<long>(j0 + jp + j) * ldb + p0;
        for (int p = 0; p < kc; p++) dst[p * NR + j] = src[p];
      }
      for (int j = nr; j < NR; j++) for (int p = 0; p < kc; p++) dst[p * NR + j] = 0.f;
      dst += static_cast<long>(NR) * kc;
    }
  }
};

/** NHWC convolution geometry. K index k = (ky*kw + kx)*c + ci; pixel = (b*oh + oy)*ow + ox. */
struct ConvGeom {
  int n, h, w, c, kh, kw, oh, ow, sh, sw, pt, pl, dh, dw;
  long pixels() const { return static_cast<long>(n) * oh * ow; }
  long in_size() const { return static_cast<long>(n) * h * w * c; }
  int kdim() const { return kh * kw * c; }
  /** The filter's extent in input pixels, dilation included. */
  int eff_kh() const { return (kh - 1) * dh + 1; }
  int eff_kw() const { return (kw - 1) * dw + 1; }
};

/** Per-K-index lookup: spatial offsets and channel, shared by the gather accessors. */
struct KTable {
  std::vector<int> dy, dx, ci;
  std::vector<float> zero;  // one pixel's worth of zeros, read for taps outside the image
  explicit KTable(const ConvGeom& g) : zero(static_cast<size_t>(g.c), 0.f) {
    const int K = g.kdim();
    dy.resize(K); dx.resize(K); ci.resize(K);
    for (int ky = 0; ky < g.kh; ky++)
      for (int kx = 0; kx < g.kw; kx++)
        for (int c = 0; c < g.c; c++) {
          const int k = (ky * g.kw + kx) * g.c + c;
          dy[k] = ky * g.dh - g.pt;
          dx[k] = kx * g.dw - g.pl;
          ci[k] = c;
        }
  }
};

/**
 * Implicit im2col: A(pixel, k) = x[b, oy*sh + dy[k], ox*sw + dx[k], ci[k]] or 0. A panel is
 * packed tap by tap: one source pointer per pixel row, then a run of channels copied so
 * that each packed k-row of MR values is written contiguously. (alpha is always 1 here.)
 */
struct Im2colA {
  const float* x;
  const ConvGeom* g;
  const KTable* t;
  void pack(float* dst, int i0, int m, int p0, int kc, float /*alpha*/, int MR) const {
    const ConvGeom& G = *g;
    const float* img[32];
    int by[32], bx[32];
    const float* src[32];
    for (int ip = 0; ip < m; ip += MR) {
      const int mr = std::min(MR, m - ip);
      for (int i = 0; i < mr; i++) {
        const long pix = i0 + ip + i;
        const int ox = static_cast<int>(pix % G.ow);
        const long r = pix / G.ow;
        const int oy = static_cast<int>(r % G.oh);
        const int b = static_cast<int>(r / G.oh);
        by[i] = oy * G.sh;
        bx[i] = ox * G.sw;
        img[i] = x + static_cast<long>(b) * G.h * G.w * G.c;
      }
      int p = 0;
      while (p < kc) {
        const int k = p0 + p;
        const int c0 = t->ci[k];
        const int run = std::min(G.c - c0, kc - p);
        const int dy = t->dy[k], dx = t->dx[k];
        for (int i = 0; i < MR; i++) {
          const int iy = i < mr ? by[i] + dy : -1, ix = i < mr ? bx[i] + dx : -1;
          src[i] = (static_cast<unsigned>(iy) < static_cast<unsigned>(G.h) && static_cast<unsigned>(ix) < static_cast<unsigned>(G.w))
              ? img[i] + (static_cast<long>(iy) * G.w + ix) * G.c + c0 : t->zero.data();
        }
        float* d = dst + static_cast<long>(p) * MR;
        int q = 0;
#ifdef LB_X86
        if (run >= 8 && MR >= 4 && MR <= 8 && g_has_avx2) q = transpose_rows_8(d, src, run, MR, p + run == kc, 1.f);
#endif
        for (; q < run; q++) for (int i = 0; i < MR; i++) d[static_cast<long>(q) * MR + i] = src[i][q];
        p += run;
      }
      dst += static_cast<long>(MR) * kc;
    }
  }
};

/**
 * Implicit im2col as a right operand: B(pixel, k), packed into NR-column panels. Within a
 * panel the k range splits into channel runs of single taps, so each pixel's row is a few
 * contiguous copies. Used for the filter gradient dW^T = dy^T * cols.
 */
struct Im2colB {
  const float* x;
  const ConvGeom* g;
  const KTable* t;
  void pack(float* dst, int p0, int kc, int j0, int n, int NR) const {
    const ConvGeom& G = *g;
    struct Seg { int dy, dx, c0, len, j; };
    Seg segs[64];
    for (int jp = 0; jp < n; jp += NR) {
      const int nr = std::min(NR, n - jp);
      int ns = 0;
      for (int j = 0; j < nr;) {
        const int k = j0 + jp + j;
        const int len = std::min(G.c - t->ci[k], nr - j);
        segs[ns++] = {t->dy[k], t->dx[k], t->ci[k], len, j};
        j += len;
      }
      long pix = p0;
      int ox = static_cast<int>(pix % G.ow);
      long r = pix / G.ow;
      int oy = static_cast<int>(r % G.oh);
      int b = static_cast<int>(r / G.oh);
      for (int p = 0; p < kc; p++) {
        float* d = dst + static_cast<long>(p) * NR;
        const int by = oy * G.sh, bx = ox * G.sw;
        const float* img = x + static_cast<long>(b) * G.h * G.w * G.c;
        for (int sidx = 0; sidx < ns; sidx++) {
          const Seg& sg = segs[sidx];
          const int iy = by + sg.dy, ix = bx + sg.dx;
          if (static_cast<unsigned>(iy) < static_cast<unsigned>(G.h) && static_cast<unsigned>(ix) < static_cast<unsigned>(G.w)) {
            const float* sp = img + (static_cast<long>(iy) * G.w + ix) * G.c + sg.c0;
            for (int q = 0; q < sg.len; q++) d[sg.j + q] = sp[q];
          } else {
            for (int q = 0; q < sg.len; q++) d[sg.j + q] = 0.f;
          }
        }
        for (int j = nr; j < NR; j++) d[j] = 0.f;
        if (++ox == G.ow) { ox = 0; if (++oy == G.oh) { oy = 0; b++; } }
      }
      dst += static_cast<long>(NR) * kc;
    }
  }
};

/** Transposed implicit im2col: A(k, pixel), used for the filter gradient cols^T * dy. */
struct Im2colAT {
  const float* x;
  const ConvGeom* g;
  const KTable* t;
  void pack(float* dst, int i0, int m, int p0, int kc, float alpha, int MR) const {
    const ConvGeom& G = *g;
    long pix = p0;
    int ox = static_cast<int>(pix % G.ow);
    long r = pix / G.ow;
    int oy = static_cast<int>(r % G.oh);
    int b = static_cast<int>(r / G.oh);
    const long panel = static_cast<long>(MR) * kc;
    const int panels = (m + MR - 1) / MR;
    for (int p = 0; p < kc; p++) {
      const int by = oy * G.sh, bx = ox * G.sw;
      const float* img = x + static_cast<long>(b) * G.h * G.w * G.c;
      for (int ipn = 0; ipn < panels; ipn++) {
        float* d = dst + ipn * panel + p * MR;
        const int base = i0 + ipn * MR;
        const int mr = std::min(MR, m - ipn * MR);
        for (int i = 0; i < mr; i++) {
          const int k = base + i;
          const int iy = by + t->dy[k], ix = bx + t->dx[k];
          d[i] = (static_cast<unsigned>(iy) < static_cast<unsigned>(G.h) && static_cast<unsigned>(ix) < static_cast<unsigned>(G.w))
              ? alpha * img[(static_cast<long>(iy) * G.w + ix) * G.c + t->ci[k]] : 0.f;
        }
        for (int i = mr; i < MR; i++) d[i] = 0.f;
      }
      if (++ox == G.ow) { ox = 0; if (++oy == G.oh) { oy = 0; b++; } }
    }
  }
};

// ---------------------------------------------------------------------------------------
/** C's mr x nr tile += bias[j], then ReLU when act == 1: after a tile's last k block. */
inline void epilogue(float* c, long ldc, int mr, int nr, const float* bias, int act) {
  for (int i = 0; i < mr; i++) {
    float* ci = c + static_cast<long>(i) * ldc;
    if (bias) for (int j = 0; j < nr; j++) ci[j] += bias[j];
    if (act == 1) for (int j = 0; j < nr; j++) ci[j] = ci[j] > 0.f ? ci[j] : 0.f;
  }
}

/** One MR x NR tile (possibly partial) of C from packed panels, with the epilogue on the last k block. */
inline void compute_tile(const Isa& isa, int kc, const float* ap, const float* bp, float* c, long ldc, int mr, int nr,
                         float b, bool last, const float* bias, int act) {
  const int MR = isa.mr, NR = isa.nr;
  const KernFn kern = mr == MR ? isa.kern : isa.edge[mr] ? isa.edge[mr] : nullptr;
  if (nr == NR && kern) {
    kern(kc, ap, bp, c, ldc, b);
  } else {
    float tmp[16 * 32] __attribute__((aligned(64)));
    (kern ? kern : isa.kern)(kc, ap, bp, tmp, NR, 0.f);
    for (int i = 0; i < mr; i++) {
      float* ci = c + static_cast<long>(i) * ldc;
      const float* ti = tmp + i * NR;
      if (b == 0.f) for (int j = 0; j < nr; j++) ci[j] = ti[j];
      else if (b == 1.f) for (int j = 0; j < nr; j++) ci[j] += ti[j];
      else for (int j = 0; j < nr; j++) ci[j] = b * ci[j] + ti[j];
    }
  }
  if (last && (bias || act)) epilogue(c, ldc, mr, nr, bias, act);
}

/**
 * Rows per row block for m rows: blocks of equal size, a multiple of MR, at most
 * MC + MR - 1. M = 340 runs as two blocks of 174 rather than 336 + 4, whose 4-row block
 * would stream all of B for 4 rows.
 */
inline int row_block(int m, int MR) {
  const int mblocks = std::max(1, (m + MC - 1) / MC);
  return ((m + mblocks - 1) / mblocks + MR - 1) / MR * MR;
}

/**
 * One k block of an mc x nc block of C from packed A (MR-row panels) and packed B (NR-column
 * panels): B panels outer, so each stays in L1 while A's panels stream from L2.
 */
inline void block_tiles(const Isa& isa, int kc, const float* ap, int mc, const float* bp, int nc, float* c, long ldc,
                        float b, bool last, const float* bias, int act) {
  const int MR = isa.mr, NR = isa.nr;
  const int edge = mc % MR;
  // The short last row tile (1 or 2 edge rows) of two adjacent full panels runs as one
  // pair call, made at the even panel of the two.
  const KernFn pair = edge > 0 && edge < 3 ? isa.pair[edge] : nullptr;
  const int mfull = mc - edge;
  for (int jr = 0; jr < nc; jr += NR) {
    const bool full = jr + NR <= nc;
    const bool pairs = pair && full;  // this panel's edge rows run apart from its loop below
    for (int ir = 0; ir < (pairs ? mfull : mc); ir += MR) {
      compute_tile(isa, kc, ap + static_cast<long>(ir) * kc, bp + static_cast<long>(jr) * kc, c + static_cast<long>(ir) * ldc + jr,
                   ldc, std::min(MR, mc - ir), std::min(NR, nc - jr), b, last, bias ? bias + jr : nullptr, act);
    }
    if (!pairs || (jr / NR) % 2 == 1) continue;  // an odd full panel's edge ran with the even one's
    float* ce = c + static_cast<long>(mfull) * ldc + jr;
    const float* ae = ap + static_cast<long>(mfull) * kc;
    if (jr + 2 * NR <= nc) {
      pair(kc, ae, bp + static_cast<long>(jr) * kc, ce, ldc, b);
      if (last && (bias || act)) epilogue(ce, ldc, edge, 2 * NR, bias ? bias + jr : nullptr, act);
    } else {  // the last full panel, with no full partner
      compute_tile(isa, kc, ae, bp + static_cast<long>(jr) * kc, ce, ldc, edge, NR, b, last, bias ? bias + jr : nullptr, act);
    }
  }
}

// Single-threaded GEMM over rows [m0, m1) and columns [n0, n1) of C:
// C = alpha*A*B + beta*C, then + bias[j] and ReLU when act == 1.

template <class AAcc, class BAcc>
void gemm_block(const AAcc& A, const BAcc& B, int m0, int m1, int n0, int n1, int K, float alpha, float beta,
                float* C, long ldc, const float* bias, int act, int k0 = 0) {
  const Isa isa = g_isa;
  const int MR = isa.mr, NR = isa.nr;
  Workspace& ws = workspace();
  float* Ap = Workspace::grow(ws.a, ws.ca, static_cast<size_t>(MC + MR) * KC);
  const int mcb = row_block(m1 - m0, MR);
  const int kcb = balanced_kc(K - k0);
  for (int jc = n0; jc < n1; jc += NC) {
    const int nc = std::min(NC, n1 - jc);
    const int ncp = (nc + NR - 1) / NR * NR;
    // With several row blocks, each small enough to stay in L2 (narrow C: a conv's
    // channels), B is packed for a super-block of k blocks that fits in L2 too, and each
    // row block runs them back to back: C is not swept through memory once per k block
    // (a tall narrow product on a thread's own rows ran 6-10% slower that way). Otherwise
    // one k block at a time, B's block in L2 beside A's.
    const bool kInner = m1 - m0 > mcb && static_cast<long>(mcb) * ncp <= C_L2_FLOATS;
    const int KS = kInner ? static_cast<int>(std::max<long>(kcb, B_L2_FLOATS / ncp / kcb * kcb)) : kcb;
    float* Bp = Workspace::grow(ws.b, ws.cb, static_cast<size_t>(ncp) * std::min(KS, K - k0));
    for (int ks = k0; ks < K; ks += KS) {
      const int ke = std::min(K, ks + KS);
      for (int pc = ks; pc < ke; pc += kcb) B.pack(Bp + static_cast<long>(pc - ks) * ncp, pc, std::min(kcb, ke - pc), jc, nc, NR);
      for (int ic = m0; ic < m1; ic += mcb) {
        const int mc = std::min(mcb, m1 - ic);
        for (int pc = ks; pc < ke; pc += kcb) {
          const int kc = std::min(kcb, ke - pc);
          const bool last = pc + kc >= K;
          const float b = pc == k0 ? beta : 1.f;
          A.pack(Ap, ic, mc, pc, kc, alpha, MR);
          block_tiles(isa, kc, Ap, mc, Bp + static_cast<long>(pc - ks) * ncp, nc, C + static_cast<long>(ic) * ldc + jc, ldc, b,
                      last, bias ? bias + jc : nullptr, act);
        }
      }
    }
  }
}

/** Epilogue for K == 0: C = beta*C (+ bias, ReLU). */
void scale_only(int M, int N, float beta, float* C, long ldc, const float* bias, int act) {
  for (int i = 0; i < M; i++) {
    float* c = C + static_cast<long>(i) * ldc;
    for (int j = 0; j < N; j++) {
      float v = beta == 0.f ? 0.f : beta * c[j];
      if (bias) v += bias[j];
      if (act == 1 && !(v > 0.f)) v = 0.f;
      c[j] = v;
    }
  }
}

/**
 * Rows [i0, i1) of C = beta*C + the `items` partial products (M x N each, mn floats apart,
 * added in order), + bias, ReLU: 16 columns at a time in registers, stored once. The same
 * additions in the same order as adding each partial into C row by row, which read and
 * wrote C once per partial (that sum took 4.5% of 256x4096·4096x256 on one thread).
 */
#define LIPBENCH_SUM_PARTIALS(NAME, ATTR)                                                                       \
  ATTR void NAME(const float* partial, long mn, int items, int N, long i0, long i1, float* C, long ldc, float beta, \
                 const float* bias, int act) {                                                                    \
    constexpr int CW = 16;                                                                                        \
    for (long i = i0; i < i1; i++) {                                                                              \
      float* c = C + i * ldc;                                                                                     \
      const float* p0 = partial + i * N;                                                                          \
      for (int j0 = 0; j0 < N; j0 += CW) {                                                                        \
        const int w = N - j0 < CW ? N - j0 : CW;                                                                  \
        float v[CW];                                                                                              \
        if (w == CW) {                                                                                            \
          for (int l = 0; l < CW; l++) v[l] = beta == 0.f ? 0.f : beta * c[j0 + l];                               \
          for (int t = 0; t < items; t++)                                                                         \
            for (int l = 0; l < CW; l++) v[l] += p0[t * mn + j0 + l];                                             \
          if (bias) for (int l = 0; l < CW; l++) v[l] += bias[j0 + l];                                            \
          if (act == 1) for (int l = 0; l < CW; l++) v[l] = v[l] > 0.f ? v[l] : 0.f;                              \
          for (int l = 0; l < CW; l++) c[j0 + l] = v[l];                                                          \
          continue;                                                                                               \
        }                                                                                                         \
        for (int l = 0; l < w; l++) {                                                                             \
          float x = beta == 0.f ? 0.f : beta * c[j0 + l];                                                         \
          for (int t = 0; t < items; t++) x += p0[t * mn + j0 + l];                                               \
          if (bias) x += bias[j0 + l];                                                                            \
          if (act == 1) x = x > 0.f ? x : 0.f;                                                                    \
          c[j0 + l] = x;                                                                                          \
        }                                                                                                         \
      }                                                                                                           \
    }                                                                                                             \
  }
LIPBENCH_SUM_PARTIALS(sum_partials_generic, )
#ifdef LB_X86
LIPBENCH_SUM_PARTIALS(sum_partials_avx2, __attribute__((target("avx2"))))
#endif
#undef LIPBENCH_SUM_PARTIALS

Workspace g_shared;  // packed operands shared by the threads of one parallel GEMM
constexpr long A_SHARED_BUDGET = 1L << 20;  // floats of A packed once per super-block (4 MiB)
// k ranges of a split contraction: enough to share among 8 threads, few enough that the
// partial products (at most 8 x 128K floats) stay cheap to sum on one.
constexpr int K_SPLIT_ITEMS = 8;
// A parallel GEMM splits C by columns only (see gemm) when every thread gets at least
// COL_SPLIT_MIN columns and M <= COL_SPLIT_TALL * N. Each thread then reads all of packed A
// (packs all of it, or from A_SHARE_MIN its share of one copy), so a tall product keeps
// the row split or the item path; measured before that sharing, in interleaved A/B on 2 threads
// the split took 0.57-0.93x the time for M = 128-1024 and N = 128-1024, but 1.05-1.30x
// for 4096 x 512 x 128 (M x K x N), 25088 x 576 x 128-512 and 8192 x 1152 x 128-512.
constexpr int COL_SPLIT_MIN = 64;
constexpr int COL_SPLIT_TALL = 8;
// Otherwise, from this many rows per thread, it splits C by rows only.
constexpr int ROW_SPLIT_MIN = 64;
std::atomic<uint64_t> g_col_splits{0};  // parallel GEMMs split by columns so far (info().columnSplits)
std::atomic<uint64_t> g_row_splits{0};  // and by rows (info().rowSplits)

/**
 * Panel ranges of a parallel GEMM (columns, or for a tall product rows), claimed while the
 * threads run: guided sizes (a share of what is left, between lo and hi panels), so a
 * thread on a slower core claims less. On the Zen 3 VM one of the two cores ran 14-16% slower than the other for
 * seconds at a time, and with a fixed half each the product waited for it.
 */
constexpr int CLAIM_MIN = 2, CLAIM_MAX = 8;
// Floats of the operand each claiming thread packs whole (A for columns, B for rows, padded
// to whole panels): 5 MiB, so that every range's sweep over it stays in the last-level
// cache and 1024³'s A (4 MiB, 4.008 padded to 6-row or 14-row panels) still fits.
constexpr long CLAIM_BUDGET = 5L << 18;
// From this many floats of packed A (512 KB, Zen 3's L2) the threads of a column split
// pack A once together rather than each all of it: in interleaved A/B on 2 threads
// against packing per thread, 1024³ took 0.96-0.98x the time and 256x1024·1024x1024 0.99;
// sharing a 400 KB A (128x784·784x512, which fits L2) gained nothing (0.99-1.04).
constexpr long A_SHARE_MIN = 1L << 17;
// Row ranges of a tall product: from 4 MR-row panels up to a row block (MC rows).
constexpr int ROW_CLAIM_MIN = 4;
struct PanelClaims {
  std::atomic<int> next{0};
  const int npan, nt, lo, hi;
  PanelClaims(int npan_, int nt_, int lo_ = CLAIM_MIN, int hi_ = CLAIM_MAX) : npan(npan_), nt(nt_), lo(lo_), hi(hi_) {}
  bool claim(int& p0, int& p1) {
    int cur = next.load(std::memory_order_relaxed);
    for (;;) {
      if (cur >= npan) return false;
      const int rem = npan - cur;
      const int sz = std::min(rem, std::max(lo, std::min(hi, rem / (2 * nt))));
      if (next.compare_exchange_weak(cur, cur + sz, std::memory_order_relaxed)) { p0 = cur; p1 = cur + sz; return true; }
    }
  }
};

/**
 * Share `item` of `nt` when the operand each claiming thread would pack whole is too large:
 * [first, end) in elements of `npan` panels `width` wide, the last one cut at `limit`.
 */
inline std::pair<int, int> fixed_share(int npan, int item, int nt, int width, int limit) {
  const int first = static_cast<int>(static_cast<long>(npan) * item / nt) * width;
  return {first, std::min(limit, static_cast<int>(static_cast<long>(npan) * (item + 1) / nt) * width)};
}

/**
 * How a column split lays out all of packed A: row blocks of row_block(M) rows by k blocks
 * of balanced_kc(K), block (ib, kb) at index ib * nkb + kb, each mcb x kcb floats.
 */
struct PackedA {
  int M, K, mcb, kcb, mblocks, nkb;
  PackedA(int M_, int K_, int MR)
      : M(M_), K(K_), mcb(row_block(M_, MR)), kcb(balanced_kc(K_)), mblocks((M_ + mcb - 1) / mcb), nkb((K_ + kcb - 1) / kcb) {}
  int blocks() const { return mblocks * nkb; }
  long block_floats() const { return static_cast<long>(mcb) * kcb; }
  /** Packs block `blk` of A into Ap (the whole layout's buffer). */
  template <class AAcc>
  void pack(const AAcc& A, float* Ap, int blk, float alpha, int MR) const {
    const int ib = blk / nkb, kb = blk % nkb;
    A.pack(Ap + blk * block_floats(), ib * mcb, std::min(mcb, M - ib * mcb), kb * kcb, std::min(kcb, K - kb * kcb), alpha, MR);
  }
};

/**
 * One thread's part of a column-split GEMM: it packs all of A once as `layout` says (unless
 * the threads packed it together beforehand: `Ash`, laid out the same way), then claims ranges of
 * NR-column panels and runs each through every k block in order, its B packed just before
 * use. Every element still adds its k blocks in the same order as gemm_block, so which
 * thread claims which range never changes a bit.
 */
template <class AAcc, class BAcc>
void gemm_cols_claimed(const AAcc& A, const BAcc& B, int M, int N, int K, float alpha, float beta, float* C, long ldc,
                       const float* bias, int act, PanelClaims& claims, const PackedA& layout, const float* Ash = nullptr) {
  const Isa isa = g_isa;
  const int MR = isa.mr, NR = isa.nr;
  Workspace& ws = workspace();
  const int mcb = layout.mcb, kcb = layout.kcb, mblocks = layout.mblocks, nkb = layout.nkb;
  const long ablk = layout.block_floats();
  // Claim before packing: a thread that arrives after the others took every range (a late
  // worker, the caller on its second item) packs nothing.
  int p0, p1;
  if (!claims.claim(p0, p1)) return;
  const float* Ap = Ash;
  if (!Ap) {
    float* own = Workspace::grow(ws.a, ws.ca, static_cast<size_t>(layout.blocks()) * ablk);
    for (int blk = 0; blk < layout.blocks(); blk++) layout.pack(A, own, blk, alpha, MR);
    Ap = own;
  }
  // A range's packed B is kept for all its k blocks only when several row blocks reuse it
  // (then M*K <= CLAIM_BUDGET bounds K); with one row block, one k block at a time.
  const bool keepB = mblocks > 1;
  float* Bp = Workspace::grow(ws.b, ws.cb, static_cast<size_t>(CLAIM_MAX) * NR * (keepB ? K : kcb));
  do {
    const int j0 = p0 * NR, nc = std::min(p1 * NR, N) - j0;
    const long wp = static_cast<long>(p1 - p0) * NR;  // floats per packed k-row of the range
    for (int ib = 0; ib < mblocks; ib++) {
      const int ic = ib * mcb, mc = std::min(mcb, M - ic);
      for (int kb = 0; kb < nkb; kb++) {
        const int pc = kb * kcb, kc = std::min(kcb, K - pc);
        const bool last = pc + kc >= K;
        const float b = pc == 0 ? beta : 1.f;
        float* bk = keepB ? Bp + static_cast<long>(pc) * wp : Bp;
        if (ib == 0) B.pack(bk, pc, kc, j0, nc, NR);
        block_tiles(isa, kc, Ap + (static_cast<long>(ib) * nkb + kb) * ablk, mc, bk, nc, C + static_cast<long>(ic) * ldc + j0, ldc,
                    b, last, bias ? bias + j0 : nullptr, act);
      }
    }
  } while (claims.claim(p0, p1));
}

/**
 * One thread's part of a row-split GEMM (a tall product): it packs all of B once, then
 * claims ranges of MR-row panels and runs each through every k block in order, packing
 * that range's A just before use. The same k-block order per element as gemm_block.
 */
template <class AAcc, class BAcc>
void gemm_rows_claimed(const AAcc& A, const BAcc& B, int M, int N, int K, float alpha, float beta, float* C, long ldc,
                       const float* bias, int act, PanelClaims& claims) {
  const Isa isa = g_isa;
  const int MR = isa.mr, NR = isa.nr;
  Workspace& ws = workspace();
  const int kcb = balanced_kc(K);
  const long ncp = static_cast<long>(N + NR - 1) / NR * NR;
  int p0, p1;
  if (!claims.claim(p0, p1)) return;  // as in gemm_cols_claimed: no packing for nothing
  float* Bp = Workspace::grow(ws.b, ws.cb, static_cast<size_t>(ncp) * K);
  for (int pc = 0; pc < K; pc += kcb) B.pack(Bp + pc * ncp, pc, std::min(kcb, K - pc), 0, N, NR);
  float* Ap = Workspace::grow(ws.a, ws.ca, static_cast<size_t>(claims.hi) * MR * KC);
  do {
    const int i0 = p0 * MR, mc = std::min(p1 * MR, M) - i0;
    for (int pc = 0; pc < K; pc += kcb) {
      const int kc = std::min(kcb, K - pc);
      A.pack(Ap, i0, mc, pc, kc, alpha, MR);
      block_tiles(isa, kc, Ap, mc, Bp + pc * ncp, N, C + static_cast<long>(i0) * ldc, ldc, pc == 0 ? beta : 1.f, pc + kc >= K,
                  bias, act);
    }
  } while (claims.claim(p0, p1));
}

/**
 * Parallel GEMM. When C is wide enough for a column split (COL_SPLIT_MIN, COL_SPLIT_TALL),
 * the threads claim column ranges as they go (gemm_cols_claimed); else, with ROW_SPLIT_MIN
 * rows per thread, row ranges (gemm_rows_claimed). When the operand each thread packs whole
 * would not fit the last-level cache, each takes a fixed share through gemm_block instead.
 * Only a product too small for both (M and N under 64 per
 * thread) runs in items: B is packed once per super-block of k (sized to stay in the
 * last-level cache) by all threads together, and so is A when several items share a row
 * block; then work items (an MC row block x a group of NR panels) run every KC block of
 * that super-block. With a single row block each item packs its own B panels instead.
 * Items are pulled dynamically; which thread runs an item never changes a result's bits,
 * and every path adds each element's k blocks in the same order.
 */
template <class AAcc, class BAcc>
void gemm(const AAcc& A, const BAcc& B, int M, int N, int K, float alpha, float beta, float* C, long ldc,
          const float* bias, int act) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) { scale_only(M, N, beta, C, ldc, bias, act); return; }
  const double flops = 2.0 * M * N * K;
  const int nt = threads_for(flops);
  if (static_cast<long>(M) * N <= (1L << 17) && K >= 8 * KC) {
    // Small output, long contraction (filter gradients): k ranges into private partial
    // products, summed at the end. The ranges and the order of that sum depend on K alone,
    // never on the thread count or on which thread took which range, so the result has
    // the same bits on 1 core or 64 and from run to run.
    const int items = std::min((K + KC - 1) / KC, K_SPLIT_ITEMS);
    const long mn = static_cast<long>(M) * N;
    // Kept between calls: a fresh 2 MB vector was zeroed and page-faulted on every call.
    // No zeroing needed, as every item's first k block stores without reading (beta 0).
    float* const partial = Workspace::grow(g_shared.c, g_shared.cc, static_cast<size_t>(items) * mn);
    run_items(nt, items, [&](int, int item) {
      const int ka = static_cast<int>(static_cast<long>(K) * item / items / KC * KC);
      const int kb = item + 1 == items ? K : static_cast<int>(static_cast<long>(K) * (item + 1) / items / KC * KC);
      gemm_block(A, B, 0, M, 0, N, kb, alpha, 0.f, partial + item * mn, N, nullptr, 0, ka);
    });
    // The sum over ranges, split by rows (each element still adds its ranges in order).
    const int rowItems = std::min(M, mn >= (1L << 15) ? 4 * nt : 1);
    run_items(nt, rowItems, [&](int, int item) {
      const long i0 = M * item / rowItems, i1 = M * (item + 1) / rowItems;
#ifdef LB_X86
      if (g_has_avx2) return sum_partials_avx2(partial, mn, items, N, i0, i1, C, ldc, beta, bias, act);
#endif
      sum_partials_generic(partial, mn, items, N, i0, i1, C, ldc, beta, bias, act);
    });
    return;
  }
  if (nt == 1) { gemm_block(A, B, 0, M, 0, N, K, alpha, beta, C, ldc, bias, act); return; }
  const Isa isa = g_isa;
  const int MR = isa.mr, NR = isa.nr;
  if (N >= COL_SPLIT_MIN * nt && M <= static_cast<long>(COL_SPLIT_TALL) * N) {
    // Column split: each thread packs its own B panels, so they stay in its own core's
    // caches and no packed operand crosses cores. Sharing packed B through the L3 (below)
    // cost up to 1.5x in the VM's slow phases.
    const int npan = (N + NR - 1) / NR;
    g_col_splits.fetch_add(1, std::memory_order_relaxed);
    const long apad = static_cast<long>(M + MR - 1) / MR * MR * K;  // floats of packed A
    if (apad <= CLAIM_BUDGET) {
      PanelClaims claims(npan, nt);
      // An A too large for a core's L2 streams from the last-level cache on every range
      // whoever packed it, so the threads pack it together, a block each, instead of each
      // all of it.
      const PackedA layout(M, K, MR);
      float* Ash = nullptr;
      if (apad >= A_SHARE_MIN) {
        Ash = Workspace::grow(g_shared.a, g_shared.ca, static_cast<size_t>(layout.blocks()) * layout.block_floats());
        run_items(nt, layout.blocks(), [&](int, int blk) { layout.pack(A, Ash, blk, alpha, MR); });
      }
      run_items(nt, nt, [&](int, int) { gemm_cols_claimed(A, B, M, N, K, alpha, beta, C, ldc, bias, act, claims, layout, Ash); });
      return;
    }
    run_items(nt, nt, [&](int, int item) {
      const auto [j0, j1] = fixed_share(npan, item, nt, NR, N);
      gemm_block(A, B, 0, M, j0, j1, K, alpha, beta, C, ldc, bias, act);
    });
    return;
  }
  if (M >= ROW_SPLIT_MIN * nt) {
    // Row split, the same for a tall product: each thread packs all of B (the smaller
    // operand here) and shares nothing but the claim counter.
    const int mpan = (M + MR - 1) / MR;
    g_row_splits.fetch_add(1, std::memory_order_relaxed);
    if (static_cast<long>(N + NR - 1) / NR * NR * K <= CLAIM_BUDGET) {
      PanelClaims claims(mpan, nt, ROW_CLAIM_MIN, std::max(ROW_CLAIM_MIN, MC / MR));
      run_items(nt, nt, [&](int, int) { gemm_rows_claimed(A, B, M, N, K, alpha, beta, C, ldc, bias, act, claims); });
      return;
    }
    // Too much B to pack whole on each thread: fixed shares through gemm_block.
    run_items(nt, nt, [&](int, int item) {
      const auto [i0, i1] = fixed_share(mpan, item, nt, MR, M);
      gemm_block(A, B, i0, i1, 0, N, K, alpha, beta, C, ldc, bias, act);
    });
    return;
  }
  const int mc = row_block(M, MR);
  const int mblocks = (M + mc - 1) / mc;
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    const int npan = (nc + NR - 1) / NR;
    const long ncp = static_cast<long>(npan) * NR;
    // About four items per thread; the panels are dealt out evenly (49 panels in 8 groups
    // of 6-7, not 7 groups of 7, which would give one thread 4 items and the other 3),
    // at least two per group when there are two.
    const int jgroups = std::max(1, std::min((4 * nt + mblocks - 1) / mblocks, npan / 2));
    const int gp = (npan + jgroups - 1) / jgroups;  // the largest group
    const int kcb = balanced_kc(K);
    const int KS = std::max<long>(kcb, B_BUDGET / ncp / kcb * kcb);
    // One row block (small M): each column group belongs to one item, which packs its own
    // B panels just before using them, while they are still in its core's cache.
    const bool localB = mblocks == 1;
    float* Bp = localB ? nullptr : Workspace::grow(g_shared.b, g_shared.cb, static_cast<size_t>(ncp) * std::min(K, KS));
    for (int ks = 0; ks < K; ks += KS) {
      const int ke = std::min(K, ks + KS);
      const int nkb = (ke - ks + kcb - 1) / kcb;
      // With several column groups per row block (small M, e.g. a batch of 128), each item
      // would pack the same A block again: pack A once here, beside B, when it fits.
      const bool shareA = jgroups > 1 && static_cast<long>(mblocks) * mc * (ke - ks) <= A_SHARED_BUDGET;
      const long ablk = static_cast<long>(mc) * kcb;  // floats per packed (row block, k block)
      float* Ash = shareA ? Workspace::grow(g_shared.a, g_shared.ca, static_cast<size_t>(mblocks) * nkb * ablk) : nullptr;
      // B is packed a group of panels per item, so that a non-transposed B is read row by
      // row across the group (see DenseB::pack); about two groups per thread and k block.
      const int ppi = std::max(1, npan / std::max(1, 2 * nt));
      const int pgroups = (npan + ppi - 1) / ppi;
      const int bItems = localB ? 0 : nkb * pgroups;
      run_items(nt, bItems + (shareA ? mblocks * nkb : 0), [&](int, int item) {
        if (item >= bItems) {
          const int ib = (item - bItems) / nkb, kb = (item - bItems) % nkb;
          const int i0 = ib * mc, pc = ks + kb * kcb;
          A.pack(Ash + (static_cast<long>(ib) * nkb + kb) * ablk, i0, std::min(mc, M - i0), pc, std::min(kcb, ke - pc), alpha, MR);
          return;
        }
        const int kb = item / pgroups, jp = item % pgroups * ppi;
        const int pc = ks + kb * kcb, kc = std::min(kcb, ke - pc);
        B.pack(Bp + static_cast<long>(pc - ks) * ncp + static_cast<long>(jp) * NR * kc, pc, kc, jc + jp * NR,
               std::min(ppi * NR, nc - jp * NR), NR);
      });
      run_items(nt, mblocks * jgroups, [&](int, int item) {
        const int ib = item / jgroups, jg = item % jgroups;
        const int i0 = ib * mc, mcur = std::min(mc, M - i0);
        const int jp0 = static_cast<int>(static_cast<long>(npan) * jg / jgroups);
        const int jp1 = static_cast<int>(static_cast<long>(npan) * (jg + 1) / jgroups);
        const int j = jc + jp0 * NR, ncols = std::min((jp1 - jp0) * NR, nc - jp0 * NR);  // the item's columns
        float* Ap = nullptr;
        float* Bl = nullptr;
        Workspace& ws = workspace();
        if (!shareA) Ap = Workspace::grow(ws.a, ws.ca, static_cast<size_t>(mc + MR) * KC);
        if (localB) Bl = Workspace::grow(ws.b, ws.cb, static_cast<size_t>(gp) * NR * KC);
        for (int pc = ks; pc < ke; pc += kcb) {
          const int kc = std::min(kcb, ke - pc);
          const bool last = pc + kc >= K;
          const float b = pc == 0 ? beta : 1.f;
          const float* ap = Ap;
          if (shareA) ap = Ash + (static_cast<long>(ib) * nkb + (pc - ks) / kcb) * ablk;
          else A.pack(Ap, i0, mcur, pc, kc, alpha, MR);
          if (localB) B.pack(Bl, pc, kc, j, ncols, NR);
          // The item's panels lie side by side in either buffer.
          const float* bp = localB ? Bl : Bp + static_cast<long>(pc - ks) * ncp + static_cast<long>(jp0) * NR * kc;
          block_tiles(isa, kc, ap, mcur, bp, ncols, C + static_cast<long>(i0) * ldc + j, ldc, b, last, bias ? bias + j : nullptr, act);
        }
      });
    }
  }
}

/**
 * dx = col2im(dy * W^T), image by image per thread so scatter-adds never race; pixel rows
 * are processed in blocks whose dcols stay in cache.
 */
/** Convolution input gradients run in bands of input rows so far (info().bandedGradients). */
std::atomic<uint64_t> g_banded{0};

/** Floor of a / b for b > 0 and any a. */
inline int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

void conv_backprop_input(const ConvGeom& g, const KTable& t, const float* dy, const float* f, int co, float* dx) {
  const int K = g.kdim();
  const long imgPix = static_cast<long>(g.oh) * g.ow;
  const long rowSize = static_cast<long>(g.w) * g.c;
  const long imgSize = g.h * rowSize;
  const double flops = 2.0 * g.pixels() * K * co;
  const int ntp = threads_for(flops);
  // Fewer images than two per thread (a power iteration runs one): each image is cut into
  // bands of input rows, and an item computes the output rows whose windows reach its band
  // (the rows at a band's edge twice) and adds only into its band. Every dx element still
  // gets its contributions in pixel order, so the bits are those of one item per image.
  const int bands = ntp > 1 && g.n < 2 * ntp ? std::max(1, std::min((ntp + g.n - 1) / g.n, g.h / std::max(1, 2 * g.eff_kh()))) : 1;
  const int perItem = bands > 1 ? 1 : std::max(1, g.n / (8 * ntp));
  const int items = (g.n + perItem - 1) / perItem * bands;
  const int nt = std::min(ntp, items);
  if (bands > 1) g_banded.fetch_add(1, std::memory_order_relaxed);
  DenseB B{f, co, true};  // B(p = co, j = k) = f[k*co + p]
  auto work = [&](int, int item) {
    const int band = item % bands;
    const int b0 = item / bands * perItem;
    const int b1 = std::min(g.n, b0 + perItem);
    const int r0 = g.h * band / bands, r1 = g.h * (band + 1) / bands;  // input rows
    if (b0 >= b1 || r0 >= r1) return;
    // Output rows oy whose window rows oy*sh - pt + [0, eff_kh) meet [r0, r1).
    const int oy0 = bands == 1 ? 0 : std::max(0, floor_div(r0 + g.pt - g.eff_kh(), g.sh) + 1);
    const int oy1 = bands == 1 ? g.oh : std::min(g.oh, floor_div(r1 - 1 + g.pt, g.sh) + 1);
    for (int b = b0; b < b1; b++) std::memset(dx + b * imgSize + r0 * rowSize, 0, static_cast<size_t>(r1 - r0) * rowSize * sizeof(float));
    if (oy0 >= oy1) return;
    const long pix0 = b0 * imgPix + static_cast<long>(oy0) * g.ow, pix1 = (b1 - 1) * imgPix + static_cast<long>(oy1) * g.ow;
    const int rowsPerBlock = std::max<long>(1, std::min<long>(pix1 - pix0, (1 << 16) / std::max(K, 1)));
    Workspace& ws = workspace();
    float* dc = Workspace::grow(ws.c, ws.cc, static_cast<size_t>(rowsPerBlock) * K);
    for (long p0 = pix0; p0 < pix1; p0 += rowsPerBlock) {
      const int rows = static_cast<int>(std::min<long>(rowsPerBlock, pix1 - p0));
      DenseA A{dy + p0 * co, co, false};
      gemm_block(A, B, 0, rows, 0, K, co, 1.f, 0.f, dc, K, nullptr, 0);
      for (int r = 0; r < rows; r++) {
        const long pix = p0 + r;
        const int ox = static_cast<int>(pix % g.ow);
        const long q = pix / g.ow;
        const int oy = static_cast<int>(q % g.oh);
        const int b = static_cast<int>(q / g.oh);
        float* img = dx + b * imgSize;
        const float* src = dc + static_cast<long>(r) * K;
        const int by = oy * g.sh, bx = ox * g.sw;
        for (int k = 0; k < K; k += g.c) {
          const int iy = by + t.dy[k], ix = bx + t.dx[k];
          if (static_cast<unsigned>(iy - r0) >= static_cast<unsigned>(r1 - r0) || static_cast<unsigned>(ix) >= static_cast<unsigned>(g.w)) continue;
          float* d = img + (static_cast<long>(iy) * g.w + ix) * g.c;
          const float* s = src + k;
          for (int c = 0; c < g.c; c++) d[c] += s[c];
        }
      }
    }
  };
  run_items(nt, items, work);
}

/** Threads for a memory-bound pass over a [rows, cols] block: all of them past 256K floats. */
inline int row_threads(long rows, long cols) {
  return rows * cols >= (1L << 18) && rows >= 2 ? static_cast<int>(std::min<long>(g_threads, rows)) : 1;
}

/**
 * Threads for an elementwise pass over n floats worth ~`per` elements a thread: none added
 * below two threads' worth, where the hand-off costs more than it saves.
 */
inline int elementwise_threads(long n, long per) {
  return n >= 2 * per ? static_cast<int>(std::min<long>(g_threads, n / per)) : 1;
}

/** fn(tid, r0, r1) over row ranges covering [0, rows), about 8 per thread, pulled dynamically. */
template <class F>
void for_row_ranges(int nt, long rows, F&& fn) {
  const int items = nt <= 1 ? 1 : static_cast<int>(std::min<long>(rows, 8L * nt));
  run_items(nt, items, [&](int tid, int item) { fn(tid, rows * item / items, rows * (item + 1) / items); });
}

// ---------------------------------------------------------------------------------------
// Matrix-vector products (M == 1 or N == 1). The packed GEMM pads the vector side to a full
// NR panel (16 or 32 columns of which one is used) and packs the whole matrix first, so a
// power-iteration step W·v on a [784, 256] kernel cost ~0.25 ms where one pass over W takes
// ~0.03. Each output is one thread's sequential sum, so the result does not depend on the
// thread count.

/** y_i = sum_p mat[i*ld + p] * x[p] for i in [i0, i1) ("dot" form: rows of mat are contiguous). */
void gemv_dot_generic(const float* mat, long ld, long len, const float* x, long i0, long i1, float* acc) {
  for (long i = i0; i < i1; i++) {
    const float* r = mat + i * ld;
    float s = 0.f;
    for (long p = 0; p < len; p++) s += r[p] * x[p];
    acc[i - i0] = s;
  }
}

/** y_j = sum_p mat[p*ld + j] * x[p] for j in [j0, j1) ("axpy" form: columns of mat). */
void gemv_axpy_generic(const float* mat, long ld, long len, const float* x, long j0, long j1, float* acc) {
  std::fill(acc, acc + (j1 - j0), 0.f);
  for (long p = 0; p < len; p++) {
    const float xp = x[p];
    const float* r = mat + p * ld + j0;
    for (long j = 0; j < j1 - j0; j++) acc[j] += r[j] * xp;
  }
}

#ifdef LB_X86
__attribute__((target("avx2,fma"))) void gemv_dot_avx2(const float* mat, long ld, long len, const float* x, long i0,
                                                       long i1, float* acc) {
  for (long i = i0; i < i1; i++) {
    const float* r = mat + i * ld;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    long p = 0;
    for (; p + 16 <= len; p += 16) {
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r + p), _mm256_loadu_ps(x + p), s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(r + p + 8), _mm256_loadu_ps(x + p + 8), s1);
    }
    alignas(32) float l[8];
    _mm256_store_ps(l, _mm256_add_ps(s0, s1));
    float s = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
    for (; p < len; p++) s += r[p] * x[p];
    acc[i - i0] = s;
  }
}

__attribute__((target("avx2,fma"))) void gemv_axpy_avx2(const float* mat, long ld, long len, const float* x, long j0,
                                                        long j1, float* acc) {
  const long n = j1 - j0;
  std::fill(acc, acc + n, 0.f);
  // Column blocks of 64 stay in eight registers across the whole contraction.
  long j = 0;
  for (; j + 64 <= n; j += 64) {
    __m256 c[8];
    for (int q = 0; q < 8; q++) c[q] = _mm256_setzero_ps();
    for (long p = 0; p < len; p++) {
      const __m256 xp = _mm256_set1_ps(x[p]);
      const float* r = mat + p * ld + j0 + j;
#pragma GCC unroll 8
      for (int q = 0; q < 8; q++) c[q] = _mm256_fmadd_ps(_mm256_loadu_ps(r + 8 * q), xp, c[q]);
    }
    for (int q = 0; q < 8; q++) _mm256_storeu_ps(acc + j + 8 * q, c[q]);
  }
  for (; j + 8 <= n; j += 8) {
    __m256 c = _mm256_setzero_ps();
    for (long p = 0; p < len; p++) c = _mm256_fmadd_ps(_mm256_loadu_ps(mat + p * ld + j0 + j), _mm256_set1_ps(x[p]), c);
    _mm256_storeu_ps(acc + j, c);
  }
  for (; j < n; j++) {
    float s = 0.f;
    for (long p = 0; p < len; p++) s = std::fma(mat[p * ld + j0 + j], x[p], s);
    acc[j] = s;
  }
}
#endif

/**
 * y[o*incy] = act(alpha * sum_p Mat(o, p) x[p] + beta*y + bias[o*biasInc]) for o < outs, with
 * Mat(o, p) = dot ? mat[o*ld + p] : mat[p*ld + o]; x is contiguous. beta == 0 never reads y.
 */
void gemv(const float* mat, long ld, bool dot, long outs, long len, const float* x, float alpha, float beta, float* y,
          long incy, const float* bias, long biasInc, int act) {
  using Rows = void (*)(const float*, long, long, const float*, long, long, float*);
  Rows rows = dot ? gemv_dot_generic : gemv_axpy_generic;
#ifdef LB_X86
  if (std::strcmp(g_isa.name, "generic") != 0) rows = dot ? gemv_dot_avx2 : gemv_axpy_avx2;
#endif
  for_row_ranges(row_threads(outs, len), outs, [&](int, long o0, long o1) {
    std::vector<float> acc(static_cast<size_t>(o1 - o0));
    rows(mat, ld, len, x, o0, o1, acc.data());
    for (long o = o0; o < o1; o++) {
      float v = alpha * acc[o - o0];
      if (beta != 0.f) v += beta * y[o * incy];
      if (bias) v += bias[o * biasInc];
      if (act == 1 && !(v > 0.f)) v = 0.f;
      y[o * incy] = v;
    }
  });
}

/**
 * C = alpha*A*B + beta*C (+bias, ReLU) for a dense product with M == 1 or N == 1, as one
 * gemv over the matrix operand; a strided vector operand is gathered first.
 */
void dense_gemv(const float* a, long lda, bool ta, const float* b, long ldb, bool tb, long M, long N, long K, float alpha,
                float beta, float* C, long ldc, const float* bias, int act) {
  std::vector<float> xbuf;
  auto contiguous = [&](const float* v, long stride) -> const float* {
    if (stride == 1) return v;
    xbuf.resize(static_cast<size_t>(K));
    for (long p = 0; p < K; p++) xbuf[p] = v[p * stride];
    return xbuf.data();
  };
  if (N == 1) {
    // C(i) = sum_p A(i, p) B(p): A is the matrix, B's column the vector.
    const float* x = contiguous(b, tb ? 1 : ldb);
    gemv(a, lda, !ta, M, K, x, alpha, beta, C, ldc, bias, 0, act);
  } else {
    // C(0, j) = sum_p A(0, p) B(p, j): B is the matrix, A's row the vector.
    const float* x = contiguous(a, ta ? lda : 1);
    gemv(b, ldb, tb, N, K, x, alpha, beta, C, 1, bias, 1, act);
  }
}

/**
 * out = a op b elementwise over n floats (op: 0 add, 1 sub, 2 mul), either operand possibly
 * a single broadcast value. One IEEE operation an element, so the result is bit for bit the
 * wasm kernel's; the gain is the second core on large tensors (a PGD step's [1000, 784]
 * updates, an SGD step's W + c·g).
 */
template <int OP, bool AS, bool BS>
void binary_range(const float* a, const float* b, long i0, long i1, float* out) {
  const float as = a[0], bs = b[0];
  for (long i = i0; i < i1; i++) {
    const float x = AS ? as : a[i], y = BS ? bs : b[i];
    out[i] = OP == 0 ? x + y : OP == 1 ? x - y : x * y;
  }
}

template <int OP>
void binary_op_t(const float* a, bool as, const float* b, bool bs, long n, float* out) {
  for_row_ranges(elementwise_threads(n, 1L << 16), n, [&](int, long i0, long i1) {
    if (as) binary_range<OP, true, false>(a, b, i0, i1, out);
    else if (bs) binary_range<OP, false, true>(a, b, i0, i1, out);
    else binary_range<OP, false, false>(a, b, i0, i1, out);
  });
}

void binary_op(int op, const float* a, bool as, const float* b, bool bs, long n, float* out) {
  if (op == 0) binary_op_t<0>(a, as, b, bs, n, out);
  else if (op == 1) binary_op_t<1>(a, as, b, bs, n, out);
  else binary_op_t<2>(a, as, b, bs, n, out);
}

// The float bits as integers (may_alias: the same memory is read and written as float elsewhere).
typedef uint32_t __attribute__((may_alias)) float_bits;

// Takes its pointers as parameters: inside a lambda, a may_alias store could overwrite the
// captured pointers as far as the compiler knows, and the loop stayed scalar (5x slower).
void relu_range(const float_bits* xi, float_bits* oi, long i0, long i1) {
  for (long i = i0; i < i1; i++) oi[i] = xi[i] & ~static_cast<uint32_t>(static_cast<int32_t>(xi[i]) >> 31);
}

/**
 * out = relu(x) over n floats as the wasm backend's XNNPACK ReLU computes it (its clamp to
 * [0, +inf) runs as that ReLU): by the sign bit, so -0, -NaN and every negative become +0
 * and a NaN with the sign bit clear stays as it is. Threaded like binary_op.
 */
void relu_values(const float* x, long n, float* out) {
  for_row_ranges(elementwise_threads(n, 1L << 16), n, [&](int, long i0, long i1) {
    relu_range(reinterpret_cast<const float_bits*>(x), reinterpret_cast<float_bits*>(out), i0, i1);
  });
}

/** The stock XNNPACK clamp: max then min, each "a < b ? b : a" (NaN becomes lo). */
inline float xnn_clamp(float v, float lo, float hi) {
  const float w = lo < v ? v : lo;
  return w < hi ? w : hi;
}

/**
 * out = clamp(x, lo, hi) over n floats, written as the wasm backend's XNNPACK clamp
 * computes it (max then min, each "a < b ? b : a"): NaN becomes lo and a −0 input with
 * lo = +0 becomes +0, bit for bit the stock kernel's output. XNNPACK runs a clamp to
 * [0, +inf) as its ReLU, which goes by the sign bit instead (a NaN stays NaN), and so does
 * this. Threaded like binary_op.
 */
void clip_values(const float* x, long n, float lo, float hi, float* out) {
  if (lo == 0.f && hi == std::numeric_limits<float>::infinity()) { relu_values(x, n, out); return; }
  for_row_ranges(elementwise_threads(n, 1L << 16), n, [&](int, long i0, long i1) {
    for (long i = i0; i < i1; i++) out[i] = xnn_clamp(x[i], lo, hi);
  });
}

/**
 * One PGD-L-infinity step as the wasm backend composes it from tfjs ops, each rounded to
 * float32 in that order: s = clamp((g * 2^127) * 2^127, -1, 1) (the exact sign), then
 * u = xa + s*alpha, d = clamp(u - x, -eps, eps), out = clamp(x + d, 0, 1), every clamp
 * xnn_clamp, as clip_values' (the stock XNNPACK clamp). One pass instead of eight over the batch.
 */
void linf_step(const float* x, const float* xa, const float* g, long n, float alpha, float eps, float* out) {
  const float big = 0x1p127f;
  for_row_ranges(elementwise_threads(n, 1L << 16), n, [&](int, long i0, long i1) {
    for (long i = i0; i < i1; i++) {
      const float g1 = g[i] * big;
      const float s = xnn_clamp(g1 * big, -1.f, 1.f);
      const float t = s * alpha;
      const float u = xa[i] + t;
      const float d = xnn_clamp(u - x[i], -eps, eps);
      out[i] = xnn_clamp(x[i] + d, 0.f, 1.f);
    }
  });
}

/**
 * out[j] = sum_i x[i*cols + j]: a leading-axes reduction (bias gradients), in double. Each
 * column adds its rows in order within fixed row ranges (one range below 256K elements,
 * else up to 16 of whole RB-row blocks), the ranges' partials added in range order,
 * rounded to float once. With one range that is the cpu backend's sum bit for bit; the
 * ranges depend on the shape alone, never on the thread count, and kernels/wasm/sum.ts's
 * fallback uses the same ones.
 */
constexpr long SUM_ROWS_RB = 64;

inline int sum_rows_ranges(long rows, long cols) {
  const long blocks = (rows + SUM_ROWS_RB - 1) / SUM_ROWS_RB;
  return rows * cols >= (1L << 18) ? static_cast<int>(std::min<long>(blocks, 16)) : 1;
}

/** acc[j] += x[r*cols + j] for rows [r0, r1), row by row (a strip of 16 columns in registers). */
#define LIPBENCH_SUM_ROWS_RANGE(NAME, ATTR)                                                    \
  ATTR void NAME(const float* x, long r0, long r1, long cols, double* acc) {                 \
    constexpr long CW = 16;                                                                   \
    long c0 = 0;                                                                              \
    for (; c0 + CW <= cols; c0 += CW) {                                                       \
      double a[CW];                                                                           \
      for (long l = 0; l < CW; l++) a[l] = acc[c0 + l];                                       \
      for (long r = r0; r < r1; r++) {                                                        \
        const float* row = x + r * cols + c0;                                                 \
        for (long l = 0; l < CW; l++) a[l] += static_cast<double>(row[l]);                    \
      }                                                                                       \
      for (long l = 0; l < CW; l++) acc[c0 + l] = a[l];                                       \
    }                                                                                         \
    for (long r = r0; r < r1; r++)                                                            \
      for (long j = c0; j < cols; j++) acc[j] += static_cast<double>(x[r * cols + j]);       \
  }
LIPBENCH_SUM_ROWS_RANGE(sum_rows_range_generic, )
#ifdef LB_X86
LIPBENCH_SUM_ROWS_RANGE(sum_rows_range_avx2, __attribute__((target("avx2"))))
#endif
#undef LIPBENCH_SUM_ROWS_RANGE

void sum_rows(const float* x, long rows, long cols, float* out) {
  constexpr long RB = SUM_ROWS_RB;
  const long blocks = (rows + RB - 1) / RB;
  const int items = sum_rows_ranges(rows, cols);
  std::vector<double> partial(static_cast<size_t>(items) * cols, 0.0);
  run_items(row_threads(rows, cols), items, [&](int, int item) {
    double* acc = partial.data() + static_cast<long>(item) * cols;
    const long r0 = blocks * item / items * RB, r1 = std::min(rows, blocks * (item + 1) / items * RB);
    // Block by block, so that a block's rows are still in cache for the next strip.
    for (long rb = r0; rb < r1; rb += RB) {
      const long re = std::min(r1, rb + RB);
      // Each column is its own chain of adds in either build: the same bits, AVX2 just wider.
#ifdef LB_X86
      if (g_has_avx2) { sum_rows_range_avx2(x, rb, re, cols, acc); continue; }
#endif
      sum_rows_range_generic(x, rb, re, cols, acc);
    }
  });
  for (long j = 0; j < cols; j++) {
    double v = partial[j];
    for (int t = 1; t < items; t++) v += partial[static_cast<size_t>(t) * cols + j];
    out[j] = static_cast<float>(v);
  }
}

/**
 * Trailing-axes and full reductions (out[i] = sum_j x[i*len + j]: norms, losses, L2 attack
 * steps), in double: each row in fixed chunks of SUM_CHUNK elements, a chunk summed into
 * 8 lanes (lane l takes elements l, l + 8, ...; the tail goes to lane 0 in order), the lanes
 * added pairwise, the chunks added in order, rounded to float once. The stock kernel adds
 * in float, one element after another, at one add's latency per element. The order depends
 * on the shape alone (never on threads), and kernels/wasm/sum.ts's fallback follows it, so
 * the addon and the fallback give the same bits.
 */
constexpr long SUM_CHUNK = 1L << 14;

inline double sum_chunk(const float* x, long n) {
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; l++) lane[l] += static_cast<double>(x[j + l]);
  for (; j < n; j++) lane[0] += static_cast<double>(x[j]);
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

void sum_inner(const float* x, long rows, long len, float* out) {
  const long chunks = (len + SUM_CHUNK - 1) / SUM_CHUNK;
  const int nt = elementwise_threads(rows * len, 1L << 16);
  if (chunks <= 1) {
    for_row_ranges(nt, rows, [&](int, long r0, long r1) {
      for (long r = r0; r < r1; r++) out[r] = static_cast<float>(sum_chunk(x + r * len, len));
    });
    return;
  }
  std::vector<double> part(static_cast<size_t>(rows * chunks));
  for_row_ranges(nt, rows * chunks, [&](int, long i0, long i1) {
    for (long i = i0; i < i1; i++) {
      const long r = i / chunks, c0 = i % chunks * SUM_CHUNK;
      part[i] = sum_chunk(x + r * len + c0, std::min(SUM_CHUNK, len - c0));
    }
  });
  for (long r = 0; r < rows; r++) {
    double v = 0;
    for (long c = 0; c < chunks; c++) v += part[r * chunks + c];
    out[r] = static_cast<float>(v);
  }
}

/**
 * fn(window index yr*ow + yc, in-bounds input rows [r0, r1) and columns [c0, c1) it covers,
 * stepping by the dilation) for each pooling window of one image, in window order.
 */
template <class F>
void for_each_window(const ConvGeom& g, F&& fn) {
  const int fh = g.eff_kh(), fw = g.eff_kw();
  for (int yr = 0; yr < g.oh; yr++) {
    const int rc = yr * g.sh - g.pt;
    int r0 = rc;
    while (r0 < 0) r0 += g.dh;
    const int r1 = std::min(g.h, fh + rc);
    for (int yc = 0; yc < g.ow; yc++) {
      const int cc = yc * g.sw - g.pl;
      int c0 = cc;
      while (c0 < 0) c0 += g.dw;
      fn(static_cast<long>(yr) * g.ow + yc, r0, r1, c0, std::min(g.w, fw + cc));
    }
  }
}

/**
 * MaxPoolGrad with the cpu backend's semantics (see src/kernels/wasm/pool-grad.ts): each
 * window's dy goes to its first strict maximum in row-major window order (none for a
 * window of NaN or -inf only); an input pixel's contributions are summed in double in
 * window order from +0 and rounded once. Images are independent, so they are split over
 * threads without changing a bit.
 */
void max_pool_grad(const ConvGeom& g, const float* x, const float* dy, float* dx) {
  const long C = g.c, img = static_cast<long>(g.h) * g.w * C, oimg = static_cast<long>(g.oh) * g.ow * C;
  const bool overlap = g.sh < g.eff_kh() || g.sw < g.eff_kw();
  for_row_ranges(row_threads(g.n, img), g.n, [&](int, long b0, long b1) {
    std::vector<double> acc(overlap ? img : 0);
    std::vector<float> maxV(C);
    std::vector<long> maxP(C);
    for (long b = b0; b < b1; b++) {
      const float* xb = x + b * img;
      const float* dyb = dy + b * oimg;
      float* dxb = dx + b * img;
      if (overlap) std::fill(acc.begin(), acc.end(), 0.0);
      else std::fill(dxb, dxb + img, 0.f);
      for_each_window(g, [&](long w, int r0, int r1, int c0, int c1) {
        std::fill(maxV.begin(), maxV.end(), -std::numeric_limits<float>::infinity());
        std::fill(maxP.begin(), maxP.end(), -1L);
        for (int r = r0; r < r1; r += g.dh) {
          for (int c = c0; c < c1; c += g.dw) {
            const long base = (static_cast<long>(r) * g.w + c) * C;
            for (long d = 0; d < C; d++) {
              const float v = xb[base + d];
              if (v > maxV[d]) { maxV[d] = v; maxP[d] = base + d; }
            }
          }
        }
        const float* gy = dyb + w * C;
        for (long d = 0; d < C; d++) {
          const long p = maxP[d];
          if (p < 0) continue;
          if (overlap) acc[p] += gy[d];
          else dxb[p] = 0.f + gy[d];
        }
      });
      if (overlap) for (long i = 0; i < img; i++) dxb[i] = static_cast<float>(acc[i]);
    }
  });
}

/**
 * AvgPoolGrad with the cpu backend's semantics (see src/kernels/wasm/pool-grad.ts): an
 * input pixel's gradient is the sum, in double and in window order, of dy over the windows
 * that cover it, times 1/(pool height * pool width) in double, rounded once. Images are
 * split over threads.
 */
void avg_pool_grad(const ConvGeom& g, const float* dy, float* dx) {
  const long C = g.c, img = static_cast<long>(g.h) * g.w * C, oimg = static_cast<long>(g.oh) * g.ow * C;
  const double mult = 1.0 / (static_cast<double>(g.kh) * g.kw);
  for_row_ranges(row_threads(g.n, img), g.n, [&](int, long b0, long b1) {
    std::vector<double> acc(img);
    for (long b = b0; b < b1; b++) {
      const float* dyb = dy + b * oimg;
      std::fill(acc.begin(), acc.end(), 0.0);
      for_each_window(g, [&](long w, int r0, int r1, int c0, int c1) {
        const float* gy = dyb + w * C;
        for (int r = r0; r < r1; r += g.dh)
          for (int c = c0; c < c1; c += g.dw) {
            double* a = acc.data() + (static_cast<long>(r) * g.w + c) * C;
            for (long d = 0; d < C; d++) a[d] += gy[d];
          }
      });
      float* dxb = dx + b * img;
      for (long i = 0; i < img; i++) dxb[i] = static_cast<float>(acc[i] * mult);
    }
  });
}

/**
 * MaxMin (GroupSort-2) on rows of c = 2h channels: y[j] = max(x[j], x[j+h]),
 * y[j+h] = min(x[j], x[j+h]). One pass instead of tfjs' split, maximum, minimum and
 * concat (on wasm the channel-axis split alone was over a quarter of a MinMax 4C3F
 * training step). NaN propagates as in tfjs' maximum/minimum.
 */
void max_min(const float* x, long rows, long c, float* y) {
  const long h = c / 2;
  for_row_ranges(row_threads(rows, c), rows, [&](int, long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      const float* a = x + r * c;
      const float* b = a + h;
      float* hi = y + r * c;
      float* lo = hi + h;
      for (long j = 0; j < h; j++) {
        const float u = a[j], v = b[j];
        const bool nan = u != u || v != v;
        hi[j] = nan ? u + v : (u >= v ? u : v);
        lo[j] = nan ? u + v : (u <= v ? u : v);
      }
    }
  });
}

/**
 * The gradient of max_min as tfjs composes it (maximum: dy to a where a >= b, else to b;
 * minimum: dy to a where a <= b, else to b), so a tie sends both to a and NaN sends none.
 */
void max_min_grad(const float* x, const float* dy, long rows, long c, float* dx) {
  const long h = c / 2;
  for_row_ranges(row_threads(rows, c), rows, [&](int, long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      const float* a = x + r * c;
      const float* b = a + h;
      const float* ghi = dy + r * c;
      const float* glo = ghi + h;
      float* da = dx + r * c;
      float* db = da + h;
      for (long j = 0; j < h; j++) {
        const float u = a[j], v = b[j], gh = ghi[j], gl = glo[j];
        da[j] = (u >= v ? gh : 0.f) + (u <= v ? gl : 0.f);
        db[j] = (u < v ? gh : 0.f) + (u > v ? gl : 0.f);
      }
    }
  });
}

/**
 * One Adam step for one variable, fused: m' = m*b1 + g*(1-b1), v' = v*b2 + g*g*(1-b2),
 * w' = (m'/c1) / (sqrt(v'/c2) + eps) * (-lr) + w, each operation rounded to float in the
 * order tfjs' AdamOptimizer composes its ops, so the results are theirs bit for bit
 * (this function carries no FMA target, so the compiler cannot contract a*b+c). tfjs
 * spends ~10 kernels and passes over memory per variable per step on this.
 * p = [b1, 1-b1, b2, 1-b2, c1 = 1-b1^t, c2 = 1-b2^t, eps, -lr], all floats.
 */
#ifdef LB_X86
/**
 * Eight lanes of adam_update's arithmetic: the same IEEE operations (divide and square
 * root are correctly rounded in every width), and "avx2" without "fma" so nothing can be
 * contracted. Returns the first index it did not do. The scalar loop was bound by its
 * divisions (~7 ns an element).
 */
__attribute__((target("avx2"))) long adam_update_avx2(const float* w, const float* m, const float* v, const float* g,
                                                      long i0, long i1, const float* p, float* nw, float* nm, float* nv) {
  const __m256 b1 = _mm256_set1_ps(p[0]), omb1 = _mm256_set1_ps(p[1]), b2 = _mm256_set1_ps(p[2]), omb2 = _mm256_set1_ps(p[3]);
  const __m256 c1 = _mm256_set1_ps(p[4]), c2 = _mm256_set1_ps(p[5]), eps = _mm256_set1_ps(p[6]), nlr = _mm256_set1_ps(p[7]);
  long i = i0;
  for (; i + 8 <= i1; i += 8) {
    const __m256 gi = _mm256_loadu_ps(g + i);
    const __m256 mi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), b1), _mm256_mul_ps(gi, omb1));
    const __m256 vi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), b2), _mm256_mul_ps(_mm256_mul_ps(gi, gi), omb2));
    const __m256 den = _mm256_add_ps(_mm256_sqrt_ps(_mm256_div_ps(vi, c2)), eps);
    const __m256 step = _mm256_mul_ps(_mm256_div_ps(_mm256_div_ps(mi, c1), den), nlr);
    _mm256_storeu_ps(nw + i, _mm256_add_ps(step, _mm256_loadu_ps(w + i)));
    _mm256_storeu_ps(nm + i, mi);
    _mm256_storeu_ps(nv + i, vi);
  }
  return i;
}
#endif

void adam_update(const float* w, const float* m, const float* v, const float* g, long n, const float* p,
                 float* nw, float* nm, float* nv) {
  const float b1 = p[0], omb1 = p[1], b2 = p[2], omb2 = p[3], c1 = p[4], c2 = p[5], eps = p[6], nlr = p[7];
  // Three divisions and a square root an element make this compute-bound, not memory-bound
  // like row_threads' passes: threads pay off from 32K elements (a [784, 256] kernel took
  // 0.29 ms on one Zen 4 core).
  for_row_ranges(elementwise_threads(n, 1L << 14), n, [&](int, long i0, long i1) {
#ifdef LB_X86
    if (g_has_avx2) i0 = adam_update_avx2(w, m, v, g, i0, i1, p, nw, nm, nv);
#endif
    for (long i = i0; i < i1; i++) {
      const float gi = g[i];
      const float m1 = m[i] * b1, m2 = gi * omb1;
      const float mi = m1 + m2;
      const float sq = gi * gi;
      const float v1 = v[i] * b2, v2 = sq * omb2;
      const float vi = v1 + v2;
      const float mh = mi / c1, vh = vi / c2;
      const float den = std::sqrt(vh) + eps;
      const float step = (mh / den) * nlr;
      nw[i] = step + w[i];
      nm[i] = mi;
      nv[i] = vi;
    }
  });
}

// ---------------------------------------------------------------------------------------
// N-API glue.

struct Heap {
  float* data;
  size_t length;  // in floats
};

#define NAPI_OK(call)                                      \
  do {                                                     \
    if ((call) != napi_ok) throw ArgError("N-API call failed: " #call); \
  } while (0)

struct ArgError {
  std::string msg;
  explicit ArgError(std::string m) : msg(std::move(m)) {}
};

template <size_t N>
struct Args {
  napi_value v[N];
  size_t argc = N;
  Args(napi_env env, napi_callback_info info, size_t required) {
    NAPI_OK(napi_get_cb_info(env, info, &argc, v, nullptr, nullptr));
    if (argc < required) throw ArgError("expected " + std::to_string(required) + " arguments");
  }
};

Heap get_heap(napi_env env, napi_value v) {
  bool is_ta = false;
  NAPI_OK(napi_is_typedarray(env, v, &is_ta));
  if (!is_ta) throw ArgError("heap must be a Float32Array");
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value ab;
  size_t off;
  NAPI_OK(napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &off));
  if (type != napi_float32_array) throw ArgError("heap must be a Float32Array");
  return {static_cast<float*>(data), length};
}

const int32_t* get_i32(napi_env env, napi_value v, size_t need) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value ab;
  size_t off;
  bool is_ta = false;
  NAPI_OK(napi_is_typedarray(env, v, &is_ta));
  if (!is_ta) throw ArgError("geometry must be an Int32Array");
  NAPI_OK(napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &off));
  if (type != napi_int32_array || length < need) throw ArgError("geometry must be an Int32Array of length " + std::to_string(need));
  return static_cast<const int32_t*>(data);
}

long get_int(napi_env env, napi_value v) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) throw ArgError("expected a number");
  return static_cast<long>(d);
}
double get_num(napi_env env, napi_value v) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) throw ArgError("expected a number");
  return d;
}
bool get_bool(napi_env env, napi_value v) {
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) throw ArgError("expected a boolean");
  return b;
}

/** Checks that a rows x cols matrix with leading dimension ld at offset off lies inside the heap. */
void check_span(const Heap& h, long off, long rows, long cols, long ld, const char* what) {
  if (rows <= 0 || cols <= 0) return;
  if (off < 0 || ld < cols) throw ArgError(std::string(what) + ": bad offset or leading dimension");
  const long end = off + (rows - 1) * ld + cols;
  if (static_cast<size_t>(end) > h.length) throw ArgError(std::string(what) + " lies outside the heap");
}

/** n contiguous floats at off lie inside the heap. */
void check_flat(const Heap& h, long off, long n, const char* what) { check_span(h, off, 1, n, n, what); }

template <class F>
napi_value guarded(napi_env env, F&& f) {
  try {
    return f();
  } catch (const ArgError& e) {
    napi_throw_error(env, "LIPBENCH_NATIVE", e.msg.c_str());
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, "LIPBENCH_NATIVE", "out of memory");
  }
  return nullptr;
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// sgemm(heap, transA, transB, M, N, K, alpha, aOff, lda, bOff, ldb, beta, cOff, ldc, biasOff, act)
napi_value js_sgemm(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<16> a(env, info, 16);
    const Heap h = get_heap(env, a.v[0]);
    const bool ta = get_bool(env, a.v[1]), tb = get_bool(env, a.v[2]);
    const long M = get_int(env, a.v[3]), N = get_int(env, a.v[4]), K = get_int(env, a.v[5]);
    const float alpha = static_cast<float>(get_num(env, a.v[6]));
    const long aOff = get_int(env, a.v[7]), lda = get_int(env, a.v[8]);
    const long bOff = get_int(env, a.v[9]), ldb = get_int(env, a.v[10]);
    const float beta = static_cast<float>(get_num(env, a.v[11]));
    const long cOff = get_int(env, a.v[12]), ldc = get_int(env, a.v[13]);
    const long biasOff = get_int(env, a.v[14]);
    const int act = static_cast<int>(get_int(env, a.v[15]));
    if (M < 0 || N < 0 || K < 0 || M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) throw ArgError("bad GEMM sizes");
    if (K > 0) {
      check_span(h, aOff, ta ? K : M, ta ? M : K, lda, "A");
      check_span(h, bOff, tb ? N : K, tb ? K : N, ldb, "B");
    }
    check_span(h, cOff, M, N, ldc, "C");
    if (biasOff >= 0) check_flat(h, biasOff, N, "bias");
    const float* bias = biasOff >= 0 ? h.data + biasOff : nullptr;
    if ((M == 1 || N == 1) && K > 0) {
      dense_gemv(h.data + aOff, lda, ta, h.data + bOff, ldb, tb, M, N, K, alpha, beta, h.data + cOff, ldc, bias, act);
      return undefined(env);
    }
    gemm(DenseA{h.data + aOff, lda, ta}, DenseB{h.data + bOff, ldb, tb}, static_cast<int>(M), static_cast<int>(N),
         static_cast<int>(K), alpha, beta, h.data + cOff, ldc, bias, act);
    return undefined(env);
  });
}

ConvGeom read_geom(napi_env env, napi_value v) {
  const int32_t* g = get_i32(env, v, 14);
  ConvGeom c{g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13]};
  if (c.n < 0 || c.h < 1 || c.w < 1 || c.c < 1 || c.kh < 1 || c.kw < 1 || c.oh < 0 || c.ow < 0 || c.sh < 1 || c.sw < 1 ||
      c.dh < 1 || c.dw < 1) {
    throw ArgError("bad convolution geometry");
  }
  return c;
}

// conv2d(heap, geom, xOff, fOff, co, biasOff, yOff, act): y[P, co] = im2col(x) * f[K, co] (+bias, relu)
napi_value js_conv2d(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<8> a(env, info, 8);
    const Heap h = get_heap(env, a.v[0]);
    const ConvGeom g = read_geom(env, a.v[1]);
    const long xOff = get_int(env, a.v[2]), fOff = get_int(env, a.v[3]), co = get_int(env, a.v[4]);
    const long biasOff = get_int(env, a.v[5]), yOff = get_int(env, a.v[6]);
    const int act = static_cast<int>(get_int(env, a.v[7]));
    const long P = g.pixels(), K = g.kdim();
    if (co < 1) throw ArgError("bad output channels");
    check_flat(h, xOff, g.in_size(), "x");
    check_span(h, fOff, K, co, co, "filter");
    check_span(h, yOff, P, co, co, "y");
    if (biasOff >= 0) check_flat(h, biasOff, co, "bias");
    if (P > INT32_MAX) throw ArgError("too many output pixels");
    const KTable t(g);
    gemm(Im2colA{h.data + xOff, &g, &t}, DenseB{h.data + fOff, co, false}, static_cast<int>(P), static_cast<int>(co),
         static_cast<int>(K), 1.f, 0.f, h.data + yOff, co, biasOff >= 0 ? h.data + biasOff : nullptr, act);
    return undefined(env);
  });
}

// conv2dBackpropFilter(heap, geom, xOff, dyOff, co, dwOff): dw[K, co] = im2col(x)^T * dy[P, co]
napi_value js_conv2d_bf(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<6> a(env, info, 6);
    const Heap h = get_heap(env, a.v[0]);
    const ConvGeom g = read_geom(env, a.v[1]);
    const long xOff = get_int(env, a.v[2]), dyOff = get_int(env, a.v[3]), co = get_int(env, a.v[4]);
    const long dwOff = get_int(env, a.v[5]);
    const long P = g.pixels(), K = g.kdim();
    if (co < 1) throw ArgError("bad output channels");
    check_flat(h, xOff, g.in_size(), "x");
    check_span(h, dyOff, P, co, co, "dy");
    check_span(h, dwOff, K, co, co, "dw");
    if (P > INT32_MAX) throw ArgError("too many output pixels");
    const KTable t(g);
    if (K < g_isa.nr) {
      // Few filter taps (e.g. one input channel): K rows of cols^T against dy.
      gemm(Im2colAT{h.data + xOff, &g, &t}, DenseB{h.data + dyOff, co, false}, static_cast<int>(K), static_cast<int>(co),
           static_cast<int>(P), 1.f, 0.f, h.data + dwOff, co, nullptr, 0);
      return undefined(env);
    }
    // dW^T[co, K] = dy^T * cols: the gathered operand packs as contiguous channel runs.
    std::vector<float> dwt(static_cast<size_t>(co) * K);
    gemm(DenseA{h.data + dyOff, co, true}, Im2colB{h.data + xOff, &g, &t}, static_cast<int>(co), static_cast<int>(K),
         static_cast<int>(P), 1.f, 0.f, dwt.data(), K, nullptr, 0);
    float* dw = h.data + dwOff;
    for (long k = 0; k < K; k++) for (long o = 0; o < co; o++) dw[k * co + o] = dwt[o * K + k];
    return undefined(env);
  });
}

// conv2dBackpropInput(heap, geom, dyOff, fOff, co, dxOff): dx = col2im(dy[P, co] * f[K, co]^T)
napi_value js_conv2d_bi(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<6> a(env, info, 6);
    const Heap h = get_heap(env, a.v[0]);
    const ConvGeom g = read_geom(env, a.v[1]);
    const long dyOff = get_int(env, a.v[2]), fOff = get_int(env, a.v[3]), co = get_int(env, a.v[4]);
    const long dxOff = get_int(env, a.v[5]);
    const long P = g.pixels(), K = g.kdim();
    if (co < 1) throw ArgError("bad output channels");
    check_span(h, dyOff, P, co, co, "dy");
    check_span(h, fOff, K, co, co, "filter");
    check_flat(h, dxOff, g.in_size(), "dx");
    const KTable t(g);
    conv_backprop_input(g, t, h.data + dyOff, h.data + fOff, static_cast<int>(co), h.data + dxOff);
    return undefined(env);
  });
}

/** A reduction's arguments (heap, xOff, rows, cols, outOff) over a row-major [rows, cols] block, checked. */
struct ReduceArgs {
  Heap h;
  long xOff, rows, cols, outOff;
};

/** Reads and checks a reduction's arguments; the output holds one float per row (perRow) or per column. */
ReduceArgs reduce_args(napi_env env, napi_callback_info info, bool perRow) {
  Args<5> a(env, info, 5);
  const ReduceArgs r{get_heap(env, a.v[0]), get_int(env, a.v[1]), get_int(env, a.v[2]), get_int(env, a.v[3]), get_int(env, a.v[4])};
  if (r.rows < 0 || r.cols < 0) throw ArgError("bad sizes");
  check_span(r.h, r.xOff, r.rows, r.cols, r.cols, "x");
  check_flat(r.h, r.outOff, perRow ? r.rows : r.cols, "out");
  return r;
}

// sumRows(heap, xOff, rows, cols, outOff): out[j] = sum_i x[i, j]; see sum_rows
napi_value js_sum_rows(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    const ReduceArgs r = reduce_args(env, info, false);
    if (r.cols == 0) return undefined(env);
    if (r.rows == 0) { std::memset(r.h.data + r.outOff, 0, r.cols * sizeof(float)); return undefined(env); }
    sum_rows(r.h.data + r.xOff, r.rows, r.cols, r.h.data + r.outOff);
    return undefined(env);
  });
}

// sumInner(heap, xOff, rows, len, outOff): out[i] = sum_j x[i, j]; see sum_inner
napi_value js_sum_inner(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    const ReduceArgs r = reduce_args(env, info, true);
    if (r.rows == 0) return undefined(env);
    sum_inner(r.h.data + r.xOff, r.rows, r.cols, r.h.data + r.outOff);
    return undefined(env);
  });
}

// maxPoolGrad(heap, geom, xOff, dyOff, dxOff): see max_pool_grad; geom as conv2d's, kh/kw the pool size
napi_value js_max_pool_grad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<5> a(env, info, 5);
    const Heap h = get_heap(env, a.v[0]);
    const ConvGeom g = read_geom(env, a.v[1]);
    const long xOff = get_int(env, a.v[2]), dyOff = get_int(env, a.v[3]), dxOff = get_int(env, a.v[4]);
    check_flat(h, xOff, g.in_size(), "x");
    check_flat(h, dyOff, g.pixels() * g.c, "dy");
    check_flat(h, dxOff, g.in_size(), "dx");
    max_pool_grad(g, h.data + xOff, h.data + dyOff, h.data + dxOff);
    return undefined(env);
  });
}

// avgPoolGrad(heap, geom, dyOff, dxOff): see avg_pool_grad; geom as conv2d's, kh/kw the pool size
napi_value js_avg_pool_grad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<4> a(env, info, 4);
    const Heap h = get_heap(env, a.v[0]);
    const ConvGeom g = read_geom(env, a.v[1]);
    const long dyOff = get_int(env, a.v[2]), dxOff = get_int(env, a.v[3]);
    check_flat(h, dyOff, g.pixels() * g.c, "dy");
    check_flat(h, dxOff, g.in_size(), "dx");
    avg_pool_grad(g, h.data + dyOff, h.data + dxOff);
    return undefined(env);
  });
}

// maxMin(heap, xOff, rows, c, yOff): MaxMin over the last axis of a [rows, c] block, c even
napi_value js_max_min(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<5> a(env, info, 5);
    const Heap h = get_heap(env, a.v[0]);
    const long xOff = get_int(env, a.v[1]), rows = get_int(env, a.v[2]), c = get_int(env, a.v[3]);
    const long yOff = get_int(env, a.v[4]);
    if (rows < 0 || c < 0 || c % 2 != 0) throw ArgError("bad sizes (c must be even)");
    check_span(h, xOff, rows, c, c, "x");
    check_span(h, yOff, rows, c, c, "y");
    if (rows > 0 && c > 0) max_min(h.data + xOff, rows, c, h.data + yOff);
    return undefined(env);
  });
}

// maxMinGrad(heap, xOff, dyOff, rows, c, dxOff): the input gradient of maxMin
napi_value js_max_min_grad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<6> a(env, info, 6);
    const Heap h = get_heap(env, a.v[0]);
    const long xOff = get_int(env, a.v[1]), dyOff = get_int(env, a.v[2]), rows = get_int(env, a.v[3]);
    const long c = get_int(env, a.v[4]), dxOff = get_int(env, a.v[5]);
    if (rows < 0 || c < 0 || c % 2 != 0) throw ArgError("bad sizes (c must be even)");
    check_span(h, xOff, rows, c, c, "x");
    check_span(h, dyOff, rows, c, c, "dy");
    check_span(h, dxOff, rows, c, c, "dx");
    if (rows > 0 && c > 0) max_min_grad(h.data + xOff, h.data + dyOff, rows, c, h.data + dxOff);
    return undefined(env);
  });
}

// adamUpdate(heap, wOff, mOff, vOff, gOff, n, params, nwOff, nmOff, nvOff): see adam_update
napi_value js_adam_update(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<10> a(env, info, 10);
    const Heap h = get_heap(env, a.v[0]);
    const long n = get_int(env, a.v[5]);
    if (n < 0) throw ArgError("bad size");
    long off[7];
    const int at[7] = {1, 2, 3, 4, 7, 8, 9};
    const char* what[7] = {"w", "m", "v", "g", "new w", "new m", "new v"};
    for (int i = 0; i < 7; i++) {
      off[i] = get_int(env, a.v[at[i]]);
      check_flat(h, off[i], n, what[i]);
    }
    const Heap p = get_heap(env, a.v[6]);
    if (p.length < 8) throw ArgError("params must be a Float32Array of length 8");
    if (n > 0) adam_update(h.data + off[0], h.data + off[1], h.data + off[2], h.data + off[3], n, p.data,
                           h.data + off[4], h.data + off[5], h.data + off[6]);
    return undefined(env);
  });
}

// binary(heap, op, aOff, aLen, bOff, bLen, n, outOff): op 0 add, 1 sub, 2 mul; aLen and bLen
// are n or 1 (a broadcast value).
napi_value js_binary(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<8> a(env, info, 8);
    const Heap h = get_heap(env, a.v[0]);
    const long op = get_int(env, a.v[1]);
    const long aOff = get_int(env, a.v[2]), aLen = get_int(env, a.v[3]);
    const long bOff = get_int(env, a.v[4]), bLen = get_int(env, a.v[5]);
    const long n = get_int(env, a.v[6]), outOff = get_int(env, a.v[7]);
    if (op < 0 || op > 2) throw ArgError("unknown binary op");
    if (n < 0 || (aLen != n && aLen != 1) || (bLen != n && bLen != 1)) throw ArgError("bad binary sizes");
    check_flat(h, aOff, aLen, "a");
    check_flat(h, bOff, bLen, "b");
    check_flat(h, outOff, n, "out");
    if (n > 0) binary_op(static_cast<int>(op), h.data + aOff, aLen == 1 && n > 1, h.data + bOff, bLen == 1 && n > 1, n, h.data + outOff);
    return undefined(env);
  });
}

// clip(heap, xOff, n, lo, hi, outOff)
napi_value js_clip(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<6> a(env, info, 6);
    const Heap h = get_heap(env, a.v[0]);
    const long xOff = get_int(env, a.v[1]), n = get_int(env, a.v[2]), outOff = get_int(env, a.v[5]);
    const float lo = static_cast<float>(get_num(env, a.v[3])), hi = static_cast<float>(get_num(env, a.v[4]));
    if (n < 0) throw ArgError("bad size");
    check_flat(h, xOff, n, "x");
    check_flat(h, outOff, n, "out");
    if (n > 0) clip_values(h.data + xOff, n, lo, hi, h.data + outOff);
    return undefined(env);
  });
}

// linfStep(heap, xOff, xaOff, gOff, n, alpha, eps, outOff): see linf_step
napi_value js_linf_step(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<8> a(env, info, 8);
    const Heap h = get_heap(env, a.v[0]);
    const long xOff = get_int(env, a.v[1]), xaOff = get_int(env, a.v[2]), gOff = get_int(env, a.v[3]), n = get_int(env, a.v[4]);
    const float alpha = static_cast<float>(get_num(env, a.v[5])), eps = static_cast<float>(get_num(env, a.v[6]));
    const long outOff = get_int(env, a.v[7]);
    if (n < 0) throw ArgError("bad size");
    check_flat(h, xOff, n, "x");
    check_flat(h, xaOff, n, "xAdv");
    check_flat(h, gOff, n, "g");
    check_flat(h, outOff, n, "out");
    if (n > 0) linf_step(h.data + xOff, h.data + xaOff, h.data + gOff, n, alpha, eps, h.data + outOff);
    return undefined(env);
  });
}

/** o[name] = a JavaScript number. */
void set_number(napi_env env, napi_value o, const char* name, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, o, name, n);
}

napi_value js_info(napi_env env, napi_callback_info) {
  napi_value o, isa;
  napi_create_object(env, &o);
  napi_create_string_utf8(env, g_isa.name, NAPI_AUTO_LENGTH, &isa);
  napi_set_named_property(env, o, "isa", isa);
  set_number(env, o, "threads", g_threads);
  set_number(env, o, "mr", g_isa.mr);
  set_number(env, o, "nr", g_isa.nr);
  set_number(env, o, "affinityCpus", g_plan.affinity);
  set_number(env, o, "quotaCpus", g_plan.quota);
  set_number(env, o, "parallelJobs", static_cast<double>(g_pool ? g_pool->jobs() : 0));
  set_number(env, o, "workerJoins", static_cast<double>(g_pool ? g_pool->joins() : 0));
  set_number(env, o, "bandedGradients", static_cast<double>(g_banded.load(std::memory_order_relaxed)));
  set_number(env, o, "columnSplits", static_cast<double>(g_col_splits.load(std::memory_order_relaxed)));
  set_number(env, o, "rowSplits", static_cast<double>(g_row_splits.load(std::memory_order_relaxed)));
  return o;
}

// setThreads(n): 1 .. pool size; returns the value in force.
napi_value js_set_threads(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<1> a(env, info, 1);
    const long n = get_int(env, a.v[0]);
    g_threads = static_cast<int>(std::max(1L, std::min<long>(n, g_pool->size())));
    napi_value r;
    napi_create_int32(env, g_threads, &r);
    return r;
  });
}

// setIsa(name): switches the micro-kernel ("avx512", "avx2", "generic"); returns the one in
// force, which is lower than asked when the CPU lacks it. Lets one process test every path.
napi_value js_set_isa(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<1> a(env, info, 1);
    char buf[32];
    size_t len = 0;
    if (napi_get_value_string_utf8(env, a.v[0], buf, sizeof buf, &len) != napi_ok) throw ArgError("expected an ISA name");
    const std::string want(buf, len);
    if (want != "avx512" && want != "avx2" && want != "generic") throw ArgError("unknown ISA " + want + " (avx512, avx2, generic)");
    g_isa = pick_isa(want);
    napi_value r;
    napi_create_string_utf8(env, g_isa.name, NAPI_AUTO_LENGTH, &r);
    return r;
  });
}

/**
 * The shared part of fmaPeak and kernelPeak: reads (iters[, threads]) and runs `iters` units
 * of work per thread on `threads` pool threads (default 1: the calling thread; at most the
 * pool's size, so asking for more counts fewer flops, never more), cut into 8
 * items per thread pulled as the GEMM pulls its items, so a worker that joins late or not
 * at all shows as a longer time for the same flops, never as fewer flops counted: the
 * measured rate is what the pool actually delivered. work(item, n) does n units and
 * returns their flops; prepare(items) runs first, on the calling thread.
 */
template <class Prepare, class Work>
napi_value peak_items(napi_env env, napi_callback_info info, Prepare&& prepare, Work&& work) {
  Args<2> a(env, info, 1);
  const long iters = get_int(env, a.v[0]);
  const int want = a.argc > 1 ? static_cast<int>(get_int(env, a.v[1])) : 1;
  if (want < 1 || iters < 0) throw ArgError("bad iterations or thread count");
  const int nt = std::min(want, g_threads);
  const int items = 8 * nt;  // one thread runs all the items itself
  prepare(items);
  std::vector<double> done(static_cast<size_t>(items), 0.0);
  run_items(nt, items, [&](int, int item) {
    const long k = item % 8;  // eighths of one thread's iterations, so nt * iters in all
    done[static_cast<size_t>(item)] = work(item, iters * (k + 1) / 8 - iters * k / 8);
  });
  double flops = 0;
  for (double d : done) flops += d;
  napi_value r;
  napi_create_double(env, flops, &r);
  return r;
}

// fmaPeak(iters[, threads]): flops of the register-only FMA loop, `iters` iterations per
// thread (0 on the generic ISA, which has no such loop); the caller times it.
napi_value js_fma_peak(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    const std::string isa = g_isa.name;
    return peak_items(env, info, [](int) {}, [&](int, long n) {
#ifdef LB_X86
      return isa == "avx512" ? fma_burn_avx512(n) : isa == "avx2" ? fma_burn_avx2(n) : 0.0;
#else
      (void)n;
      return 0.0;
#endif
    });
  });
}

// kernelPeak(iters[, threads]): flops of `iters` calls per thread of the selected ISA's full
// GEMM micro-kernel on one tile whose packed A and B (kc chosen so they take at most 24 KB)
// stay in L1, accumulating into C (beta 1). It is the ceiling a whole GEMM could reach with
// every load an L1 hit. The register-only loop above does no loads, and the two can part:
// on the Zen 3 VM the kernel ran at 0.87-0.99 of the loop depending on the VM's phase (why,
// the VM's lack of performance counters did not let me tell), which fmaPeak alone hides.
// The tiles are kept between calls (per calling thread), so a timed call does not page-fault.
napi_value js_kernel_peak(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    const Isa isa = g_isa;
    const int MR = isa.mr, NR = isa.nr;
    const int kc = std::min(256, 6144 / (MR + NR) / 16 * 16);
    // A tile per item, whole lines apart, so that threads share no line. Powers of two:
    // every product and sum is exact, and C's growth stays far from overflow.
    const long na = static_cast<long>(MR) * kc, nb = static_cast<long>(NR) * kc;
    const long tile = (na + nb + MR * NR + 15) / 16 * 16;
    // The calling thread's buffer; the items, on pool threads, see it through `tiles`
    // (a thread_local named there would be each worker's own, empty one).
    thread_local float* buf = nullptr;
    thread_local size_t cap = 0;
    float* tiles = nullptr;
    return peak_items(env, info,
                      [&](int items) {
                        tiles = Workspace::grow(buf, cap, static_cast<size_t>(items * tile));
                        for (int i = 0; i < items; i++) {
                          std::fill_n(tiles + i * tile, na + nb, 1.f / 1024);
                          std::fill_n(tiles + i * tile + na + nb, tile - na - nb, 0.f);
                        }
                      },
                      [&](int item, long calls) {
                        float* t = tiles + item * tile;
                        for (long c = 0; c < calls; c++) isa.kern(kc, t, t + na, t + na + nb, NR, 1.f);
                        return 2.0 * MR * NR * kc * calls;
                      });
  });
}

std::string get_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) throw ArgError("expected a string");
  std::string s(len, '\0');
  napi_get_value_string_utf8(env, v, s.data(), len + 1, &len);
  return s;
}

// planThreads(affinity, hw, cgroupRoot, selfCgroup, env): the pool-size logic of load time on
// given inputs (a faked affinity count, a directory of fake cgroup files, /proc/self/cgroup
// text, LIPBENCH_NATIVE_THREADS or null) -> { threads, quota }.
napi_value js_plan_threads(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args<5> a(env, info, 5);
    const int affinity = static_cast<int>(get_int(env, a.v[0])), hw = static_cast<int>(get_int(env, a.v[1]));
    const int quota = cgroup_cpu_limit(get_string(env, a.v[2]), get_string(env, a.v[3]));
    napi_valuetype t;
    NAPI_OK(napi_typeof(env, a.v[4], &t));
    const std::string e = t == napi_string ? get_string(env, a.v[4]) : "";
    napi_value o, thr, q;
    napi_create_object(env, &o);
    napi_create_int32(env, plan_threads(affinity, hw, quota, t == napi_string ? e.c_str() : nullptr), &thr);
    napi_create_int32(env, quota, &q);
    napi_set_named_property(env, o, "threads", thr);
    napi_set_named_property(env, o, "quota", q);
    return o;
  });
}

}  // namespace

NAPI_MODULE_INIT() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_isa = detect_isa();
#ifdef LB_X86
    g_has_avx2 = __builtin_cpu_supports("avx2");
#endif
    g_plan = detect_threads();
    g_pool = new Pool(g_plan.threads - 1);  // intentionally leaked: detached workers outlive unloading
    g_threads = g_plan.threads;
  });
  const struct { const char* name; napi_callback cb; } fns[] = {
      {"sgemm", js_sgemm},
      {"conv2d", js_conv2d},
      {"conv2dBackpropFilter", js_conv2d_bf},
      {"conv2dBackpropInput", js_conv2d_bi},
      {"sumRows", js_sum_rows},
      {"sumInner", js_sum_inner},
      {"maxMin", js_max_min},
      {"maxPoolGrad", js_max_pool_grad},
      {"avgPoolGrad", js_avg_pool_grad},
      {"maxMinGrad", js_max_min_grad},
      {"adamUpdate", js_adam_update},
      {"binary", js_binary},
      {"clip", js_clip},
      {"linfStep", js_linf_step},
      {"info", js_info},
      {"setThreads", js_set_threads},
      {"setIsa", js_set_isa},
      {"planThreads", js_plan_threads},
      {"fmaPeak", js_fma_peak},
      {"kernelPeak", js_kernel_peak},
  };
  for (const auto& f : fns) {
    napi_value fn;
    if (napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn) != napi_ok) return nullptr;
    if (napi_set_named_property(env, exports, f.name, fn) != napi_ok) return nullptr;
  }
  return exports;
}
