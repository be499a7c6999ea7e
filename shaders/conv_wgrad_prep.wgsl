// Operands for the conv weight gradient as one batched matmul over output pixels (kernels/matmul.ts):
//   dW[g, co, k] = sum over pixel p of DYT[g, p, co] * COLS[g, p, k],  k = (ci, kh, kw)
// Pixels p = (n, oh, ow) are padded to B chunks of equal length (zero rows), so split-K over the chunks
// is just the matmul's batch dimension. One invocation per (g, p) row.
// Uniforms: U, declared with the kernel in src/kernels/conv.ts.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_id(gid, nwg);
  if (row >= U.rows) { return; }
  let PIXP = U.PIXP; let OH = U.OH; let OW = U.OW; let ld = U.ld;
  let g = row / PIXP;
  let p = row % PIXP;
  let valid = p < U.pixels;
  let ow = p % OW;
  let oh = (p / OW) % OH;
  let n = p / (OW * OH) + U.n0;
  let out0 = row * ld;
{{BODY}}
}
