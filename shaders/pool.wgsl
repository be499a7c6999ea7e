// 2-D pooling over windows, one invocation per output element. MODE max also writes the flat input index
// of the maximum (first one on ties, as PyTorch) for the backward pass.
// Window rows: [oh*s - p, oh*s - p + k) for max/avg; adaptive: [floor(oh*H/OH), ceil((oh+1)*H/OH)).
// The geometry (H, W, OH, OW, kH, kW, sH, sW, pH, pW, mode) is compiled in as constants (src/kernels/pool.ts):
// with runtime values every division and modulo here cost lavapipe one scalar division per SIMD lane.
// Uniforms: U, declared with the kernel in src/kernels/pool.ts.
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> arg: array<i32>;
fn window(o: u32, size: u32, osize: u32, k: u32, s: u32, p: i32, mode: u32) -> vec2<i32> {
  if (mode == 3u) { return vec2<i32>(i32((o * size) / osize), i32(((o + 1u) * size + osize - 1u) / osize)); }
  let a = i32(o * s) - p;
  return vec2<i32>(a, a + i32(k));
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
{{GEOMETRY}}
  let ow = i % OW;
  let oh = (i / OW) % OH;
  let plane = i / (OW * OH);
  let wr = window(oh, H, OH, kH, sH, pH, mode);
  let wc = window(ow, W, OW, kW, sW, pW, mode);
  let r0 = max(wr.x, 0); let r1 = min(wr.y, i32(H));
  let c0 = max(wc.x, 0); let c1 = min(wc.y, i32(W));
  var best = neg_inf();
  var bi = -1;
  var s = 0.0;
  for (var r = r0; r < r1; r++) {
    for (var c = c0; c < c1; c++) {
      let k = (plane * H + u32(r)) * W + u32(c);
      let v = X[k];
      s += v;
      if (v > best || bi < 0) { best = v; bi = i32(k); }
    }
  }
  if (mode == 0u) { out[i] = best; arg[i] = bi; return; }
  var count = f32((r1 - r0) * (c1 - c0));
  if (mode == 1u) {
    // count_include_pad: the window clipped to the padded input
    let pr1 = min(wr.y, i32(H) + pH); let pc1 = min(wc.y, i32(W) + pW);
    count = f32((pr1 - wr.x) * (pc1 - wc.x));
  }
  out[i] = s / count;
}
