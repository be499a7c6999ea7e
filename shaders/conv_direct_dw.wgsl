// Weight gradient of a direct convolution, one invocation per weight element looping over N, OH, OW.
// Uniforms as conv_direct plus [17] N ([0] = number of weight elements).
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> DW: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= u(0u)) { return; }
  let Cin = u(1u); let H = u(2u); let W = u(3u); let Cout = u(4u); let OH = u(5u); let OW = u(6u);
  let KH = u(7u); let KW = u(8u);
  let Cg = Cin / u(12u);
  let M = Cout / u(12u);
  let kw = i % KW;
  let kh = (i / KW) % KH;
  let cl = (i / (KW * KH)) % Cg;
  let co = i / (KW * KH * Cg);
  let ci = (co / M) * Cg + cl;
  var s = 0.0;
  for (var n = 0u; n < u(17u); n++) {
    for (var oh = 0u; oh < OH; oh++) {
      let ih = i32(oh * u(9u) + kh * u(11u)) - ui(10u);
      if (ih < 0 || ih >= i32(H)) { continue; }
      let yrow = ((n * Cout + co) * OH + oh) * OW;
      let xrow = ((n * Cin + ci) * H + u32(ih)) * W;
      for (var ow = 0u; ow < OW; ow++) {
        let iw = i32(ow * u(15u) + kw * u(16u)) - ui(14u);
        if (iw < 0 || iw >= i32(W)) { continue; }
        s += DY[yrow + ow] * X[xrow + u32(iw)];
      }
    }
  }
  DW[i] = s;
}
