// Depthwise convolution (groups = Cin = Cout), one invocation per block of R output rows of one channel
// plane (n, c, block): the channel's taps sit in registers, and a sliding register window over the input
// rows the block reaches walks the columns, loading each input once per block (src/kernels/depthwise-window.ts
// writes the window's statements out, every index a constant). The same kernel computes the input gradient
// of a stride-1 depthwise conv: the conv of dY with the flipped filter (FLIP) and padding (K-1) D - P.
// ACT: the activation of the store (src/kernels/activation.ts).
// Uniforms: U, declared with the kernel in src/kernels/conv-depthwise.ts (H, W: the input's; OH, OW: out).
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
{{ACT}}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let job = linear_id(gid, nwg);
  if (job >= U.jobs) { return; }
  let H = i32(U.H); let W = i32(U.W); let OH = U.OH; let OW = U.OW;
  let blk = job % U.blocks;
  let c = (job / U.blocks) % U.C;
  let n = job / (U.blocks * U.C);
  let oh0 = blk * {{R}}u;
  let plane = i32((n * U.C + c) * U.H * U.W);
  {{TAPS}}
  var b = 0.0;
  if (U.hasBias != 0u) { b = bias[c]; }
  {{ROWS}}
  {{DECLARE}}
  {{PRIME}}
  let o = (n * U.C + c) * OH * OW + oh0 * OW;
  for (var ow = 0u; ow < OW; ow++) {
    let iw0 = i32(ow) * {{SW}} - {{PW}};
    {{STEP}}
    {{OUTPUTS}}
  }
}
