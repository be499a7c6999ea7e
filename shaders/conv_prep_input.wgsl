// Conv input preparation (a partial im2col along the kernel width only): for each kernel column kw,
// a copy of the zero-padded input with the conv stride and dilation applied to columns:
//   XS[n, kw, c, r, j] = V[n, c, r, j*colStride + kw*dil]     (0 for j >= colLimit)
// where V is the source with `ins`-fold zero insertion and (padTop, padLeft) offset: the same kernel serves
// the forward pass (ins = 1) and the input gradient (a transposed conv: ins = stride, flipped weights).
// Rows of XS are `pitch` wide (a multiple of 4) so the GEMM kernel reads 4 output columns per vec4.
// Uniforms: U, declared with the kernel in src/kernels/conv.ts.
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> XS: array<f32>;
// One invocation per XS row: per-invocation overhead dominates on CPU backends, so each writes `pitch` values.
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_id(gid, nwg);
  let C = U.C; let H = U.H; let W = U.W; let KW = U.KW; let Hp = U.Hp; let pitch = U.pitch;
  if (row >= U.n / pitch) { return; }
  let ins = i32(U.ins);
  let colStride = i32(U.colStride);
  let limit = U.colLimit;
  let r = row % Hp;
  let ch = (row / Hp) % C;
  let kw = (row / (Hp * C)) % KW;
  let n = row / (Hp * C * KW);
  let vr = i32(r) - U.padTop;
  let out0 = row * pitch;
  var rowOk = vr >= 0 && vr % ins == 0;
  let ir = u32(max(vr, 0) / ins);
  // integer division by a runtime value is scalarised on CPU SIMD: the column loop avoids it when ins == 1
  rowOk = rowOk && ir < H;
  let src = ((n * C + ch) * H + ir) * W;
  var vc = i32(kw * U.dil) - U.padLeft;
  for (var j = 0u; j < pitch; j++) {
    var v = 0.0;
{{INNER}}
    XS[out0 + j] = v;
    vc += colStride;
  }
}
