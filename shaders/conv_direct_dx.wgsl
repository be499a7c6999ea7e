// Input gradient of a direct convolution, one invocation per input element (no atomics).
// Uniforms as conv_direct ([0] = number of input elements).
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= u(0u)) { return; }
  let Cin = u(1u); let H = u(2u); let W = u(3u); let Cout = u(4u); let OH = u(5u); let OW = u(6u);
  let KH = u(7u); let KW = u(8u); let sH = i32(u(9u)); let sW = i32(u(15u));
  let Cg = Cin / u(12u);
  let M = Cout / u(12u);
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
      let th = i32(ih) + ui(10u) - i32(kh * u(11u));
      if (th < 0 || th % sH != 0 || th / sH >= i32(OH)) { continue; }
      for (var kw = 0u; kw < KW; kw++) {
        let tw = i32(iw) + ui(14u) - i32(kw * u(16u));
        if (tw < 0 || tw % sW != 0 || tw / sW >= i32(OW)) { continue; }
        s += DY[((n * Cout + co) * OH + u32(th / sH)) * OW + u32(tw / sW)] * Wt[((co * Cg + cl) * KH + kh) * KW + kw];
      }
    }
  }
  DX[i] = s;
}
