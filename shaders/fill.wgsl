// dst[i] = start + i * step (fill when step = 0; arange otherwise).
// Uniforms: U, declared with the kernel in src/kernels/copy.ts.
@group(0) @binding(1) var<storage, read_write> dst: array<{{T}}>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
  dst[i] = {{VALUE}};
}
