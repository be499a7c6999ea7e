// Fused optimizer updates, a run of parameter elements per invocation (PyTorch semantics).
// SGD:  d = g + wd*p; buf = first ? d : momentum*buf + (1 - dampening)*d; d = nesterov ? d + momentum*buf : buf; p -= lr*d
// ADAM: d = g + wd*p; m = b1*m + (1-b1)*d; v = b2*v + (1-b2)*d^2; p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)
// Uniforms: [0] n, [1] lr, [2] weight decay, [3] momentum | beta1, [4] dampening | beta2, [5] flags
// (bit 0 nesterov, bit 1 first step), [6] bias correction 1, [7] bias correction 2, [8] eps, [9] elements per
// invocation.
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> P: array<f32>;
@group(0) @binding(3) var<storage, read_write> S1: array<f32>;
{{STATE2}}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // PER consecutive elements per invocation: fewer invocations amortise their overhead on CPU backends
  let first = linear_id(gid, nwg) * u(9u);
  let last = min(first + u(9u), u(0u));
  let lr = uf(1u); let wd = uf(2u); let flags = u(5u);
  for (var i = first; i < last; i++) {
    let p = P[i];
    let d = G[i] + wd * p;
{{BODY}}
  }
}
