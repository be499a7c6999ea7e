// The seed's robustness procedure, piece by piece: advertorch's FGSM/PGD against a float64 reference in both
// attack spaces (random start given, sign step, projection, clip); the clamp-only accuracy; the generator's
// eps-0.8 BatchNorms and per-slot standardisation against float64; the seed's widening counter; float32 fake
// sets that refuse a changed generator; and the cache helper that recomputes when an input changes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as q from '../src/index.js';
import { attackSetOfFloats, fgsm, normaliser, pgd, robustAccuracy } from '../src/nn/attacks.js';
import { Linear } from '../src/nn/layers.js';
import { Module } from '../src/nn/module.js';
import type { Classifier } from '../src/nn/models/modules.js';
import { BatchNorm2d } from '../src/nn/layers.js';
import { Generator, drawLabels } from '../src/nn/models/generator.js';
import { boundsAt } from '../src/experiments/adjust.js';
import { readFakeSet, writeFakeSet } from '../src/data/fakeset.js';
import { cached, sha256File } from '../src/platform/cache.js';
import { NORMALIZATION } from '../src/data/cifar.js';
import { ready } from './helpers.js';

beforeAll(async () => {
  await ready;
});

const D = 3072;
const C = 10;

/** A linear classifier on flattened images, so the float64 reference gradient is exact: Wᵀ(softmax − onehot). */
class LinearNet extends Module {
  readonly fc: Linear;
  readonly classes = C;
  constructor(seed: number) {
    super();
    this.fc = this.addChild('fc', new Linear(D, C, true, new q.Random(seed)));
    this.register();
  }
  get kind(): string {
    return 'linear-net';
  }
  batchShape(n: number): number[] {
    return [n, 3, 32, 32];
  }
  forward(x: q.Tensor): q.Tensor {
    return this.fc.forward(q.reshape(x, [x.shape[0], D]), {});
  }
}

/** advertorch's perturb_iterative (L∞, sign step, clamp δ to ±eps, clamp x+δ to [clip_min, clip_max]), float64. */
function advertorchRef(
  w: Float64Array,
  b: Float64Array,
  x0: Float64Array,
  y: Int32Array,
  o: {
    eps: number;
    alpha: number;
    steps: number;
    delta0: Float64Array | null;
    toModel: (v: number, i: number) => number;
    dModel: (i: number) => number;
  },
): Float64Array {
  const n = y.length;
  const clip = (v: number) => Math.min(1, Math.max(0, v));
  const delta = new Float64Array(x0.length);
  if (o.delta0) for (let i = 0; i < delta.length; i++) delta[i] = clip(x0[i] + o.delta0[i]) - x0[i];
  const gradSign = (x: Float64Array) => {
    const g = new Float64Array(x.length);
    for (let s = 0; s < n; s++) {
      const logits = Array.from({ length: C }, (_, c) => {
        let z = b[c];
        for (let j = 0; j < D; j++) z += w[c * D + j] * o.toModel(x[s * D + j], j);
        return z;
      });
      const mx = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - mx));
      const tot = e.reduce((a, v) => a + v, 0);
      const p = e.map((v, c) => v / tot - (c === y[s] ? 1 : 0));
      for (let j = 0; j < D; j++) {
        let acc = 0;
        for (let c = 0; c < C; c++) acc += w[c * D + j] * p[c];
        g[s * D + j] = Math.sign(acc * o.dModel(j));
      }
    }
    return g;
  };
  for (let it = 0; it < o.steps; it++) {
    const g = gradSign(x0.map((v, i) => v + delta[i]));
    for (let i = 0; i < delta.length; i++) {
      const d = Math.min(o.eps, Math.max(-o.eps, delta[i] + o.alpha * g[i]));
      delta[i] = clip(x0[i] + d) - x0[i];
    }
  }
  return x0.map((v, i) => clip(v + delta[i]));
}

