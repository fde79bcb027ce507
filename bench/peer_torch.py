#!/usr/bin/env python3
"""PyTorch peer for bench/bench.ts: the same workloads W1-W5, timed the same way.

A measurement yardstick only, never a lipbench dependency. Started by bench.ts with one
JSON argument {params, warmup}, it prints READY and then serves measurements as bench/child.ts does: one
{"workload", "reps"} JSON line on stdin, one `RESULT <json>` line on stdout; a workload
is set up and warmed up when first asked for, then warmed up REWARM runs before each
later measurement. Threads: torch's default unless LIPBENCH_PEER_THREADS is set.
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

if os.environ.get("LIPBENCH_PEER_THREADS"):
    torch.set_num_threads(int(os.environ["LIPBENCH_PEER_THREADS"]))
torch.manual_seed(0)
BACKEND = f"torch-{torch.__version__}-{torch.get_num_threads()}t"


def cnn():
    # conv3x3 1->32 same, ReLU, conv3x3 32->64 stride 2 (out 14x14), ReLU, flatten, dense 12544->10.
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(14 * 14 * 64, 10))


def sgd_step(model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def run():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()
    return run


def workloads(p):
    b = p["batch"]
    mlp = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    yield "W1", None, lambda: sgd_step(mlp, torch.rand(b, 784), torch.randint(0, 10, (b,)))

    yield "W2", None, lambda: sgd_step(cnn(), torch.rand(b, 1, 28, 28), torch.randint(0, 10, (b,)))

    def pgd():
        net = cnn()
        for q in net.parameters():
            q.requires_grad_(False)
        chunks = []
        for i in range(0, p["pgdInputs"], p["pgdChunk"]):
            n = min(p["pgdChunk"], p["pgdInputs"] - i)
            chunks.append((torch.rand(n, 1, 28, 28), torch.randint(0, 10, (n,))))
        eps, alpha = 0.3, 0.01

        def run():
            for x0, y in chunks:
                lo, hi = (x0 - eps).clamp(min=0), (x0 + eps).clamp(max=1)
                adv = x0.clone()
                for _ in range(p["pgdSteps"]):
                    adv.requires_grad_(True)
                    g, = torch.autograd.grad(F.cross_entropy(net(adv), y), adv)
                    adv = torch.minimum(torch.maximum(adv.detach() + alpha * g.sign(), lo), hi)
        return run
    yield "W3", None, pgd

    def power():
        k = torch.randn(64, 32, 3, 3)
        v0 = torch.randn(1, 32, 28, 28)

        def run():
            with torch.no_grad():
                v = v0
                for _ in range(p["powerIters"]):
                    u = F.conv2d(v, k, stride=2, padding=1)
                    w = F.conv_transpose2d(u, k, stride=2, padding=1, output_padding=1)
                    v = w / w.norm()
        return run
    yield "W4", None, power

    n = p["matmulSize"]
    for wid, ta, tb in (("W5", False, False), ("W5tA", True, False), ("W5tB", False, True)):
        def mm(ta=ta, tb=tb):
            a, c = torch.randn(n, n), torch.randn(n, n)

            def run():
                (a.t() if ta else a) @ (c.t() if tb else c)
            return run
        yield wid, 2 * n ** 3, mm


# bench/common.ts's REWARM
REWARM = 2


def failed(wid, msg):
    """One measurement's error result, as bench/child.ts writes it."""
    print("RESULT " + json.dumps({"workload": wid, "backend": BACKEND, "medianMs": None, "reps": 0,
                                  "description": "pytorch peer", "error": msg}), flush=True)


def main():
    req = json.loads(sys.argv[1])
    makers = {wid: (flops, make) for wid, flops, make in workloads(req["params"])}
    current, run = None, None
    print("READY", flush=True)
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        if not line.strip():
            continue
        cmd = json.loads(line)
        wid = cmd["workload"]
        if wid not in makers:
            failed(wid, f"no workload {wid}")
            continue
        flops, make = makers[wid]
        warmup = req["warmup"].get(wid, 1)
        try:
            if wid != current:
                current, run = None, None
                run = make()
                current = wid
            else:
                warmup = min(REWARM, warmup)
            for _ in range(warmup):
                run()
            times = []
            for _ in range(cmd["reps"]):
                t0 = time.perf_counter()
                run()
                times.append((time.perf_counter() - t0) * 1e3)
            if not times:
                raise ValueError("reps must be at least 1")
        except Exception as e:  # one failed measurement, reported as bench/child.ts does; the server goes on
            current = None
            failed(wid, (str(e).splitlines() or [type(e).__name__])[0])
            continue
        med = statistics.median(times)
        res = {"workload": wid, "backend": BACKEND, "medianMs": med, "reps": len(times), "description": "pytorch peer"}
        if flops:
            res["gflops"] = flops / med / 1e6
        print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
