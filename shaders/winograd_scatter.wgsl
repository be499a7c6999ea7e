// Inverse of winograd_gather (invocations walk fastest along whichever of channel and tile is contiguous
// in IN): each invocation reads the P x P values of one (channel c, tile t) from the
// position-major layout IN[xi * sXi + c * sC + t * sT], applies T · m · T^T (generated straight-line code,
// src/kernels/winograd.ts) and writes the Q x Q result into channel c of image n0 + n of an NCHW tensor,
// adding bias[c] when asked, skipping positions past OH x OW. With SPLIT = 2 the result is a
// space-to-depth channel c = (cx, ph, pw) and lands at Y[cx][2r + ph][2col + pw] (the input gradient of a
// stride-2 conv).
// Stores (STORER, from src/kernels/winograd.ts): one value at a time, or a vec4 per output row when rows
// are whole vec4s (OW % 4 = 0, no split).
// Used for the output transforms A^T m A (6x6 or 5x5 -> 4x4) and for the weight-gradient transforms
// G^T dU G (one "tile" per filter).
// Uniforms: U, declared with the kernel in src/kernels/winograd.ts.
@group(0) @binding(1) var<storage, read> IN: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
const SPLIT: u32 = {{SPLIT}}u;
{{STORER}}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
  let C = U.C; let tilesW = U.tilesW; let step = U.step;
  let tiles = U.n / C;
  let perImage = U.tilesH * tilesW;
{{ORDER}}
  let cx = c / (SPLIT * SPLIT);
  let ph = (c / SPLIT) % SPLIT; let pw = c % SPLIT;
  let n = U.n0 + t / perImage;
  let oh0 = ((t % perImage) / tilesW) * step;
  let ow0 = (t % tilesW) * step;
  let base = (n * (C / (SPLIT * SPLIT)) + cx) * U.OH * U.OW;
  let o = c * U.sC + t * U.sT;
  let sXi = U.sXi;
  var b = 0.0;
  if (U.hasBias != 0u) { b = bias[c]; }
{{BODY}}
}
