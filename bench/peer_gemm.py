#!/usr/bin/env python3
"""torch.matmul GFLOP/s on bench/gemm.ts's shapes (one JSON argument); prints {what: GFLOP/s,
"<what> cpu": GFLOP/s per process CPU-second}.

A yardstick only. Threads from LIPBENCH_PEER_THREADS; the ISA caps come from bench.ts's peerEnv.
"""
import json
import os
import statistics
import sys
import time

import torch

if os.environ.get("LIPBENCH_PEER_THREADS"):
    torch.set_num_threads(int(os.environ["LIPBENCH_PEER_THREADS"]))


def blas_lib():
    """The BLAS torch loaded: Debian's default libblas.so.3 is the slow reference one."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.split()[-1]}
    return ", ".join(sorted(libs)) or "unknown"


out = {}
for s in json.loads(sys.argv[1]):
    m, n, k = s["m"], s["n"], s["k"]
    a = torch.rand(k, m) - 0.5 if s["ta"] else torch.rand(m, k) - 0.5
    b = torch.rand(n, k) - 0.5 if s["tb"] else torch.rand(k, n) - 0.5
    a_op, b_op = (a.t() if s["ta"] else a), (b.t() if s["tb"] else b)
    c = torch.empty(m, n)
    torch.matmul(a_op, b_op, out=c)
    t0 = time.perf_counter()
    torch.matmul(a_op, b_op, out=c)
    inner = max(1, int(0.05 / max(time.perf_counter() - t0, 1e-5)))
    gf, gf_cpu = [], []
    for _ in range(7):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(inner):
            torch.matmul(a_op, b_op, out=c)
        gf.append(2 * m * n * k * inner / (time.perf_counter() - t0) / 1e9)
        gf_cpu.append(2 * m * n * k * inner / max(time.process_time() - c0, 1e-9) / 1e9)
    out[s["what"]] = statistics.median(gf)
    out[s["what"] + " cpu"] = statistics.median(gf_cpu)
print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), BLAS: {blas_lib()}", file=sys.stderr)
print(json.dumps(out))
