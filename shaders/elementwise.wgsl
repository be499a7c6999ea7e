// out = EXPR(a, b, c) over up to three inputs with PyTorch broadcasting.
// Uniforms: U, declared with the kernel in src/kernels/elementwise.ts (broadcast strides are 0 on broadcast dims).
// FLAT mode (all inputs contiguous, same shape) skips index arithmetic;
// broadcast mode decomposes the first index once and then steps along the last dim (integer division by
// runtime values is scalarised on CPU SIMD, so it is kept out of the per-element path).
{{BINDINGS}}
{{HELPERS}}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p0 = U.p0;
  let p1 = U.p1;
  let p2 = U.p2;
  // PER consecutive elements per invocation: fewer invocations amortise their overhead on CPU backends
  let per = U.per;
  let first = linear_id(gid, nwg) * per;
  let last = min(first + per, U.n);
{{SETUP}}
  for (var i = first; i < last; i++) {
{{INDEX}}
{{LOADS}}
    out[i] = {{EXPR}};
{{ADVANCE}}
  }
}
