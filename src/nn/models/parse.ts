// Parser for the layer-row notation of ./architectures.ts. A row is one line of text; placeholders
// {name} are filled from a block-table row (or {classes}) before parsing. Errors name the row.

export type LayerRow =
  | {
      op: 'conv';
      in: number;
      out: number;
      kernel: number;
      stride: number;
      padding: number;
      groups: number;
      bias: boolean;
      bn: boolean;
      act: 'relu' | 'relu6' | null;
    }
  | { op: 'linear'; in: number; out: number; bias: boolean }
  | { op: 'maxpool' | 'avgpool'; kernel: number; stride: number; padding: number }
  | { op: 'adaptive_avgpool'; output: number }
  | { op: 'relu' | 'relu6' | 'flatten' | 'softmax' }
  | { op: 'dropout'; p: number }
  | { op: 'stage'; block: string; stage: number; blocks: number }
  | { op: 'inception'; row: number };

/** Replace {name} placeholders; an unknown name is an error (a typo in a table). */
export function fill(row: string, vars: Record<string, number | boolean>): string {
  return row.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (!(k in vars))
      throw new Error(
        `model cfg: placeholder {${k}} in "${row}" has no value (known: ${Object.keys(vars).join(', ')})`,
      );
    return String(vars[k]);
  });
}

function flag(tokens: string[], prefix: string, row: string, fallback?: number): number {
  const t = tokens.find((x) => x.startsWith(prefix) && /^\d/.test(x.slice(prefix.length)));
  if (!t) {
    if (fallback === undefined) throw new Error(`model cfg: "${row}" lacks ${prefix}<number>`);
    return fallback;
  }
  return Number(t.slice(prefix.length));
}

function channels(tok: string | undefined, row: string): [number, number] {
  const m = /^(\d+)->(\d+)$/.exec(tok ?? '');
  if (!m) throw new Error(`model cfg: "${row}" needs IN->OUT channels, got "${tok}"`);
  return [Number(m[1]), Number(m[2])];
}

function biasFlag(tokens: string[], row: string): boolean {
  if (tokens.includes('+bias')) return true;
  if (tokens.includes('-bias')) return false;
  throw new Error(`model cfg: "${row}" must say +bias or -bias`);
}

export function parseRow(row: string): LayerRow {
  const tokens = row.trim().split(/\s+/);
  const op = tokens[0];
  switch (op) {
    case 'conv': {
      const [cin, cout] = channels(tokens[1], row);
      const act = tokens.includes('relu6') ? 'relu6' : tokens.includes('relu') ? 'relu' : null;
      return {
        op,
        in: cin,
        out: cout,
        kernel: flag(tokens, 'k', row),
        stride: flag(tokens, 's', row, 1),
        padding: flag(tokens, 'p', row, 0),
        groups: flag(tokens, 'g', row, 1),
        bias: biasFlag(tokens, row),
        bn: tokens.includes('bn'),
        act,
      };
    }
    case 'linear': {
      const [cin, cout] = channels(tokens[1], row);
      return { op, in: cin, out: cout, bias: biasFlag(tokens, row) };
    }
    case 'maxpool':
    case 'avgpool': {
      const kernel = flag(tokens, 'k', row);
      return { op, kernel, stride: flag(tokens, 's', row, kernel), padding: flag(tokens, 'p', row, 0) };
    }
    case 'adaptive_avgpool':
      return { op, output: Number(tokens[1] ?? NaN) };
    case 'relu':
    case 'relu6':
    case 'flatten':
    case 'softmax':
      return { op };
    case 'dropout': {
      const p = Number(tokens[1]);
      if (!(p >= 0 && p < 1)) throw new Error(`model cfg: "${row}" needs a probability in [0, 1)`);
      return { op, p };
    }
    case 'stage': {
      const blocks = flag(tokens, 'x', row);
      return { op, block: tokens[1], stage: Number(tokens[2]), blocks };
    }
    case 'inception':
      return { op, row: Number(tokens[1]) };
    default:
      throw new Error(`model cfg: unknown layer "${op}" in "${row}"`);
  }
}
