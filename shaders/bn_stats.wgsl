// Per-channel batch mean and biased variance of X [N, C, P] (P = plane size in ELEMs), in one pass over
// the channel with sums shifted by one of its values (see below). One workgroup per channel: each
// invocation sums an interleaved slice (neighbouring lanes read neighbouring addresses), the 64 partial
// sums meet in workgroup memory (one barrier per workgroup: cheap even on lavapipe, where barriers in hot
// loops are not).
// FINISH writes the results (src/kernels/batchnorm.ts): the statistics alone (OUT [2, C]: mean, biased
// variance), or for training BatchNorm everything its normalisation and backward need; either updates the
// running statistics RM, RV in place, so no further per-channel kernels run.
// Uniforms: U, declared with the kernel in src/kernels/batchnorm.ts.
@group(0) @binding(1) var<storage, read> X: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read> Bs: array<f32>;
@group(0) @binding(4) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(5) var<storage, read_write> RM: array<f32>;
@group(0) @binding(6) var<storage, read_write> RV: array<f32>;
var<workgroup> part: array<f32, 64>;
var<workgroup> part2: array<f32, 64>;
fn total(v: {{ELEM}}) -> f32 { return {{HSUM}}; }
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let C = U.C; let P = U.P; let c = wid.x; let l = lid.x;
  // one pass over the channel: sums of (x - k) and (x - k)^2 around k, taken from the channel's first values, so
  // the variance does not cancel the way E[x^2] - mean^2 does when |mean| >> std
  let ks = total(X[c * P]) / {{WIDTH}};
  let k = {{ELEM}}(ks);
  var acc = 0.0;
  var acc2 = 0.0;
  // lane l walks elements l, l + 64, ... of the channel as (image, offset) pairs stepped without a division
  // per element (a division by a runtime value is eight scalar divisions on CPU SIMD)
  let dImg = 64u / P; let dOff = 64u % P;
  var img = l / P; var off = l % P;
  while (img < U.N) {
    let d = X[(img * C + c) * P + off] - k;
    acc += total(d);
    acc2 += total(d * d);
    off += dOff; img += dImg;
    if (off >= P) { off -= P; img += 1u; }
  }
  part[l] = acc;
  part2[l] = acc2;
  workgroupBarrier();
  if (l == 0u) {
    let count = f32(U.count);
    var s1 = 0.0;
    var s2 = 0.0;
    for (var j = 0u; j < 64u; j++) { s1 += part[j]; s2 += part2[j]; }
    let dm = s1 / count;
    let m = ks + dm;
    let v = max(s2 / count - dm * dm, 0.0);
{{FINISH}}
  }
}
