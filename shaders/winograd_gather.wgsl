// Winograd transform of NCHW patches into the position-major layout the batched matmul reads.
// Each invocation reads one P x P patch of channel c of image n0 + n (zero outside the H x W plane), applies
// T · d · T^T (straight-line code generated from the matrix in src/kernels/winograd.ts, so zero coefficients
// cost nothing) and writes the Q x Q results to OUT[xi * sXi + c * sC + t * sT], xi = row-major position.
// Used for the input transforms B^T d B and the output-gradient transforms A dY A^T of F(4x4, 3x3) and
// F(4x4, 2x2). With SPLIT = 2 the patches come from the space-to-depth view of X that turns a stride-2 conv
// into a stride-1 one: channel c = (cx, ph, pw) reads X[cx][2r + ph][2col + pw].
// Loads (LOADER, from src/kernels/winograd.ts): one value at a time, or, when rows are whole vec4s
// (W % 4 = 0), the vec4s a patch row spans, zero outside the plane (3 loads for a 6-wide row instead of 6).
// Invocations walk fastest along whichever of channel and tile is contiguous in OUT (ORDER), so
// neighbouring lanes write neighbouring addresses: the scattered stores cost more than the reads.
// Uniforms: U, declared with the kernel in src/kernels/winograd.ts.
@group(0) @binding(2) var<storage, read_write> OUT: array<f32>;
const SPLIT: i32 = {{SPLIT}};
{{LOADER}}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
  let C = U.C; let tilesW = U.tilesW; let step = i32(U.step);
  let tiles = U.n / C;
  let perImage = U.tilesH * tilesW;
{{ORDER}}
  let cx = c / u32(SPLIT * SPLIT);
  let ph = i32(c / u32(SPLIT)) % SPLIT; let pw = i32(c) % SPLIT;
  let n = U.n0 + t / perImage;
  let th = (t % perImage) / tilesW;
  let tw = t % tilesW;
  let base = (n * (C / u32(SPLIT * SPLIT)) + cx) * U.H * U.W;
  let r0 = i32(th) * step + U.rowOffset;
  let c0 = i32(tw) * step + U.colOffset;
  let o = c * U.sC + t * U.sT;
  let sXi = U.sXi;
{{BODY}}
}
