// Index of the first maximum (or minimum) along the middle axis of x viewed as [A, R, B] -> int32 [A, B].
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  let A = U.A; let R = U.R; let B = U.B;
  if (i >= A * B) { return; }
  let b = i % B;
  let a = i / B;
  var best = x[a * R * B + b];
  var arg = 0u;
  for (var r = 1u; r < R; r++) {
    let v = x[(a * R + r) * B + b];
    if (v {{CMP}} best) { best = v; arg = r; }
  }
  out[i] = i32(arg);
}
