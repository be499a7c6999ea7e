// torch.gather along the middle axis: x [A, Rx, B], index [A, Ri, B] -> out [A, Ri, B].
// Out-of-range indices are clamped (the host checks label ranges where they come from).
// Uniforms: U, declared with the kernel in src/kernels/copy.ts.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  let A = U.A; let Rx = U.Rx; let B = U.B; let Ri = U.Ri;
  if (i >= A * Ri * B) { return; }
  let b = i % B;
  let a = i / (Ri * B);
  let r = u32(clamp(index[i], 0, i32(Rx) - 1));
  out[i] = x[(a * Rx + r) * B + b];
}
