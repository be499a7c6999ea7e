// out = EXPR(a, b, c) over up to three inputs with PyTorch broadcasting.
// Uniforms: [0] n, [1..3] scalar params p0..p2 (f32 bits), [4..4+R) out shape, then R strides per input
// (stride 0 on broadcast dims). FLAT mode (all inputs contiguous, same shape) skips index arithmetic.
{{BINDINGS}}
{{HELPERS}}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= u(0u)) { return; }
  let p0 = uf(1u);
  let p1 = uf(2u);
  let p2 = uf(3u);
{{INDEX}}
{{LOADS}}
  out[i] = {{EXPR}};
}
