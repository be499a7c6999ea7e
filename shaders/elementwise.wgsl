// out = EXPR(a, b, c) over up to three inputs with PyTorch broadcasting.
// Uniforms: [0] n, [1..3] scalar params p0..p2 (f32 bits), [4] elements per invocation, [5..5+R) out shape,
// then R strides per input
// (stride 0 on broadcast dims). FLAT mode (all inputs contiguous, same shape) skips index arithmetic;
// broadcast mode decomposes the first index once and then steps along the last dim (integer division by
// runtime values is scalarised on CPU SIMD, so it is kept out of the per-element path).
{{BINDINGS}}
{{HELPERS}}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p0 = uf(1u);
  let p1 = uf(2u);
  let p2 = uf(3u);
  // PER consecutive elements per invocation: fewer invocations amortise their overhead on CPU backends
  let per = u(4u);
  let first = linear_id(gid, nwg) * per;
  let last = min(first + per, u(0u));
{{SETUP}}
  for (var i = first; i < last; i++) {
{{INDEX}}
{{LOADS}}
    out[i] = {{EXPR}};
{{ADVANCE}}
  }
}
