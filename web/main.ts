// The browser page: the same engine (src/) on navigator.gpu. Loads a model, quantizes it in a chosen
// format, shows per-layer JS divergence, measured vs predicted accuracy loss on a bundled CIFAR-10 test
// slice, sample predictions, and a PGD attack. Numbers are also put in data-value attributes so the
// end-to-end test can compare them with the Node engine's.
import { CIFAR10_CLASSES } from '../src/data/cifar-meta.js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { initEngine } from '../src/device/engine.js';
import { fromArray, keep, noGrad, tidy, argmax } from '../src/index.js';
import type { Classifier } from '../src/nn/models/modules.js';
import { classifierFromCheckpoint } from '../src/nn/state.js';
import { parseRecords } from '../src/data/records.js';
import { IMAGE_BYTES, NORMALIZATION, type ImageSet } from '../src/data/cifar-meta.js';
import { QuantSession, type FormatResult } from '../src/quant/session.js';
import { getFormat, sweepFormats } from '../src/quant/index.js';
import { rankFormats, recommend, type RankedFormat } from '../src/experiments/rank.js';
import { normaliser, pgd, pixelBatch } from '../src/nn/attacks.js';
import type { Fit } from '../src/quant/fit.js';

const CLASSES = CIFAR10_CLASSES;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (s: string) => {
  $('status').textContent = s;
  $('status').dataset.state = s;
};
const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
function show(id: string, value: number | null, text: string): void {
  const el = $(id);
  el.textContent = text;
  el.dataset.value = value === null ? '' : String(value);
}

let session: QuantSession | null = null;
let test: ImageSet | null = null;
let fit: Fit | null = null;
let fpModel: Classifier | null = null;

async function fetchBytes(path: string): Promise<Uint8Array> {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function loadData(): Promise<{ calib: ImageSet; test: ImageSet }> {
  const norm = NORMALIZATION.cifar10;
  return {
    calib: parseRecords(await fetchBytes('assets/calib-slice.bin'), 10, norm, 'calib-slice.bin'),
    test: parseRecords(await fetchBytes('assets/test-slice.bin'), 10, norm, 'test-slice.bin'),
  };
}

async function useModel(bytes: Uint8Array, source: string): Promise<void> {
  status('loading model…');
  session?.dispose();
  fpModel?.dispose();
  const data = await loadData();
  test = data.test;
  fpModel = classifierFromCheckpoint(bytes, source).eval();
  session = await QuantSession.create(classifierFromCheckpoint(bytes, source).eval(), data.calib, data.test);
  $('model-info').textContent = `${session.model.arch}, ${fpModel.numParameters().toLocaleString('en-US')} parameters`;
  $('slice-info').textContent =
    `Accuracy on the first ${test.count} CIFAR-10 test images; activation ranges calibrated on ${data.calib.count} ` +
    `training images.`;
  show('fp-acc', session.fpAcc, pct(session.fpAcc));
  ($('run') as HTMLButtonElement).disabled = false;
  ($('attack') as HTMLButtonElement).disabled = false;
  ($('rank-run') as HTMLButtonElement).disabled = false;
  status('model ready');
}

async function drawChart(r: FormatResult): Promise<void> {
  const spec = compile({
    width: 560,
    height: Math.max(120, r.layers.length * 16),
    data: { values: r.layers.map((l) => ({ layer: l.name, js: l.js })) },
    mark: 'bar',
    encoding: {
      y: { field: 'layer', type: 'nominal', sort: null, title: null },
      x: { field: 'js', type: 'quantitative', title: `JS divergence (${r.format})` },
    },
  } as never).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  $('chart').innerHTML = await view.toSVG();
  view.finalize();
}

function canvasOf(pixels: ArrayLike<number>, scale = 1): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = 32;
  c.height = 32;
  const ctx = c.getContext('2d') as CanvasRenderingContext2D;
  const img = ctx.createImageData(32, 32);
  for (let i = 0; i < 1024; i++)
    for (let ch = 0; ch < 3; ch++) img.data[i * 4 + ch] = Math.round(pixels[ch * 1024 + i] * scale);
  for (let i = 0; i < 1024; i++) img.data[i * 4 + 3] = 255;
  ctx.putImageData(img, 0, 0);
  return c;
}

