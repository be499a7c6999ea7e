// Sum of the P per-invocation histograms of histogram_private: hist[b] = sum over t of scratch[t * bins + b].
// Uniforms: U, declared with the kernel in src/kernels/quant.ts.
@group(0) @binding(1) var<storage, read> scratch: array<u32>;
@group(0) @binding(2) var<storage, read_write> hist: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = linear_id(gid, nwg);
  let bins = U.bins;
  if (b >= bins) { return; }
  let P = U.P;
  var s = 0u;
  for (var t = 0u; t < P; t++) { s += scratch[t * bins + b]; }
  hist[b] = s;
}
