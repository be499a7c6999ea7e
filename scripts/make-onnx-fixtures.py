#!/usr/bin/env python3
"""Writes the ONNX fixtures once (Debian's python3-torch 1.13 and python3-onnx): two small CIFAR CNNs that are not
in quantscope's table, exported with torch.onnx.export (opset 13), and PyTorch's logits on a fixed batch.
  test/fixtures/onnx/resnet20.onnx   ResNet-20 (He et al.'s CIFAR net: 3 stages x 3 basic blocks, 16/32/64)
  test/fixtures/onnx/vgg11bn.onnx    VGG-11 with BN, channels / 4, BatchNormalization kept as its own node
  test/fixtures/onnx/logits.json     {name: logits[4][10]} on x[i] = sin(0.37 i) * 1.5, NCHW [4, 3, 32, 32]
usage: /usr/bin/python3 scripts/make-onnx-fixtures.py
"""
import json
import math
import os

import torch
import torch.nn as nn

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "onnx")


class Basic(nn.Module):
    def __init__(self, i, o, s):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(i, o, 3, s, 1, bias=False), nn.BatchNorm2d(o)
        self.c2, self.b2 = nn.Conv2d(o, o, 3, 1, 1, bias=False), nn.BatchNorm2d(o)
        self.short = None if s == 1 and i == o else nn.Sequential(nn.Conv2d(i, o, 1, s, bias=False), nn.BatchNorm2d(o))

    def forward(self, x):
        y = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
        return torch.relu(y + (x if self.short is None else self.short(x)))


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        layers, i = [], 16
        for o, s in [(16, 1), (32, 2), (64, 2)]:
            for b in range(3):
                layers.append(Basic(i, o, s if b == 0 else 1))
                i = o
        self.layers = nn.Sequential(*layers)
        self.pool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


def vgg11bn():
    cfg, layers, i = [16, "M", 32, "M", 64, 64, "M", 128, 128, "M", 128, 128, "M"], [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(i, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            i = v
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(128, 64), nn.ReLU(True), nn.Dropout(), nn.Linear(64, 10))


def randomise_bn(m):
    # trained-looking statistics, so a wrong BN formula cannot hide behind mean 0 / var 1
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            with torch.no_grad():
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)


def main():
    os.makedirs(OUT, exist_ok=True)
    x = torch.tensor([math.sin(0.37 * i) * 1.5 for i in range(4 * 3 * 32 * 32)], dtype=torch.float64)
    x = x.float().reshape(4, 3, 32, 32)
    logits = {}
    for name, model, training in [
        ("resnet20", ResNet20(), torch.onnx.TrainingMode.EVAL),
        # PRESERVE on a model in eval mode keeps BatchNormalization as its own node (EVAL folds it into the conv)
        ("vgg11bn", vgg11bn(), torch.onnx.TrainingMode.PRESERVE),
    ]:
        randomise_bn(model)
        model.eval()
        with torch.no_grad():
            logits[name] = model(x).tolist()
        torch.onnx.export(model, x, os.path.join(OUT, f"{name}.onnx"), opset_version=13, training=training,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    json.dump(logits, open(os.path.join(OUT, "logits.json"), "w"))


if __name__ == "__main__":
    main()
