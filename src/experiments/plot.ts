// Figures: Vega-Lite specs rendered to SVG by Vega (headless, no DOM) and to PNG by resvg (a Rust SVG
// renderer with prebuilt binaries), instead of hand-drawn pixels. Both files are written atomically.
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../platform/files.js';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export function svgToPng(svg: string, scale = 2): Uint8Array {
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    background: 'white',
  });
  return r.render().asPng();
}

/** Write <base>.svg and <base>.png; returns the two paths. */
export async function saveFigure(spec: TopLevelSpec, base: string): Promise<{ svg: string; png: string }> {
  const svg = await renderSvg({ background: 'white', ...spec } as TopLevelSpec);
  writeFileAtomic(`${base}.svg`, svg);
  writeFileAtomic(`${base}.png`, svgToPng(svg));
  return { svg: `${base}.svg`, png: `${base}.png` };
}

export interface Series {
  name: string;
  points: { x: number; y: number; label?: string }[];
  curve?: { x: number; y: number }[];
}

/** Scatter per series with an optional fitted curve per series (same colour). */
export function scatterWithCurves(
  title: string,
  xTitle: string,
  yTitle: string,
  series: Series[],
  opts: { logX?: boolean; width?: number; height?: number } = {},
): TopLevelSpec {
  const points = series.flatMap((s) => s.points.map((p) => ({ series: s.name, x: p.x, y: p.y, label: p.label ?? '' })));
  const curves = series.flatMap((s) => (s.curve ?? []).map((p, i) => ({ series: s.name, x: p.x, y: p.y, order: i })));
  const xScale = opts.logX && points.every((p) => p.x > 0) ? { type: 'log' as const } : { zero: false };
  const x = { field: 'x', type: 'quantitative' as const, title: xTitle, scale: xScale };
  const y = { field: 'y', type: 'quantitative' as const, title: yTitle };
  const color = { field: 'series', type: 'nominal' as const, title: null, legend: { labelLimit: 420 } };
  return {
    title,
    width: opts.width ?? 520,
    height: opts.height ?? 340,
    layer: [
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 40, opacity: 0.8 },
        encoding: { x, y, color, tooltip: [{ field: 'label' }, { field: 'x' }, { field: 'y' }] },
      },
      ...(curves.length
        ? [
            {
              data: { values: curves },
              mark: { type: 'line' as const, strokeWidth: 2 },
              encoding: { x, y, color, order: { field: 'order' } },
            },
          ]
        : []),
    ],
  } as TopLevelSpec;
}

/** Horizontal bars, e.g. per-layer JS divergence. */
export function barChart(title: string, rows: { name: string; value: number }[], valueTitle: string): TopLevelSpec {
  return {
    title,
    width: 520,
    height: Math.max(120, rows.length * 14),
    data: { values: rows },
    mark: 'bar',
    encoding: {
      y: { field: 'name', type: 'nominal', sort: null, title: null },
      x: { field: 'value', type: 'quantitative', title: valueTitle },
    },
  } as TopLevelSpec;
}
