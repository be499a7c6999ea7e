// The report's quirk section: how much each of the seed's two PTQ quirks moves q_acc and the fits, from
// sweeps of the same model under protocol seed, with one quirk fixed (seed-sum-range: a sum calibrated on
// itself; seed-int-clamp: INT clamped), and clean (both fixed).
import { fitForm } from '../quant/fit.js';
import type { PtqRow } from './ptq.js';

const VARIANTS = ['seed', 'seed-sum-range', 'seed-int-clamp', 'clean'] as const;

export interface QuirkRow {
  model: string;
  format: string;
  seed: number;
  /** q_acc(seed) - q_acc(variant): what the quirk that variant fixes costs (positive: the quirk helps) */
  addQuirk: number | null;
  intQuirk: number | null;
  both: number | null;
}

export function quirkRows(rows: PtqRow[]): QuirkRow[] {
  const key = (r: PtqRow) => `${r.model}/${r.dataset}|${r.format}`;
  const by = new Map(VARIANTS.map((v) => [v, new Map(rows.filter((r) => r.protocol === v).map((r) => [key(r), r]))]));
  const out: QuirkRow[] = [];
  for (const [k, s] of by.get('seed') ?? []) {
    const d = (v: (typeof VARIANTS)[number]) => {
      const o = by.get(v)?.get(k);
      return o ? s.q_acc - o.q_acc : null;
    };
    const row = {
      model: s.model,
      format: s.format,
      seed: s.q_acc,
      addQuirk: d('seed-sum-range'),
      intQuirk: d('seed-int-clamp'),
      both: d('clean'),
    };
    if (row.addQuirk !== null || row.intQuirk !== null || row.both !== null) out.push(row);
  }
  return out;
}

/** In-sample R² of the seed's rational 2/2 js_flops -> acc_loss fit per model and protocol variant. */
export function quirkFits(rows: PtqRow[]): { model: string; protocol: string; r2: number | null; points: number }[] {
  const out = [];
  for (const model of [...new Set(rows.map((r) => r.model))]) {
    for (const protocol of VARIANTS) {
      const pts = rows.filter((r) => r.model === model && r.protocol === protocol);
      if (!pts.length) continue;
      const f = fitForm(
        'rat22',
        pts.map((r) => r.js_flops),
        pts.map((r) => r.acc_loss),
      );
      out.push({ model, protocol, r2: f ? f.r2 : null, points: pts.length });
    }
  }
  return out;
}
