// Weight gradient of a direct convolution, one invocation per weight element looping over N, OH, OW.
// Uniforms: U, declared with the kernel in src/kernels/conv.ts.
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> DW: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
  let Cin = U.Cin; let H = U.H; let W = U.W; let Cout = U.Cout; let OH = U.OH; let OW = U.OW;
  let KH = U.KH; let KW = U.KW;
  let Cg = Cin / U.groups;
  let M = Cout / U.groups;
  let kw = i % KW;
  let kh = (i / KW) % KH;
  let cl = (i / (KW * KH)) % Cg;
  let co = i / (KW * KH * Cg);
  let ci = (co / M) * Cg + cl;
  var s = 0.0;
  for (var n = 0u; n < U.N; n++) {
    for (var oh = 0u; oh < OH; oh++) {
      let ih = i32(oh * U.sH + kh * U.dH) - U.pH;
      if (ih < 0 || ih >= i32(H)) { continue; }
      let yrow = ((n * Cout + co) * OH + oh) * OW;
      let xrow = ((n * Cin + ci) * H + u32(ih)) * W;
      for (var ow = 0u; ow < OW; ow++) {
        let iw = i32(ow * U.sW + kw * U.dW) - U.pW;
        if (iw < 0 || iw >= i32(W)) { continue; }
        s += DY[yrow + ow] * X[xrow + u32(iw)];
      }
    }
  }
  DW[i] = s;
}
