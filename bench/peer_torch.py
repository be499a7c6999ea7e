#!/usr/bin/env python3
"""The PyTorch side of `npm run bench -- peer`: the seed's nine architectures built from its corrected cfg
tables (../shared/seed/architectures.json), timed on this CPU as the seed trains them (SGD, momentum 0.9,
nesterov, weight decay 5e-4, cross-entropy) and in inference. A measurement aid only: nothing in quantscope
depends on Python. Prints one JSON object per model on stdout.

usage: peer_torch.py ARCHITECTURES_JSON BATCH MODEL[,MODEL...]
"""
import json
import os
import sys
import time

import torch
import torch.nn as nn


def conv_unit(e):
    """A table conv row: conv (+ BN, + ReLU/ReLU6 from its "after" list)."""
    layers = [nn.Conv2d(e["in"], e["out"], e["kernel"], e.get("stride", 1), e.get("padding", 0),
                        groups=e.get("groups", 1), bias=e.get("bias", True))]
    for a in e.get("after", []):
        layers.append({"bn": lambda: nn.BatchNorm2d(e["out"]), "relu": lambda: nn.ReLU(inplace=True),
                       "relu6": lambda: nn.ReLU6(inplace=True)}[a]())
    return nn.Sequential(*layers)


def cbr(i, o, k, s=1, p=0, g=1, bias=False, act="relu"):
    layers = [nn.Conv2d(i, o, k, s, p, groups=g, bias=bias), nn.BatchNorm2d(o)]
    if act == "relu":
        layers.append(nn.ReLU(inplace=True))
    elif act == "relu6":
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class Residual(nn.Module):
    def __init__(self, body, shortcut, relu):
        super().__init__()
        self.body, self.shortcut, self.relu = body, shortcut, relu

    def forward(self, x):
        y = self.body(x) + (self.shortcut(x) if self.shortcut is not None else x)
        return torch.relu(y) if self.relu else y


class Inception(nn.Module):
    def __init__(self, c):
        super().__init__()
        i, b1, b2r, b2, b3r, b3, b4 = c
        self.b1 = cbr(i, b1, 1)
        self.b2 = nn.Sequential(cbr(i, b2r, 1), cbr(b2r, b2, 3, p=1))
        self.b3 = nn.Sequential(cbr(i, b3r, 1), cbr(b3r, b3, 5, p=2))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.ReLU(), cbr(i, b4, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


def block(kind, row):
    if kind == "basic":
        down, i, p, o, s, _ = row
        body = nn.Sequential(cbr(i, p, 3, s, 1), cbr(p, p, 3, 1, 1, act=None))
        return Residual(body, cbr(i, o, 1, s, act=None) if down else None, True)
    if kind == "bottleneck":
        down, i, p, o, s, _ = row
        body = nn.Sequential(cbr(i, p, 1), cbr(p, p, 3, s, 1), cbr(p, o, 1, act=None))
        return Residual(body, cbr(i, o, 1, s, act=None) if down else None, True)
    if kind == "inverted_residual":
        ident, i, o, h, s, _ = row
        body = nn.Sequential(cbr(i, h, 1, bias=True, act="relu6"), cbr(h, h, 3, s, 1, g=h, bias=True, act="relu6"),
                             cbr(h, o, 1, bias=True, act=None))
        return Residual(body, None, False) if ident else body
    raise ValueError(f"unknown block kind {kind}")


def build(tables, name):
    blocks = tables["blocks"]
    layers = []
    for e in tables["models"][name]:
        op = e["op"]
        if op == "conv":
            layers.append(conv_unit(e))
        elif op == "relu":
            layers.append(nn.ReLU(inplace=True))
        elif op == "maxpool":
            layers.append(nn.MaxPool2d(e["kernel"], e["stride"], e.get("padding", 0)))
        elif op == "adaptive_avgpool":
            layers.append(nn.AdaptiveAvgPool2d(e.get("output", 1)))
        elif op == "flatten":
            layers.append(nn.Flatten())
        elif op == "dropout":
            layers.append(nn.Dropout(e.get("p", 0.5)))
        elif op == "linear":
            layers.append(nn.Linear(e["in"], e["out"], bias=e.get("bias", True)))
        elif op == "inception":
            layers.append(Inception(blocks["inception"]["channels"][e["index"]]))
        elif op == "stage":
            rows = next(v for k, v in blocks[e["block"]].items() if k.startswith("rows"))
            s = e["stage"]
            layers += [block(e["block"], rows[2 * s if b == 0 else 2 * s + 1]) for b in range(e["blocks"])]
        else:
            raise ValueError(f"{name}: unknown op {op}")
    return nn.Sequential(*layers)


def time_it(fn, reps):
    """Each rep's seconds, after one untimed rep (the engine's side times the same way)."""
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def median(xs):
    return sorted(xs)[len(xs) // 2]


def main():
    tables = json.load(open(sys.argv[1]))
    batch = int(sys.argv[2])
    # every core, as the engine gets (Debian's torch defaults to 1 thread here); PEER_TORCH_THREADS overrides
    torch.set_num_threads(int(os.environ.get("PEER_TORCH_THREADS", os.cpu_count() or 1)))
    for name in sys.argv[3].split(","):
        torch.manual_seed(0)
        model = build(tables, name)
        x = torch.randn(batch, 3, 32, 32)
        y = torch.randint(0, 10, (batch,))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()

        model.train()
        train_s = time_it(step, int(os.environ.get("PEER_TRAIN_REPS", 3)))
        model.eval()
        with torch.no_grad():
            infer_s = time_it(lambda: model(x), int(os.environ.get("PEER_INFER_REPS", 5)))
        params = sum(p.numel() for p in model.parameters())
        print(json.dumps({"model": name, "batch": batch, "params": params, "train_img_s": batch / median(train_s),
                          "infer_img_s": batch / median(infer_s), "train_img_s_best": batch / min(train_s),
                          "infer_img_s_best": batch / min(infer_s), "threads": torch.get_num_threads(),
                          "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
