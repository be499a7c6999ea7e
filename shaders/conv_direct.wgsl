// Direct convolution, one invocation per output element: the path for grouped convs with few output
// channels per group (depthwise), where a GEMM tile would be mostly padding.
// Uniforms: [0] n, [1] Cin, [2] H, [3] W, [4] Cout, [5] OH, [6] OW, [7] KH, [8] KW, [9] stride,
// [10] pad (i32), [11] dil, [12] groups, [13] has bias, [14] padW (i32), [15] strideW, [16] dilW.
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= u(0u)) { return; }
  let Cin = u(1u); let H = u(2u); let W = u(3u); let Cout = u(4u); let OH = u(5u); let OW = u(6u);
  let KH = u(7u); let KW = u(8u);
  let Cg = Cin / u(12u);
  let M = Cout / u(12u);
  let ow = i % OW;
  let oh = (i / OW) % OH;
  let co = (i / (OW * OH)) % Cout;
  let n = i / (OW * OH * Cout);
  let g = co / M;
  var s = 0.0;
  if (u(13u) != 0u) { s = bias[co]; }
  for (var ci = 0u; ci < Cg; ci++) {
    let xc = (n * Cin + g * Cg + ci) * H;
    let wc = (co * Cg + ci) * KH;
    for (var kh = 0u; kh < KH; kh++) {
      let ih = i32(oh * u(9u) + kh * u(11u)) - ui(10u);
      if (ih < 0 || ih >= i32(H)) { continue; }
      for (var kw = 0u; kw < KW; kw++) {
        let iw = i32(ow * u(15u) + kw * u(16u)) - ui(14u);
        if (iw < 0 || iw >= i32(W)) { continue; }
        s += X[(xc + u32(ih)) * W + u32(iw)] * Wt[(wc + kh) * KW + kw];
      }
    }
  }
  out[i] = s;
}
