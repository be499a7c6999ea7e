// Pooling gradient, one invocation per input element summing over the windows that contain it (no atomics).
// The geometry (H, W, OH, OW, kH, kW, sH, sW, pH, pW, mode) is compiled in as constants (src/kernels/pool.ts):
// with runtime values every division and modulo here cost lavapipe one scalar division per SIMD lane.
// Uniforms: U, declared with the kernel in src/kernels/pool.ts.
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> arg: array<i32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;
fn window(o: u32, size: u32, osize: u32, k: u32, s: u32, p: i32, mode: u32) -> vec2<i32> {
  if (mode == 3u) { return vec2<i32>(i32((o * size) / osize), i32(((o + 1u) * size + osize - 1u) / osize)); }
  let a = i32(o * s) - p;
  return vec2<i32>(a, a + i32(k));
}
fn count(wr: vec2<i32>, wc: vec2<i32>, H: u32, W: u32, mode: u32, pH: i32, pW: i32) -> f32 {
  if (mode == 1u) {
    let pr1 = min(wr.y, i32(H) + pH); let pc1 = min(wc.y, i32(W) + pW);
    return f32((pr1 - wr.x) * (pc1 - wc.x));
  }
  return f32((min(wr.y, i32(H)) - max(wr.x, 0)) * (min(wc.y, i32(W)) - max(wc.x, 0)));
}
// output indices o whose window may contain x: all for adaptive, else those with o*s - p <= x < o*s - p + k
fn orange(x: u32, osize: u32, k: u32, s: u32, p: i32, mode: u32) -> vec2<u32> {
  if (mode == 3u) { return vec2<u32>(0u, osize); }
  let hi = (i32(x) + p) / i32(s);
  let lo = max(i32(x) + p - i32(k) + 1, 0);
  return vec2<u32>(u32((lo + i32(s) - 1) / i32(s)), u32(min(hi + 1, i32(osize))));
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
{{GEOMETRY}}
  let x = i % W;
  let y = (i / W) % H;
  let plane = i / (W * H);
  let rr = orange(y, OH, kH, sH, pH, mode);
  let cr = orange(x, OW, kW, sW, pW, mode);
  var s = 0.0;
  for (var oh = rr.x; oh < rr.y; oh++) {
    let wr = window(oh, H, OH, kH, sH, pH, mode);
    if (i32(y) < wr.x || i32(y) >= wr.y) { continue; }
    for (var ow = cr.x; ow < cr.y; ow++) {
      let wc = window(ow, W, OW, kW, sW, pW, mode);
      if (i32(x) < wc.x || i32(x) >= wc.y) { continue; }
      let o = (plane * OH + oh) * OW + ow;
      if (mode == 0u) { if (arg[o] == i32(i)) { s += G[o]; } }
      else { s += G[o] / count(wr, wc, H, W, mode, pH, pW); }
    }
  }
  DX[i] = s;
}
