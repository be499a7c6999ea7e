// Fake quantization (quantize -> dequantize in one pass), per-tensor scale.
// Uniforms: U, declared with the kernel in src/kernels/quant.ts.
// QUANT is specialised per format kind (integer grid: round(), ties to even as torch.round; level table:
// nearest magnitude by binary search, ties to the smaller one) and CLAMP per clamping, so the per-element
// loop has no mode branches. Levels: ascending magnitudes starting at 0.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> levels: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

fn nearest_level(a: f32, n: u32) -> f32 {
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
  let per = U.per;
  let first = linear_id(gid, nwg) * per;
  let last = min(first + per, U.n);
  let nLevels = U.nLevels;
  let inv = U.invScale;
  let scale = U.scale;
  let qmax = U.qmax;
  for (var i = first; i < last; i++) {
    var v = src[i] * inv;
{{CLAMP}}
{{QUANT}}
    dst[i] = q * scale;
  }
}
