// Winograd transform of NCHW patches into the position-major layout the batched matmul reads.
// Each invocation reads one P x P patch of channel c of image n0 + n (zero outside the H x W plane), applies
// T · d · T^T (straight-line code generated from the matrix in src/kernels/winograd.ts, so zero coefficients
// cost nothing) and writes the Q x Q results to OUT[xi * sXi + c * sC + t * sT], xi = row-major position.
// Used for the input transform B^T d B (6x6 -> 6x6) and for the output-gradient transform A dY A^T
// (4x4 -> 6x6) of F(4x4, 3x3). Invocations walk fastest along whichever of channel and tile is contiguous
// in OUT (ORDER), so neighbouring lanes write neighbouring addresses: 36 scattered stores per invocation
// cost more than the reads.
// Uniforms: [0] invocations (C * tiles), [1] C, [2] H, [3] W, [4] tilesH, [5] tilesW, [6] row offset of
// tile 0 (i32), [7] column offset (i32), [8] n0, [9] sXi, [10] sC, [11] sT, [12] tile step (output size m).
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> OUT: array<f32>;
fn at(base: u32, r: i32, c: i32) -> f32 {
  if (r < 0 || c < 0 || r >= i32(u(2u)) || c >= i32(u(3u))) { return 0.0; }
  return X[base + u32(r) * u(3u) + u32(c)];
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= u(0u)) { return; }
  let C = u(1u); let tilesW = u(5u); let step = i32(u(12u));
  let tiles = u(0u) / C;
  let perImage = u(4u) * tilesW;
{{ORDER}}
  let n = u(8u) + t / perImage;
  let th = (t % perImage) / tilesW;
  let tw = t % tilesW;
  let base = (n * C + c) * u(2u) * u(3u);
  let r0 = i32(th) * step + ui(6u);
  let c0 = i32(tw) * step + ui(7u);
  let o = c * u(10u) + t * u(11u);
  let sXi = u(9u);
{{BODY}}
}
