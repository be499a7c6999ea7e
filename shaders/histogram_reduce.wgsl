// Sum of the P per-invocation histograms of histogram_private: hist[b] = sum over t of scratch[t * bins + b].
// Uniforms: [0] bins, [1] P.
@group(0) @binding(1) var<storage, read> scratch: array<u32>;
@group(0) @binding(2) var<storage, read_write> hist: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = linear_id(gid, nwg);
  let bins = u(0u);
  if (b >= bins) { return; }
  let P = u(1u);
  var s = 0u;
  for (var t = 0u; t < P; t++) { s += scratch[t * bins + b]; }
  hist[b] = s;
}
