// Input gradient of a strided depthwise convolution (stride 1 takes the forward window kernel with the flipped
// filter, src/kernels/conv-depthwise.ts), one invocation per input row (n, c, ih), no atomics: each
// dX element gathers the dY elements whose windows hold it, dx[ih, iw] = sum over taps (kh, kw) with
// ih = oh SH + kh DH - PH and iw = ow SW + kw DW - PW of dy[oh, ow] w[kh, kw]. The rows each kh reaches are
// found once per invocation; the geometry is compiled in, so the stride tests are constant masks and shifts.
// Uniforms: U, declared with the kernel in src/kernels/conv-depthwise.ts.
const KH = {{KH}}u; const KW = {{KW}}u; const SH = {{SH}}; const SW = {{SW}};
const PH = {{PH}}; const PW = {{PW}}; const DH = {{DH}}; const DW = {{DW}};
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_id(gid, nwg);
  if (row >= U.rows) { return; }
  let C = U.C; let H = U.H; let W = U.W; let OH = U.OH; let OW = U.OW;
  let ih = i32(row % H);
  let c = (row / H) % C;
  let n = row / (H * C);
  var w: array<f32, {{TAPS}}>;
  for (var k = 0u; k < KH * KW; k++) { w[k] = Wt[c * KH * KW + k]; }
  let plane = (n * C + c) * OH * OW;
  // the dY row each kh takes from (or -1 when none)
  var rowOff: array<i32, {{KH}}>;
  for (var kh = 0u; kh < KH; kh++) {
    let t = ih + PH - i32(kh) * DH;
    rowOff[kh] = select(-1, i32(plane) + (t / SH) * i32(OW), t >= 0 && t % SH == 0 && t / SH < i32(OH));
  }
  let o = row * W;
  for (var iw = 0u; iw < W; iw++) {
    var s = 0.0;
    for (var kw = 0u; kw < KW; kw++) {
      let r = i32(iw) + PW - i32(kw) * DW;
      if (r < 0 || r % SW != 0 || r / SW >= i32(OW)) { continue; }
      let col = r / SW;
      for (var kh = 0u; kh < KH; kh++) {
        if (rowOff[kh] >= 0) { s += DY[u32(rowOff[kh] + col)] * w[kh * KW + kw]; }
      }
    }
    DX[o + iw] = s;
  }
}
