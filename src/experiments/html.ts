// Small HTML helpers for the self-contained reports (report, assess): escaping, number formats, tables and
// figures embedded as PNG data URIs with a link to their SVG.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

export const esc = (s: unknown) =>
  String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
export const pct = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(2)}%` : '–');
export const num = (v: unknown, d = 4) =>
  typeof v === 'number' && Number.isFinite(v)
    ? Math.abs(v) < 1e-3 && v !== 0
      ? v.toExponential(2)
      : v.toFixed(d)
    : '–';

export function table(head: string[], rows: (string | number)[][]): string {
  const cells = (r: (string | number)[]) => r.map((c) => `<td>${esc(c)}</td>`).join('');
  const body = rows.map((r) => `<tr>${cells(r)}</tr>`).join('');
  const heads = head.map((h) => `<th>${esc(h)}</th>`).join('');
  return `<table><thead><tr>${heads}</tr></thead><tbody>${body}</tbody></table>`;
}

export function img(png: string, alt: string): string {
  if (!existsSync(png)) return '';
  return (
    `<figure><img alt="${esc(alt)}" ` +
    `src="data:image/png;base64,${readFileSync(png).toString('base64')}"><figcaption>${esc(alt)} (<a ` +
    `href="${esc(basename(png).replace(/\.png$/, '.svg'))}">SVG</a>)</figcaption></figure>`
  );
}
