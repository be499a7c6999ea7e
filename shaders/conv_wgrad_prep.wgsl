// Operands for the conv weight gradient as one batched matmul over output pixels (kernels/matmul.ts):
//   dW[g, co, k] = sum over pixel p of DYT[g, p, co] * COLS[g, p, k],  k = (ci, kh, kw)
// Pixels p = (n, oh, ow) are padded to B chunks of equal length (zero rows), so split-K over the chunks
// is just the matmul's batch dimension. One invocation per (g, p) row.
// Uniforms: [0] rows (groups * padded pixels), [1] padded pixels, [2] pixels, [3] OH, [4] OW, [5] ld,
// [6] M, [7] Cout, [8] Cin, [9] Cg, [10] H, [11] W, [12] KH, [13] KW, [14] sH, [15] sW, [16] pH (i32),
// [17] pW (i32), [18] dH, [19] dW, [20] first image (the batch may be processed in image ranges).
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_id(gid, nwg);
  if (row >= u(0u)) { return; }
  let PIXP = u(1u); let OH = u(3u); let OW = u(4u); let ld = u(5u);
  let g = row / PIXP;
  let p = row % PIXP;
  let valid = p < u(2u);
  let ow = p % OW;
  let oh = (p / OW) % OH;
  let n = p / (OW * OH) + u(20u);
  let out0 = row * ld;
{{BODY}}
}
