// Direct convolution, one invocation per output element: the path for grouped convs with few output
// channels per group (depthwise), where a GEMM tile would be mostly padding.
// ACT: the activation of the store (src/kernels/activation.ts).
// Uniforms: U, declared with the kernel in src/kernels/conv.ts.
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
{{ACT}}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
  let Cin = U.Cin; let H = U.H; let W = U.W; let Cout = U.Cout; let OH = U.OH; let OW = U.OW;
  let KH = U.KH; let KW = U.KW;
  let Cg = Cin / U.groups;
  let M = Cout / U.groups;
  let ow = i % OW;
  let oh = (i / OW) % OH;
  let co = (i / (OW * OH)) % Cout;
  let n = i / (OW * OH * Cout);
  let g = co / M;
  var s = 0.0;
  if (U.hasBias != 0u) { s = bias[co]; }
  for (var ci = 0u; ci < Cg; ci++) {
    let xc = (n * Cin + g * Cg + ci) * H;
    let wc = (co * Cg + ci) * KH;
    for (var kh = 0u; kh < KH; kh++) {
      let ih = i32(oh * U.sH + kh * U.dH) - U.pH;
      if (ih < 0 || ih >= i32(H)) { continue; }
      for (var kw = 0u; kw < KW; kw++) {
        let iw = i32(ow * U.sW + kw * U.dW) - U.pW;
        if (iw < 0 || iw >= i32(W)) { continue; }
        s += X[(xc + u32(ih)) * W + u32(iw)] * Wt[(wc + kh) * KW + kw];
      }
    }
  }
  out[i] = act(s);
}
