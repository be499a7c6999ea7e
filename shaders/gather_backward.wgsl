// Gradient of gather: gx[a, r, b] = sum over j of g[a, j, b] where index[a, j, b] == r.
// Written as a per-output loop instead of a scatter so no float atomics are needed.
// Uniforms: U, declared with the kernel in src/kernels/copy.ts.
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> gx: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  let A = U.A; let Rx = U.Rx; let B = U.B; let Ri = U.Ri;
  if (i >= A * Rx * B) { return; }
  let b = i % B;
  let r = i32((i / B) % Rx);
  let a = i / (Rx * B);
  var s = 0.0;
  for (var j = 0u; j < Ri; j++) {
    let k = (a * Ri + j) * B + b;
    if (clamp(index[k], 0, i32(Rx) - 1) == r) { s += g[k]; }
  }
  gx[i] = s;
}
