// Depthwise convolution (groups = Cin = Cout), one invocation per output row (n, c, oh): the channel's
// KH x KW taps are loaded once into registers, the input rows a tap reaches are found once per row, and the
// loop walks ow with the geometry (kernel, strides, paddings, dilations) compiled in as constants, so the
// per-output work is a few compares and multiply-adds (the generic direct kernel divides by runtime values
// per tap, which CPU SIMD scalarises). A network has few distinct depthwise geometries, so few pipelines.
// ACT: the activation of the store (src/kernels/activation.ts).
// Uniforms: U, declared with the kernel in src/kernels/conv-depthwise.ts.
const KH = {{KH}}u; const KW = {{KW}}u; const SH = {{SH}}; const SW = {{SW}};
const PH = {{PH}}; const PW = {{PW}}; const DH = {{DH}}; const DW = {{DW}};
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
{{ACT}}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_id(gid, nwg);
  if (row >= U.rows) { return; }
  let C = U.C; let H = U.H; let W = U.W; let OH = U.OH; let OW = U.OW;
  let oh = i32(row % OH);
  let c = (row / OH) % C;
  let n = row / (OH * C);
  var w: array<f32, {{TAPS}}>;
  for (var k = 0u; k < KH * KW; k++) { w[k] = Wt[c * KH * KW + k]; }
  var b = 0.0;
  if (U.hasBias != 0u) { b = bias[c]; }
  let plane = (n * C + c) * H * W;
  // the input row each kh reaches (or -1 outside the padded plane)
  var rowOff: array<i32, {{KH}}>;
  for (var kh = 0u; kh < KH; kh++) {
    let ih = oh * SH + i32(kh) * DH - PH;
    rowOff[kh] = select(-1, i32(plane) + ih * i32(W), ih >= 0 && ih < i32(H));
  }
  let o = row * OW;
  for (var ow = 0u; ow < OW; ow++) {
    var s = b;
    let iw0 = i32(ow) * SW - PW;
    for (var kw = 0u; kw < KW; kw++) {
      let iw = iw0 + i32(kw) * DW;
      if (iw < 0 || iw >= i32(W)) { continue; }
      for (var kh = 0u; kh < KH; kh++) {
        if (rowOff[kh] >= 0) { s += X[u32(rowOff[kh] + iw)] * w[kh * KW + kw]; }
      }
    }
    out[o + ow] = act(s);
  }
}