async function predict(model: Classifier, pixels: Float32Array, n: number, ctx = {}): Promise<Int32Array> {
  const norm = normaliser(test as ImageSet);
  const p = noGrad(() => tidy(() => argmax(model.forward(norm(fromArray(pixels, model.batchShape(n))), ctx), 1)));
  const out = (await p.toArray()) as Int32Array;
  p.dispose();
  return out;
}

async function samples(): Promise<void> {
  if (!session || !test || !fpModel) return;
  const n = 8;
  const px = pixelBatch(test.images, 0, n);
  const fp = await predict(fpModel, px, n);
  const state = await session.apply(($('format') as HTMLSelectElement).value);
  const qp = await predict(session.model, px, n, state.ctx);
  session.restore();
  const box = $('samples');
  box.innerHTML = '';
  for (let i = 0; i < n; i++) {
    const fig = document.createElement('figure');
    fig.append(canvasOf(test.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES)));
    const cap = document.createElement('figcaption');
    cap.innerHTML =
      `true ${CLASSES[test.labels[i]]}<br>${CLASSES[fp[i]]} / <span ` +
      `class="${qp[i] === test.labels[i] ? '' : 'wrong'}">${CLASSES[qp[i]]}</span>`;
    fig.append(cap);
    box.append(fig);
  }
}

async function run(): Promise<void> {
  if (!session) return;
  const name = ($('format') as HTMLSelectElement).value;
  status(`quantizing to ${name}…`);
  const r = await session.evaluate(name, fit);
  show('q-acc', r.qAcc, pct(r.qAcc));
  show('acc-loss', r.accLoss, r.accLoss.toFixed(4));
  show('js-flops', r.jsFlops, r.jsFlops.toExponential(4));
  show('pred-loss', r.predictedLoss, r.predictedLoss === null ? 'no fit loaded' : r.predictedLoss.toFixed(4));
  await drawChart(r);
  await samples();
  $('numbers').dataset.format = r.format;
  status(`done: ${r.format}`);
}

async function attack(): Promise<void> {
  if (!fpModel || !test) return;
  status('attacking…');
  const x = keep(fromArray(pixelBatch(test.images, 0, 1), fpModel.batchShape(1)));
  const y = keep(fromArray(test.labels.subarray(0, 1), [1], 'int32'));
  const adv = pgd(fpModel, normaliser(test), x, y, { eps: 8 / 255, steps: 10, alpha: 2 / 255, seed: 0 });
  const a = (await adv.toArray()) as Float32Array;
  const [pc] = await predict(fpModel, (await x.toArray()) as Float32Array, 1);
  const [pa] = await predict(fpModel, a, 1);
  const box = $('attack-result');
  box.innerHTML = '';
  for (const [pixels, label, scale] of [
    [test.images.subarray(0, IMAGE_BYTES), `clean: ${CLASSES[pc]}`, 1],
    [a, `adversarial: ${CLASSES[pa]}`, 255],
  ] as const) {
    const fig = document.createElement('figure');
    fig.append(canvasOf(pixels, scale));
    const cap = document.createElement('figcaption');
    cap.textContent = label;
    fig.append(cap);
    box.append(fig);
  }
  box.dataset.clean = String(pc);
  box.dataset.adversarial = String(pa);
  x.dispose();
  y.dispose();
  adv.dispose();
  status('attack done');
}

