// Fused optimizer updates, a run of parameter elements per invocation (PyTorch semantics).
// SGD:  d = g + wd*p; buf = first ? d : momentum*buf + (1 - dampening)*d; d = nesterov ? d + momentum*buf : buf;
//       p -= lr*d
// ADAM: d = g + wd*p; m = b1*m + (1-b1)*d; v = b2*v + (1-b2)*d^2; p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)
// Uniforms: U, declared with the kernel in src/kernels/optim.ts.
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> P: array<f32>;
@group(0) @binding(3) var<storage, read_write> S1: array<f32>;
{{STATE2}}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // PER consecutive elements per invocation: fewer invocations amortise their overhead on CPU backends
  let first = linear_id(gid, nwg) * U.per;
  let last = min(first + U.per, U.n);
  let lr = U.lr; let wd = U.weightDecay;
  for (var i = first; i < last; i++) {
    let p = P[i];
    let d = G[i] + wd * p;
{{BODY}}
  }
}
