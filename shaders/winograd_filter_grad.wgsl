// Last step of the Winograd weight gradient: dg = T dU T^T per filter (T = G^T; straight-line code
// generated in src/kernels/winograd.ts), four filters per invocation as the components of vec4 values.
// dU is position-major, dU[xi][pair] with pair = co * Cin + ci, so a vec4 load holds one position of four
// neighbouring filters; their r x r results are contiguous in dW and leave as r*r vec4 stores.
// Uniforms: U, declared with the kernel in src/kernels/winograd.ts.
@group(0) @binding(1) var<storage, read> IN: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dW: array<vec4<f32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
  let sXi = U.n;
{{BODY}}
}
