// Strided copy: GATHER reads src at base + sum(coord_d * stride_d) into a contiguous dst (permute, slice,
// expand); SCATTER writes a contiguous src into dst at those offsets (concat, slice backward).
// Each invocation moves `per` consecutive elements, decomposing its first index once and then stepping
// along the last dim (runtime integer division is scalarised on CPU SIMD).
// Uniforms: U, declared with the kernel in src/kernels/copy.ts.
@group(0) @binding(1) var<storage, read> src: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> dst: array<{{T}}>;
fn offset_of(i: u32) -> u32 {
  var rem = i;
  var off = U.base;
  for (var d = {{RANK}}u; d > 0u; d--) {
    let size = U_shape(d - 1u);
    off += (rem % size) * U_strides(d - 1u);
    rem = rem / size;
  }
  return off;
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let per = U.per;
  let first = linear_id(gid, nwg) * per;
  let last = min(first + per, U.n);
  if (first >= last) { return; }
  let lastSize = U_shape({{RANK}}u - 1u);
  let lastStride = U_strides({{RANK}}u - 1u);
  var off = offset_of(first);
  var lc = first % lastSize;
  for (var i = first; i < last; i++) {
    {{MOVE}}
    lc++;
    off += lastStride;
    if (lc == lastSize) { lc = 0u; off = offset_of(i + 1u); }
  }
}
