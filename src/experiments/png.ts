// Image grids as PNG (clean vs adversarial samples). The PNG container is written with node:zlib; the
// pixels are the images themselves, scaled up by pixel replication — no drawing involved.
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const v of b) c = CRC_TABLE[(c ^ v) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Encode RGB pixels (row-major, 3 bytes per pixel) as PNG. */
export function encodePng(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Rows of CHW uint8 32x32 images -> one grid PNG, each image scaled `scale` times, 2-pixel white gaps. */
export function imageGrid(rows: Uint8Array[][], scale = 3): Uint8Array {
  const cell = 32 * scale,
    gap = 2;
  const cols = Math.max(...rows.map((r) => r.length));
  const W = cols * (cell + gap) + gap,
    H = rows.length * (cell + gap) + gap;
  const rgb = new Uint8Array(W * H * 3).fill(255);
  rows.forEach((row, r) =>
    row.forEach((img, c) => {
      for (let y = 0; y < cell; y++)
        for (let x = 0; x < cell; x++) {
          const sy = Math.floor(y / scale),
            sx = Math.floor(x / scale);
          const o = ((r * (cell + gap) + gap + y) * W + c * (cell + gap) + gap + x) * 3;
          for (let ch = 0; ch < 3; ch++) rgb[o + ch] = img[ch * 1024 + sy * 32 + sx];
        }
    }),
  );
  return encodePng(rgb, W, H);
}