async function setup(seed: number, n: number, space: 'normalized' | 'pixel') {
  const net = new LinearNet(seed);
  const w = Float64Array.from(await net.fc.param('weight').toArray());
  const b = Float64Array.from(await net.fc.param('bias').toArray());
  const rng = new q.Random(seed + 1);
  const { mean, std } = NORMALIZATION.cifar10;
  const ch = (j: number) => Math.floor(j / 1024);
  // normalised space: values as a normalised CIFAR image has them, most outside [0, 1]; pixel: in [0, 1]
  const x0 = Float64Array.from({ length: n * D }, () => (space === 'normalized' ? 2 * rng.normal() : rng.uniform()));
  const y = Int32Array.from({ length: n }, () => rng.int(C));
  const toModel = space === 'normalized' ? (v: number) => v : (v: number, j: number) => (v - mean[ch(j)]) / std[ch(j)];
  const dModel = space === 'normalized' ? () => 1 : (j: number) => 1 / std[ch(j)];
  const norm = space === 'normalized' ? (t: q.Tensor) => t : normaliser(NORMALIZATION.cifar10);
  return { net: net as unknown as Classifier, w, b, x0, y, toModel, dModel, norm };
}

function agreement(a: Float32Array, b: Float64Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) < 1e-5) same++;
  return same / a.length;
}

describe("advertorch's attacks, float64 reference", () => {
  for (const space of ['normalized', 'pixel'] as const) {
    it(`PGD (given random start) and FGSM match in ${space} space`, async () => {
      const s = await setup(space === 'normalized' ? 3 : 4, 4, space);
      const eps = 8 / 255,
        alpha = 2 / 255,
        steps = 4;
      const rng = new q.Random(9);
      const delta0 = Float64Array.from({ length: s.x0.length }, () => (rng.uniform() * 2 - 1) * eps);
      const x = q.keep(q.fromArray(Float32Array.from(s.x0), [4, 3, 32, 32]));
      const yt = q.keep(q.fromArray(s.y, [4], 'int32'));
      const init = q.keep(q.fromArray(Float32Array.from(delta0), [4, 3, 32, 32]));
      const ours = pgd(s.net, s.norm, x, yt, { eps, alpha, steps, initDelta: init });
      const ref = advertorchRef(s.w, s.b, s.x0, s.y, {
        eps,
        alpha,
        steps,
        delta0,
        toModel: s.toModel,
        dModel: s.dModel,
      });
      // signs of near-zero gradient entries may differ between float32 and float64: allow a sliver
      expect(agreement((await ours.toArray()) as Float32Array, ref)).toBeGreaterThan(0.999);
      const f = fgsm(s.net, s.norm, x, yt, { eps });
      const fRef = advertorchRef(s.w, s.b, s.x0, s.y, {
        eps,
        alpha: eps,
        steps: 1,
        delta0: null,
        toModel: s.toModel,
        dModel: s.dModel,
      });
      expect(agreement((await f.toArray()) as Float32Array, fRef)).toBeGreaterThan(0.999);
      // every result lies in the eps-ball intersected with the [0, 1] box (clipped start points included)
      const o = (await ours.toArray()) as Float32Array;
      for (let i = 0; i < o.length; i++) {
        const lo = Math.max(0, Math.min(1, s.x0[i] - eps)),
          hi = Math.min(1, Math.max(0, s.x0[i] + eps));
        expect(o[i]).toBeGreaterThanOrEqual(lo - 1e-6);
        expect(o[i]).toBeLessThanOrEqual(hi + 1e-6);
      }
      for (const t of [x, yt, init, ours, f]) t.dispose();
    });
  }

  it(
    "robustAccuracy: 'clamp' is the [0, 1] clip alone, " + 'and under pixel space equals clean on real-range data',
    async () => {
      const s = await setup(5, 6, 'normalized');
      const set = attackSetOfFloats(Float32Array.from(s.x0), s.y, NORMALIZATION.cifar10);
      const r = await robustAccuracy(s.net, set, { space: 'normalized', steps: 1 });
      // reference: accuracy of the model on clip(x0) and on x0
      const acc = (x: Float64Array) => {
        let ok = 0;
        for (let i = 0; i < s.y.length; i++) {
          const z = Array.from({ length: C }, (_, c) => {
            let v = s.b[c];
            for (let j = 0; j < D; j++) v += s.w[c * D + j] * x[i * D + j];
            return v;
          });
          if (z.indexOf(Math.max(...z)) === s.y[i]) ok++;
        }
        return ok / s.y.length;
      };
      expect(r.clean).toBeCloseTo(acc(s.x0), 9);
      expect(r.clamp).toBeCloseTo(acc(s.x0.map((v) => Math.min(1, Math.max(0, v)))), 9);
      expect(r.space).toBe('normalized');
      // real-range images (normalised pixels in [0, 1]) in pixel space: nothing to clip
      const { mean, std } = NORMALIZATION.cifar10;
      const px = Float32Array.from(s.x0, (_, i) => ((i * 7919) % 256) / 255);
      const xn = px.map((v, i) => (v - mean[Math.floor((i % D) / 1024)]) / std[Math.floor((i % D) / 1024)]);
      const rp = await robustAccuracy(s.net, attackSetOfFloats(xn, s.y, NORMALIZATION.cifar10), {
        space: 'pixel',
        steps: 1,
      });
      expect(rp.clamp).toBe(rp.clean);
    },
  );
});

