// Weight gradient of a depthwise convolution, partial per image: one invocation per (n, c) sums
// dW[c, kh, kw] over the image's output pixels, dy[oh, ow] x[oh SH + kh DH - PH, ow SW + kw DW - PW], with
// the taps' sums in registers and the input read through the forward's sliding register window
// (src/kernels/depthwise-window.ts), R output rows at a time. The N partials are summed by reduceMiddle.
// Uniforms: U, declared with the kernel in src/kernels/conv-depthwise.ts.
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let job = linear_id(gid, nwg);
  if (job >= U.jobs) { return; }
  let H = i32(U.H); let W = i32(U.W); let OH = U.OH; let OW = U.OW;
  let c = job % U.C;
  let n = job / U.C;
  let plane = i32((n * U.C + c) * U.H * U.W);
  {{ACCUMULATORS}}
  for (var oh0 = 0u; oh0 < OH; oh0 += {{R}}u) {
    {{ROWS}}
    {{DECLARE}}
    {{PRIME}}
    let o = (n * U.C + c) * OH * OW + oh0 * OW;
    for (var ow = 0u; ow < OW; ow++) {
      let iw0 = i32(ow) * {{SW}} - {{PW}};
      {{STEP}}
      {{SUMS}}
    }
  }
  {{STORE}}
}
