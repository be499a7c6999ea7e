// Reduce the middle axis of x viewed as [A, R, B] over chunks: out[a, c, b] = OP over r in chunk c.
// A second launch of the same kernel combines the chunks when one pass leaves too little parallelism.
// Uniforms: [0] A, [1] R, [2] B, [3] chunk, [4] C (chunks).
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  let A = u(0u); let R = u(1u); let B = u(2u); let chunk = u(3u); let C = u(4u);
  if (i >= A * C * B) { return; }
  let b = i % B;
  let c = (i / B) % C;
  let a = i / (B * C);
  let r0 = c * chunk;
  let r1 = min(R, r0 + chunk);
  var acc: f32 = {{INIT}};
  for (var r = r0; r < r1; r++) {
    let v = x[(a * R + r) * B + b];
    acc = {{COMBINE}};
  }
  out[i] = acc;
}