describe("the seed's generator", () => {
  it('its two middle BatchNorms use eps 0.8 (float64 reference), the others 1e-5', async () => {
    const gen = new Generator({ classes: 10, latent: 8, seed: 1 });
    const bns = gen
      .modules()
      .map(([, m]) => m)
      .filter((m): m is BatchNorm2d => m instanceof BatchNorm2d);
    expect(bns.map((m) => m.eps)).toEqual([1e-5, 0.8, 0.8, 1e-5]);
    const bn = bns[1];
    bn.train();
    const x = Array.from({ length: 2 * 128 * 4 }, (_, i) => Math.sin(i * 0.37) * 0.3);
    const out = (await q
      .noGrad(() => bn.forward(q.fromArray(Float32Array.from(x), [2, 128, 2, 2]), {}))
      .toArray()) as Float32Array;
    for (const c of [0, 5, 127]) {
      const vals = [0, 1].flatMap((s) => [0, 1, 2, 3].map((p) => x[(s * 128 + c) * 4 + p]));
      const m = vals.reduce((a, v) => a + v, 0) / 8;
      const v = vals.reduce((a, u) => a + (u - m) ** 2, 0) / 8;
      const want = (vals[2] - m) / Math.sqrt(v + 0.8);
      expect(out[c * 4 + 2]).toBeCloseTo(want, 5);
      expect(Math.abs(want - (vals[2] - m) / Math.sqrt(v + 1e-5))).toBeGreaterThan(1e-3); // eps matters here
    }
    gen.dispose();
  });

  it('mixed labels: each slot standardised over batch x features, then weighted by softmax(randn(K))', async () => {
    const classes = 10,
      latent = 6,
      n = 5,
      k = 3;
    const gen = new Generator({ classes, latent, seed: 2 });
    const emb = Float64Array.from(await gen.param('embedding').toArray());
    const d = drawLabels(n, classes, latent, k, new q.Random(4));
    const ours = (await q.noGrad(() => gen.slotInput(d)).toArray()) as Float32Array;
    const ref = new Float64Array(n * latent);
    for (let j = 0; j < k; j++) {
      const v = new Float64Array(n * latent);
      for (let i = 0; i < n; i++) {
        const y = d.slots.subarray((j * n + i) * classes, (j * n + i + 1) * classes).indexOf(1);
        for (let l = 0; l < latent; l++) v[i * latent + l] = emb[y * latent + l] + d.noise[(j * n + i) * latent + l];
      }
      const m = v.reduce((a, u) => a + u, 0) / v.length;
      const s = Math.sqrt(v.reduce((a, u) => a + (u - m) ** 2, 0) / v.length + 1e-5);
      for (let i = 0; i < n; i++)
        for (let l = 0; l < latent; l++) ref[i * latent + l] += d.weights[j * n + i] * ((v[i * latent + l] - m) / s);
    }
    for (let i = 0; i < ref.length; i++) expect(ours[i]).toBeCloseTo(ref[i], 4);
    // the soft target holds the slot weights at their labels and sums to 1 per sample
    for (let i = 0; i < n; i++)
      expect(d.mix.subarray(i * classes, (i + 1) * classes).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
    gen.dispose();
  });
});

describe("the seed's adjust bounds", () => {
  it('widen as its counter does: first at round 301, then every 302 rounds', () => {
    const b = { org: 3, pgd: 1 };
    expect(boundsAt(300, b)).toEqual({ org: 3, pgd: 1 });
    expect(boundsAt(301, b)).toEqual({ org: 4, pgd: 2 });
    expect(boundsAt(602, b)).toEqual({ org: 4, pgd: 2 });
    expect(boundsAt(603, b)).toEqual({ org: 5, pgd: 3 });
    // the same counter, run literally
    let orgBound = 3,
      count = 0;
    for (let round = 0; round < 1000; round++) {
      if (count > 300) {
        orgBound += 1;
        count = 0;
      } else count += 1;
      expect(boundsAt(round, b).org).toBe(orgBound);
    }
  });
});

describe('fake sets as float32', () => {
  it('round-trip exactly, and refuse to load once their generator file changed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qs-fake-'));
    writeFileSync(join(dir, 'generator.safetensors'), 'weights v1');
    const images = Float32Array.from({ length: 2 * D }, (_, i) => Math.sin(i) * 3); // outside [0, 1]: kept as is
    const labels = Int32Array.from([3, 7]);
    const meta = {
      generator: 'generator.safetensors',
      generator_sha256: sha256File(join(dir, 'generator.safetensors')),
      protocol: 'seed',
      dataset: 'cifar10' as const,
      classes: 10,
      adjusted: false,
      seed: 0,
    };
    writeFakeSet(join(dir, 'fake.safetensors'), images, labels, meta);
    const f = readFakeSet(join(dir, 'fake.safetensors'), { classes: 10 });
    expect(f.images).toEqual(images);
    expect(f.labels).toEqual(labels);
    expect(f.meta).toEqual(meta);
    expect(() => readFakeSet(join(dir, 'fake.safetensors'), { classes: 100 })).toThrow(/has 10 classes/);
    writeFileSync(join(dir, 'generator.safetensors'), 'weights v2');
    expect(() => readFakeSet(join(dir, 'fake.safetensors'))).toThrow(/generator changed/);
    writeFileSync(join(dir, 'other.safetensors'), Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from('{}      ')]));
    expect(() => readFakeSet(join(dir, 'other.safetensors'))).toThrow(/not a quantscope fake set/);
  });
});

describe('cached results', () => {
  it('are reused for the same key and recomputed when an input hash changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qs-cache-'));
    writeFileSync(join(dir, 'ckpt'), 'a');
    let calls = 0;
    const get = () => cached(join(dir, 'c.json'), { ckpt: sha256File(join(dir, 'ckpt')) }, async () => ++calls);
    expect(await get()).toBe(1);
    expect(await get()).toBe(1);
    writeFileSync(join(dir, 'ckpt'), 'b'); // a changed checkpoint
    expect(await get()).toBe(2);
    writeFileSync(join(dir, 'c.json'), '{ torn');
    expect(await get()).toBe(3);
  });
});
