// Prepare a matmul operand: src [batch, R, C] -> dst [batch, rows, ld] with zero padding, where
// TRANSPOSE gives dst[b, c, r] = src[b, r, c] (rows = C, ld >= R) and PAD gives dst[b, r, c] (rows = R, ld >= C).
// ld is a multiple of 4 so the matmul kernel can read vec4s. Uniforms: TRANSPOSE_PAD in src/kernels/matmul.ts.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
  let R = U.R; let C = U.C; let ld = U.ld; let rows = U.rows;
  let col = i % ld;
  let row = (i / ld) % rows;
  let b = i / (ld * rows);
{{BODY}}
}
