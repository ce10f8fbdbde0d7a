#!/usr/bin/python3
"""Tessera's independent cross-check of ACCORDION's R1 and R2 (spec section 6) in PyTorch.

Written from the spec alone, sharing no code and no random streams with the C# trainer, to tell a defect of the
trainer from a property of the setting: the spec's FMNIST-CNN on 8,000 Fashion-MNIST images, W = 4 simulated workers
(32 images each per step, gradients reduced in rank order), per-tensor PowerSGD (warm start, Gram-Schmidt, error
feedback) or averaged TopK with error feedback, heavy-ball SGD with weight decay after aggregation, and the per-tensor
detector with the LR-decay override. One JSON line per epoch, then a summary line.

    apt-get install python3-torch dataset-fashion-mnist
    bench/accordion-crosscheck.py topk accordion 42          # KIND (topk | powersgd) MODE (none | low | high | accordion) SEED [EPOCHS]

HIGH_TENSORS=conv1.weight,fc.weight with MODE high puts only the named tensors at the high level (the others at the low
level), to see which tensors' compression costs the accuracy.
"""
import gzip
import json
import math
import os
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as missing:
    sys.exit(f"{missing}: run it with Debian's /usr/bin/python3 after apt-get install python3-torch")

USAGE = "usage: accordion-crosscheck.py topk|powersgd none|low|high|accordion SEED [EPOCHS]"
if len(sys.argv) not in (4, 5) or sys.argv[1] not in ("topk", "powersgd") or sys.argv[2] not in ("none", "low", "high", "accordion"):
    sys.exit(USAGE)
KIND, MODE, SEED = sys.argv[1], sys.argv[2], int(sys.argv[3])
EPOCHS = int(sys.argv[4]) if len(sys.argv) == 5 else 30
WORKERS, BATCH, INTERVAL, ETA, MOMENTUM, WEIGHT_DECAY = 4, 32, 3, 0.5, 0.9, 1e-4
LOW, HIGH = (0.99, 0.02) if KIND == "topk" else (4, 1)
HIGH_TENSORS = os.environ.get("HIGH_TENSORS", "")
DATA = "/usr/share/datasets/fashion-mnist/"
MEAN, STD = 0.2860, 0.3530

torch.set_num_threads(1)                  # two of these side by side fill a 2-core machine
torch.backends.mkldnn.enabled = True      # Debian's libtorch has a reference BLAS: without oneDNN convolutions are ~18x slower


def read_idx(name):
    try:
        with gzip.open(DATA + name) as f:
            data = f.read()
    except FileNotFoundError:
        sys.exit(f"{DATA + name} is missing: apt-get install dataset-fashion-mnist")
    magic, count = int.from_bytes(data[0:4], "big"), int.from_bytes(data[4:8], "big")
    if magic == 0x803:
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, 28, 28)
    return np.frombuffer(data, np.uint8, offset=8)


def normalise(images):
    return ((torch.tensor(images, dtype=torch.float32) / 255.0 - MEAN) / STD).unsqueeze(1)


train_images, train_labels = read_idx("train-images-idx3-ubyte.gz"), read_idx("train-labels-idx1-ubyte.gz")
keep = np.sort(np.concatenate([np.where(train_labels == c)[0][:800] for c in range(10)]))   # first 800 of each class
x_train, y_train = normalise(train_images[keep]), torch.tensor(train_labels[keep], dtype=torch.long)
x_test = normalise(read_idx("t10k-images-idx3-ubyte.gz"))
y_test = torch.tensor(read_idx("t10k-labels-idx1-ubyte.gz"), dtype=torch.long)


class FmnistCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32)
        self.conv2, self.bn2 = nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64)
        self.conv3, self.bn3 = nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(F.relu(self.bn3(self.conv3(x))).mean((2, 3)))


def augment(x, gen):
    """Random 28x28 crop of the image zero-padded by 2 (zero in pixel space), then a horizontal flip with p = 0.5."""
    n = x.shape[0]
    padded = F.pad(x, (2, 2, 2, 2), value=-MEAN / STD)
    dx, dy = torch.randint(0, 5, (n,), generator=gen), torch.randint(0, 5, (n,), generator=gen)
    flip = torch.rand(n, generator=gen) < 0.5
    out = torch.empty_like(x)
    for oy in range(5):
        for ox in range(5):
            chosen = (dy == oy) & (dx == ox)
            out[chosen] = padded[chosen, :, oy:oy + 28, ox:ox + 28]
    return torch.where(flip.view(n, 1, 1, 1), out.flip(-1), out)


def lr_at(epoch):
    lr = 0.025 * (1 + 3 * min(epoch / 2, 1))
    return lr * (0.01 if epoch >= 25 else 0.1 if epoch >= 15 else 1.0)


def test_accuracy(net):
    net.eval()
    with torch.no_grad():   # batches of 100: larger ones are much slower with Debian's libtorch
        correct = sum((net(x_test[i:i + 100]).argmax(1) == y_test[i:i + 100]).sum().item() for i in range(0, 10000, 100))
    net.train()
    return correct / 100.0


