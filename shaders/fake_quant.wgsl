// Fake quantization (quantize -> dequantize in one pass), per-tensor scale. Uniforms: [0] n, [1] mode
// (0: integer grid, 1: nearest of a level table), [2] number of levels, [3] clamp (1) or not (0),
// [4] 1/scale (f32), [5] scale (f32), [6] qmax (f32). Levels: ascending magnitudes starting at 0.
// Level ties go to the smaller magnitude; integer ties go to even (round(), as torch.round).
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> levels: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

fn nearest_level(a: f32) -> f32 {
  let n = u(2u);
  // first index whose level is >= a
  var lo = 0u;
  var hi = n;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (levels[mid] < a) { lo = mid + 1u; } else { hi = mid; }
  }
  if (lo == 0u) { return levels[0]; }
  if (lo >= n) { return levels[n - 1u]; }
  let below = levels[lo - 1u];
  let above = levels[lo];
  if (above - a < a - below) { return above; }
  return below;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= u(0u)) { return; }
  var v = src[i] * uf(4u);
  if (u(3u) == 1u) { v = clamp(v, -uf(6u), uf(6u)); }
  var q: f32;
  if (u(1u) == 0u) {
    q = round(v);
  } else {
    let m = nearest_level(abs(v));
    q = select(m, -m, v < 0.0);
  }
  dst[i] = q * uf(5u);
}
