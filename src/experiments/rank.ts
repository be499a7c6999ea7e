// How formats are ranked and recommended, shared by `quantscope assess` and the browser page (no Node
// imports): by bits, then predicted loss (js_flops when there is no fit); per family, the format with the
// fewest bits whose predicted loss stays under the bound (ties: the smaller loss).

export interface RankedFormat {
  format: string;
  family: string;
  bits: number;
  js_flops: number;
  predicted_loss: number | null;
}

/** The rows sorted by bits, then predicted loss (js_flops without a fit); the input is not changed. */
export function rankFormats<T extends RankedFormat>(rows: readonly T[]): T[] {
  return [...rows].sort(
    (a, b) => a.bits - b.bits || (a.predicted_loss ?? a.js_flops) - (b.predicted_loss ?? b.js_flops),
  );
}

/** Per family, the format with the fewest bits whose predicted loss stays under max (ties: the smaller loss). */
export function recommend(rows: readonly RankedFormat[], maxLoss: number): string[] {
  const out: string[] = [];
  for (const family of [...new Set(rows.map((r) => r.family))]) {
    const ok = rows
      .filter((r) => r.family === family && r.predicted_loss !== null && r.predicted_loss <= maxLoss)
      .sort((a, b) => a.bits - b.bits || (a.predicted_loss as number) - (b.predicted_loss as number));
    if (ok.length) out.push(ok[0].format);
  }
  return out;
}