class Reducer:
    """Per-tensor compression with error feedback; ef[w][j] is worker w's memory of tensor j."""

    def __init__(self, params):
        self.params = params
        self.ef = [[torch.zeros_like(p) for p in params] for _ in range(WORKERS)]
        self.q = {}
        self.q_gen = [torch.Generator().manual_seed(1000 + j) for j in range(len(params))]

    def powersgd(self, j, rank, grads):
        p = self.params[j]
        rows = p.shape[0]
        r = min(rows, p.numel() // rows, rank)
        m = [(g + self.ef[w][j]).reshape(rows, -1) for w, g in enumerate(grads)]
        if j not in self.q or self.q[j].shape[1] != r:          # first use or a level change: a fresh Q
            self.q[j] = torch.randn(m[0].shape[1], r, generator=self.q_gen[j])
        p_sum = sum(mw @ self.q[j] for mw in m)
        for i in range(r):                                       # Gram-Schmidt with epsilon
            p_sum[:, i] /= p_sum[:, i].norm() + 1e-8
            for k in range(i + 1, r):
                p_sum[:, k] -= (p_sum[:, i] @ p_sum[:, k]) * p_sum[:, i]
        self.q[j] = sum(mw.t() @ p_sum for mw in m) / WORKERS
        out = p_sum @ self.q[j].t()
        for w in range(WORKERS):
            self.ef[w][j] = (m[w] - out).reshape(p.shape)
        return out.reshape(p.shape), (rows + m[0].shape[1]) * r

    def topk(self, j, fraction, grads):
        p = self.params[j]
        k = max(1, math.floor(fraction * p.numel()))
        out = torch.zeros(p.numel())
        for w, g in enumerate(grads):
            a = g.reshape(-1) + self.ef[w][j].reshape(-1)
            if 2 * k > a.numel():      # zero the numel - k smallest: the same set as the k largest, far faster at 99 %
                s = a.clone()
                s[a.abs().topk(a.numel() - k, largest=False).indices] = 0
            else:
                s = torch.zeros_like(a)
                chosen = a.abs().topk(k).indices
                s[chosen] = a[chosen]
            self.ef[w][j] = (a - s).reshape(p.shape)
            out += s
        return (out / WORKERS).reshape(p.shape), 2 * k * WORKERS


def main():
    torch.manual_seed(SEED)
    net = FmnistCnn()
    names, params = zip(*net.named_parameters())
    compressible = [p.dim() >= 2 for p in params]
    reducer = Reducer(params)
    unknown = set(HIGH_TENSORS.split(",")) - set(names) - {""}
    if unknown:
        sys.exit(f"HIGH_TENSORS names no tensor {sorted(unknown)}; the tensors are {', '.join(names)}")
    high = lambda name: MODE == "high" and (not HIGH_TENSORS or name in HIGH_TENSORS.split(","))
    levels = ["H" if high(name) else "L" for name in names]
    momentum = [None] * len(params)
    norms, level_map, floats, start = [], [], 0, time.time()
    steps = math.ceil(8000 // WORKERS / BATCH)
    for epoch in range(EPOCHS):
        gen = torch.Generator().manual_seed(SEED * 1000 + epoch)
        order = torch.randperm(8000, generator=gen)
        shards = [order[w::WORKERS] for w in range(WORKERS)]
        worker0_sum = [torch.zeros_like(p) for p in params]
        level_map.append("".join(lv for lv, c in zip(levels, compressible) if c))
        lr, loss_sum = lr_at(epoch), 0.0
        for step in range(steps):
            grads = []                                           # grads[w][j]
            for w in range(WORKERS):
                ids = shards[w][step * BATCH:(step + 1) * BATCH]
                net.zero_grad()
                loss = F.cross_entropy(net(augment(x_train[ids], gen)), y_train[ids])
                loss.backward()
                loss_sum += loss.item() / WORKERS
                grads.append([p.grad.detach().clone() for p in params])
            for j in range(len(params)):
                worker0_sum[j] += grads[0][j]                    # the detector's raw worker-0 gradient
            with torch.no_grad():
                for j, p in enumerate(params):
                    per_worker = [grads[w][j] for w in range(WORKERS)]
                    if not compressible[j] or MODE == "none":
                        out, cost = sum(per_worker) / WORKERS, p.numel()
                    elif KIND == "powersgd":
                        out, cost = reducer.powersgd(j, LOW if levels[j] == "L" else HIGH, per_worker)
                    else:
                        out, cost = reducer.topk(j, LOW if levels[j] == "L" else HIGH, per_worker)
                    floats += cost
                    d = out + WEIGHT_DECAY * p                   # weight decay and momentum after aggregation
                    momentum[j] = d.clone() if momentum[j] is None else momentum[j].mul_(MOMENTUM).add_(d)
                    p.add_(momentum[j], alpha=-lr)
        norms.append([s.norm().item() for s in worker0_sum])
        ratios = {}
        if MODE == "accordion" and epoch % INTERVAL == 0:
            for j in range(len(params)):
                old = norms[epoch - INTERVAL][j] if epoch > 0 else 0.0
                ratio = 9.0 if old == 0 else abs(old - norms[epoch][j]) / old
                ratios[names[j]] = round(ratio, 3)
                if compressible[j]:
                    levels[j] = "L" if ratio >= ETA else "H"
        if MODE == "accordion" and lr_at(epoch + 1) < lr_at(epoch):
            levels = ["L"] * len(params)                         # the LR-decay override wins over the check
        accuracy = test_accuracy(net) if (epoch + 1) % 3 == 0 or epoch == EPOCHS - 1 else None
        print(json.dumps({"epoch": epoch, "loss": round(loss_sum / steps, 4), "acc": accuracy, "floats": floats,
                          "levels": level_map[-1], "ratios": ratios, "s": round(time.time() - start, 1)}), flush=True)
    print(json.dumps({"kind": KIND, "mode": MODE, "seed": SEED, "final": accuracy, "floats": floats,
                      "level_map": ["".join(e[t] for e in level_map) for t in range(len(level_map[0]))]}), flush=True)


main()
