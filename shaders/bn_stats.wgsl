// Per-channel batch mean and biased variance of X [N, C, P] (P = plane size in ELEMs), in two passes over
// the channel so the variance sums squared deviations (no E[x^2] - mean^2 cancellation). One workgroup per
// channel: each invocation sums an interleaved slice (neighbouring lanes read neighbouring addresses), the
// 64 partial sums meet in workgroup memory (three barriers per workgroup, none inside loops: cheap even on
// lavapipe, where barriers in hot loops are not).
// FINISH writes the results (src/kernels/batchnorm.ts): the statistics alone (OUT [2, C]: mean, biased
// variance), or for training BatchNorm everything its normalisation and backward need, with the running
// statistics updated in place, so no further per-channel kernels run.
// Uniforms: [0] N, [1] C, [2] P, [3] values per channel, then FINISH's own.
@group(0) @binding(1) var<storage, read> X: array<{{ELEM}}>;
{{BINDINGS}}
var<workgroup> part: array<f32, 64>;
var<workgroup> channelMean: f32;
fn total(v: {{ELEM}}) -> f32 { return {{HSUM}}; }
fn sumParts() -> f32 {
  var s = 0.0;
  for (var k = 0u; k < 64u; k++) { s += part[k]; }
  return s;
}
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let C = u(1u); let P = u(2u); let c = wid.x; let l = lid.x;
  let n = u(0u) * P;
  var acc = 0.0;
  for (var e = l; e < n; e += 64u) { acc += total(X[((e / P) * C + c) * P + e % P]); }
  part[l] = acc;
  workgroupBarrier();
  if (l == 0u) { channelMean = sumParts() / f32(u(3u)); }
  workgroupBarrier();
  let m = channelMean;
  var acc2 = 0.0;
  for (var e = l; e < n; e += 64u) {
    let d = X[((e / P) * C + c) * P + e % P] - {{ELEM}}(m);
    acc2 += total(d * d);
  }
  part[l] = acc2;
  workgroupBarrier();
  if (l == 0u) {
    let v = sumParts() / f32(u(3u));
{{FINISH}}
  }
}
