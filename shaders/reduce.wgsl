// Reduce the middle axis of x viewed as [A, R, B] over chunks: out[a, c, b] = OP over r in chunk c.
// A second launch of the same kernel combines the chunks when one pass leaves too little parallelism.
// Uniforms: U, declared with the kernel in src/kernels/reduce.ts.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  let A = U.A; let R = U.R; let B = U.B; let chunk = U.chunk; let C = U.C;
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
