import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import * as q from '../src/index.js';
import { SGD, Adam, multiStepLR, linearWarmup, mseLoss, klDiv } from '../src/nn/index.js';
import { ready, expectClose, RUNS } from './helpers.js';

beforeAll(async () => {
  await ready;
});

const vals = (n: number, s: number) => Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 0.9 + s)));

describe('losses', () => {
  it('mse_loss (mean/sum/none) and its gradient', async () => {
    const a = vals(6, 1),
      b = vals(6, 2);
    const ref = a.map((v, i) => (v - b[i]) ** 2);
    expectClose(await mseLoss(q.fromArray(a), q.fromArray(b)).toArray(), [ref.reduce((s, v) => s + v) / 6]);
    expectClose(await mseLoss(q.fromArray(a), q.fromArray(b), 'sum').toArray(), [ref.reduce((s, v) => s + v)]);
    expectClose(await mseLoss(q.fromArray(a), q.fromArray(b), 'none').toArray(), ref);
    const r = await q.gradcheck(
      ([x, y]) => mseLoss(x, y),
      [
        { data: a, shape: [6] },
        { data: b, shape: [6] },
      ],
      { reference: ([x, y]) => [x.reduce((s, v, i) => s + (v - y[i]) ** 2, 0) / 6] },
    );
    expect(r.ok, r.worst).toBe(true);
    expect(() => mseLoss(q.zeros([2]), q.zeros([3]))).toThrow(/input \[2\] and target \[3\] differ/);
  });

  it('kl_div(log-probs, probs) as torch, batchmean, zero targets contribute 0, gradient', async () => {
    const logits = vals(8, 3),
      probs = [0.1, 0.2, 0.7, 0, 0.25, 0.25, 0.25, 0.25];
    const logp = (x: ArrayLike<number>) => {
      const out: number[] = [];
      for (let r = 0; r < 2; r++) {
        const row = Array.from(x).slice(r * 4, r * 4 + 4),
          m = Math.max(...row);
        const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
        out.push(...row.map((v) => v - lse));
      }
      return out;
    };
    const ref = (x: ArrayLike<number>) => [
      logp(x).reduce((s, lp, i) => s + (probs[i] > 0 ? probs[i] * (Math.log(probs[i]) - lp) : 0), 0) / 2,
    ];
    const out = klDiv(q.logSoftmax(q.fromArray(logits, [2, 4]), 1), q.fromArray(probs, [2, 4]));
    expectClose(await out.toArray(), ref(logits));
    const r = await q.gradcheck(
      ([x]) => klDiv(q.logSoftmax(x, 1), q.fromArray(probs, [2, 4])),
      [{ data: logits, shape: [2, 4] }],
      { reference: ([x]) => ref(x) },
    );
    expect(r.ok, r.worst).toBe(true);
  });
});

// PyTorch's update rules, in float64, for comparison
function refSgd(
  p: number[],
  grads: number[][],
  o: { lr: number; momentum: number; wd: number; nesterov: boolean; dampening: number },
) {
  let buf: number[] | null = null;
  p = [...p];
  for (const g of grads) {
    const d = g.map((gi, i) => gi + o.wd * p[i]);
    let upd = d;
    if (o.momentum) {
      buf = buf ? buf.map((b, i) => o.momentum * b + (1 - o.dampening) * d[i]) : [...d];
      upd = o.nesterov ? d.map((di, i) => di + o.momentum * (buf as number[])[i]) : buf;
    }
    p = p.map((pi, i) => pi - o.lr * upd[i]);
  }
  return p;
}

function refAdam(p: number[], grads: number[][], o: { lr: number; b1: number; b2: number; eps: number; wd: number }) {
  let m = p.map(() => 0),
    v = p.map(() => 0);
  p = [...p];
  grads.forEach((g, t) => {
    const d = g.map((gi, i) => gi + o.wd * p[i]);
    m = m.map((mi, i) => o.b1 * mi + (1 - o.b1) * d[i]);
    v = v.map((vi, i) => o.b2 * vi + (1 - o.b2) * d[i] ** 2);
    const bc1 = 1 - o.b1 ** (t + 1),
      bc2 = 1 - o.b2 ** (t + 1);
    p = p.map((pi, i) => pi - (o.lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + o.eps));
  });
  return p;
}