/** The formats ranked as `quantscope assess` ranks them: by bits, then predicted loss; ✓ per family under 1%. */
const RANKED = ['INT4', 'POT4', 'FLOAT4_E2', 'INT8', 'POT8', 'FLOAT8_E4'];
async function rank(): Promise<void> {
  if (!session) return;
  const rows: (RankedFormat & { q: number })[] = [];
  for (const name of RANKED) {
    status(`ranking: ${name}…`);
    const r = await session.evaluate(name, fit);
    const f = getFormat(name);
    rows.push({
      format: name,
      family: f.family,
      bits: f.bits,
      js_flops: r.jsFlops,
      predicted_loss: r.predictedLoss,
      q: r.qAcc,
    });
  }
  const ranked = rankFormats(rows);
  const rec = new Set(recommend(ranked, 0.01));
  const table = $('rank-table');
  table.innerHTML =
    '<tr><th>format</th><th>bits</th><th>js_flops</th><th>predicted loss</th><th>accuracy on the slice</th></tr>' +
    ranked
      .map(
        (r) =>
          `<tr data-format="${r.format}" data-js="${r.js_flops}"><td>${r.format}${rec.has(r.format) ? ' ✓' : ''}</td>` +
          `<td>${r.bits}</td><td>${r.js_flops.toExponential(3)}</td>` +
          `<td>${r.predicted_loss === null ? '–' : r.predicted_loss.toFixed(4)}</td>` +
          `<td>${pct(r.q)}</td></tr>`,
      )
      .join('');
  status('ranked');
}

/** Family and bit width pick the format; FLOAT widths offer each exponent split, OCP each element type. */
function setupFormatPicker(): void {
  const all = sweepFormats(['INT', 'POT', 'FLOAT', 'OCP', 'MX'], [2, 3, 4, 5, 6, 7, 8, 16]);
  const family = $('family') as HTMLSelectElement,
    bits = $('bits') as HTMLSelectElement,
    format = $('format') as HTMLSelectElement;
  for (const f of [...new Set(all.map((x) => x.family))]) family.add(new Option(f, f));
  const fillFormats = () => {
    format.innerHTML = '';
    for (const f of all.filter((x) => x.family === family.value && String(x.bits) === bits.value))
      format.add(new Option(f.name, f.name));
  };
  const fillBits = () => {
    const keep = bits.value;
    bits.innerHTML = '';
    for (const b of [...new Set(all.filter((x) => x.family === family.value).map((x) => x.bits))])
      bits.add(new Option(String(b), String(b)));
    if (Array.from(bits.options).some((o) => o.value === keep)) bits.value = keep;
    fillFormats();
  };
  family.onchange = fillBits;
  bits.onchange = fillFormats;
  family.value = 'INT';
  fillBits();
  bits.value = '4';
  fillFormats();
}

async function main(): Promise<void> {
  if (!navigator.gpu) {
    status('this browser has no WebGPU (navigator.gpu is missing)');
    return;
  }
  await initEngine(navigator.gpu);
  setupFormatPicker();
  try {
    const report = await (await fetch('assets/fit.json')).json();
    const e = report.fits.find(
      (x: { measure: string; scope: string }) => x.measure === 'js_flops' && x.scope.startsWith('ALL'),
    );
    fit = e ? e.best : null;
  } catch {
    fit = null;
  }
  $('load-demo').onclick = () =>
    fetchBytes('assets/demo-model.safetensors')
      .then((b) => useModel(b, 'demo-model.safetensors'))
      .catch((e) => status(`error: ${e.message}`));
  ($('file') as HTMLInputElement).onchange = async (ev) => {
    const file = (ev.target as HTMLInputElement).files?.[0];
    if (file)
      await useModel(new Uint8Array(await file.arrayBuffer()), file.name).catch((e) => status(`error: ${e.message}`));
  };
  $('run').onclick = () => run().catch((e) => status(`error: ${e.message}`));
  $('attack').onclick = () => attack().catch((e) => status(`error: ${e.message}`));
  $('rank-run').onclick = () => rank().catch((e) => status(`error: ${e.message}`));
  status('WebGPU ready: load a model');
}

main().catch((e) => status(`error: ${e.message}`));
