// Prepare a matmul operand: src [batch, R, C] -> dst [batch, rows, ld] with zero padding, where
// TRANSPOSE gives dst[b, c, r] = src[b, r, c] (rows = C, ld >= R) and PAD gives dst[b, r, c] (rows = R, ld >= C).
// ld is a multiple of 4 so the matmul kernel can read vec4s. R, C, ld and rows are compiled in: as uniforms,
// the divisions below cost lavapipe one scalar division per lane (a 1024^2 transpose: 13 of a matmul's 65 ms).
// Uniforms: TRANSPOSE_PAD in src/kernels/matmul.ts.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
{{GEOMETRY}}
  let col = i % ld;
  let row = (i / ld) % rows;
  let b = i / (ld * rows);
{{BODY}}
}
