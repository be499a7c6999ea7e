// Input gradient of a direct convolution, one invocation per input element (no atomics).
// Uniforms: U, declared with the kernel in src/kernels/conv.ts.
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
  let Cin = U.Cin; let H = U.H; let W = U.W; let Cout = U.Cout; let OH = U.OH; let OW = U.OW;
  let KH = U.KH; let KW = U.KW; let sH = i32(U.sH); let sW = i32(U.sW);
  let Cg = Cin / U.groups;
  let M = Cout / U.groups;
  let iw = i % W;
  let ih = (i / W) % H;
  let ci = (i / (W * H)) % Cin;
  let n = i / (W * H * Cin);
  let g = ci / Cg;
  let cl = ci % Cg;
  var s = 0.0;
  for (var m = 0u; m < M; m++) {
    let co = g * M + m;
    for (var kh = 0u; kh < KH; kh++) {
      let th = i32(ih) + U.pH - i32(kh * U.dH);
      if (th < 0 || th % sH != 0 || th / sH >= i32(OH)) { continue; }
      for (var kw = 0u; kw < KW; kw++) {
        let tw = i32(iw) + U.pW - i32(kw * U.dW);
        if (tw < 0 || tw % sW != 0 || tw / sW >= i32(OW)) { continue; }
        s += DY[((n * Cout + co) * OH + u32(th / sH)) * OW + u32(tw / sW)] * Wt[((co * Cg + cl) * KH + kh) * KW + kw];
      }
    }
  }
  DX[i] = s;
}