describe('optimizers (fused kernels) follow torch.optim', () => {
  it('SGD with momentum / nesterov / weight decay / dampening over several steps', async () => {
    const arb = fc
      .record({
        lr: fc.constantFrom(0.1, 0.01),
        momentum: fc.constantFrom(0, 0.9),
        wd: fc.constantFrom(0, 5e-4),
        nesterov: fc.boolean(),
        dampening: fc.constantFrom(0, 0.1),
        n: fc.constantFrom(7, 70_001),
      })
      .filter((o) => !o.nesterov || (o.momentum > 0 && o.dampening === 0));
    await fc.assert(
      fc.asyncProperty(arb, async (o) => {
        // 70,001 elements: several elements per invocation, with a ragged tail
        const p0 = vals(o.n, 1),
          grads = [0, 1, 2, 3].map((s) => vals(o.n, 10 + s));
        const p = q.keep(q.fromArray(p0)).requiresGrad_();
        const opt = new SGD([p], {
          lr: o.lr,
          momentum: o.momentum,
          weightDecay: o.wd,
          nesterov: o.nesterov,
          dampening: o.dampening,
        });
        for (const g of grads) {
          p.grad = q.keep(q.fromArray(g));
          opt.stepUpdate();
          opt.zeroGrad();
        }
        expectClose(await p.toArray(), refSgd(p0, grads, o), 1e-6, 1e-5);
        p.dispose();
      }),
      RUNS,
    );
  });

  it('Adam with betas (0.5, 0.999) and weight decay over several steps', async () => {
    for (const [n, wd] of [
      [9, 0],
      [9, 0.01],
      [70_001, 0.01],
    ]) {
      const p0 = vals(n, 2),
        grads = [0, 1, 2, 3, 4].map((s) => vals(n, 20 + s));
      const p = q.keep(q.fromArray(p0)).requiresGrad_();
      const opt = new Adam([p], { lr: 1e-3, betas: [0.5, 0.999], weightDecay: wd });
      for (const g of grads) {
        p.grad = q.keep(q.fromArray(g));
        opt.stepUpdate();
        opt.zeroGrad();
      }
      expectClose(await p.toArray(), refAdam(p0, grads, { lr: 1e-3, b1: 0.5, b2: 0.999, eps: 1e-8, wd }), 1e-6, 1e-5);
    }
  });

  it('parameters without a gradient are left alone; bad settings are refused', async () => {
    const p = q.keep(q.fromArray([1, 2])).requiresGrad_();
    new SGD([p], { lr: 0.1, momentum: 0.9 }).stepUpdate();
    expect(Array.from(await p.toArray())).toEqual([1, 2]);
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/nesterov needs momentum/);
    expect(() => new SGD([p], { lr: -1 })).toThrow(/learning rate/);
  });
});

describe('schedulers are pure functions of (epoch, batch)', () => {
  it('MultiStepLR milestones [60,120,160] gamma 0.2', () => {
    const s = multiStepLR(0.1, [60, 120, 160], 0.2);
    const at = (epoch: number) => s({ epoch, batch: 0, batchesPerEpoch: 10 });
    expectClose(
      [at(0), at(59), at(60), at(119), at(120), at(160), at(199)],
      [0.1, 0.1, 0.02, 0.02, 0.004, 0.0008, 0.0008],
      1e-12,
      1e-9,
    );
  });
  it('linear per-batch warm-up during the first epoch composes with MultiStepLR', () => {
    const s = linearWarmup(multiStepLR(0.1, [1], 0.2), 1);
    const B = 4;
    const lrs = [0, 1, 2, 3].map((batch) => s({ epoch: 0, batch, batchesPerEpoch: B }));
    expectClose(lrs, [0.025, 0.05, 0.075, 0.1], 1e-12, 1e-9);
    expect(s({ epoch: 1, batch: 0, batchesPerEpoch: B })).toBeCloseTo(0.02, 12);
  });
});
