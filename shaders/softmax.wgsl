// (log_)softmax along the middle axis of x viewed as [A, R, B]; one invocation per (a, b) line.
// Uniforms: U, declared with the kernel in src/kernels/reduce.ts.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  let A = U.A; let R = U.R; let B = U.B;
  if (i >= A * B) { return; }
  let base = (i / B) * R * B + i % B;
  var m = x[base];
  for (var r = 1u; r < R; r++) { m = max(m, x[base + r * B]); }
  var s = 0.0;
  for (var r = 0u; r < R; r++) { s += exp(x[base + r * B] - m); }
  {{WRITE}}
}
