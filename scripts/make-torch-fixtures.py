#!/usr/bin/env python3
# Makes the PyTorch checkpoint fixtures of test/fixtures/torch once, with Debian's python3-torch (1.13) and the
# seed's own model code (klin02/Model-Transfer-Adaptability, folder ALL/, NOT part of this repository):
#
#   /usr/bin/python3 scripts/make-torch-fixtures.py /path/to/seed/ALL test/fixtures/torch
#   /usr/bin/python3 scripts/make-torch-fixtures.py /path/to/seed/ALL --check-safetensors exported.safetensors
#
# The first form writes mobilenetv2-cifar10.pt (torch.save(model.state_dict()) of the seed's MobileNetV2 with
# randomised BN statistics), its logits on a fixed batch (logits.json), and the hostile and malformed archives
# the loader must refuse. The second loads a safetensors file written by `quantscope export` into the seed's
# Model with load_state_dict(strict=True) and prints the largest logit difference against the .pt's model.
# CI never runs this: the outputs are committed.
import io, json, math, os, pickle, struct, sys, zipfile
from collections import OrderedDict

import torch

seed_dir = sys.argv[1]
sys.path.insert(0, seed_dir)
from model import Model  # noqa: E402  (the seed's code, from the folder given)


def fixed_batch(n=4):
    # the same formula as test/torch-checkpoint.test.ts: x[i] = sin(0.37 i) * 1.5, in NCHW order
    i = torch.arange(n * 3 * 32 * 32, dtype=torch.float64)
    return (torch.sin(0.37 * i) * 1.5).float().reshape(n, 3, 32, 32)


def seed_model():
    torch.manual_seed(7)
    m = Model('MobileNetV2', 'cifar10')
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.6, 1.4)
                mod.bias.uniform_(-0.2, 0.2)
    return m.eval()


def load_safetensors(path):
    raw = open(path, 'rb').read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, h in header.items():
        if name == '__metadata__':
            continue
        assert h['dtype'] == 'F32', (name, h['dtype'])
        a, b = h['data_offsets']
        t = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=torch.float32)
        out[name] = t.reshape(h['shape']).clone()
    return out


if len(sys.argv) > 3 and sys.argv[2] == '--check-safetensors':
    ref = seed_model()
    m = Model('MobileNetV2', 'cifar10').eval()
    result = m.load_state_dict(load_safetensors(sys.argv[3]), strict=True)
    with torch.no_grad():
        d = (m(fixed_batch()) - ref(fixed_batch())).abs().max().item()
    print(f'load_state_dict(strict=True): {result}; max |logit difference| {d:.3g}')
    sys.exit(0 if d < 1e-5 else 1)

out = sys.argv[2]
os.makedirs(out, exist_ok=True)
m = seed_model()
torch.save(m.state_dict(), os.path.join(out, 'mobilenetv2-cifar10.pt'))
with torch.no_grad():
    logits = m(fixed_batch())
json.dump({'model': 'MobileNetV2', 'dataset': 'cifar10', 'torch': torch.__version__,
           'input': 'x[i] = sin(0.37 i) * 1.5, shape [4, 3, 32, 32]', 'logits': logits.tolist()},
          open(os.path.join(out, 'logits.json'), 'w'), indent=1)

# a small state dict for the malformed-archive tests: float, double and int64 storages, a shared storage view
small = OrderedDict()
small['conv0.weight'] = torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2) / 10
small['conv0.bias'] = torch.tensor([0.5, -0.25], dtype=torch.float64)
small['bn0.num_batches_tracked'] = torch.tensor(3)
base = torch.arange(10, dtype=torch.float32)
small['view.weight'] = base[2:8].reshape(2, 3)  # a view at storage offset 2
torch.save(small, os.path.join(out, 'small.pt'))


class CallsSystem:
    # unpickling this calls os.system: the loader must refuse the global before anything runs
    def __reduce__(self):
        return (os.system, ('echo this-must-never-run > /tmp/quantscope-pwned',))


torch.save(OrderedDict([('conv0.weight', CallsSystem())]), os.path.join(out, 'calls-os-system.pt'))


def rewrite(src, dst, edit):
    # copy a torch zip member by member, letting edit(name, bytes) change a member's bytes
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w', zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, edit(info.filename, zin.read(info.filename)))


# conv0.weight's storage cut to half its 24 floats
rewrite(os.path.join(out, 'small.pt'), os.path.join(out, 'short-storage.pt'),
        lambda name, b: b[:48] if name.endswith('/data/0') else b)
print('wrote', sorted(os.listdir(out)))
