// Strided copy: GATHER reads src at base + sum(coord_d * stride_d) into a contiguous dst (permute, slice,
// expand); SCATTER writes a contiguous src into dst at those offsets (concat, slice backward).
// Each invocation moves `per` consecutive elements, decomposing its first index once and then stepping
// along the last dim (runtime integer division is scalarised on CPU SIMD).
// Uniforms: [0] n, [1] base, [2] per, [4..4+R) shape, [4+R..4+2R) strides.
@group(0) @binding(1) var<storage, read> src: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> dst: array<{{T}}>;
fn offset_of(i: u32) -> u32 {
  var rem = i;
  var off = u(1u);
  for (var d = {{RANK}}u; d > 0u; d--) {
    let size = u(3u + d);
    off += (rem % size) * u(3u + {{RANK}}u + d);
    rem = rem / size;
  }
  return off;
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let per = u(2u);
  let first = linear_id(gid, nwg) * per;
  let last = min(first + per, u(0u));
  if (first >= last) { return; }
  let lastSize = u(3u + {{RANK}}u);
  let lastStride = u(3u + 2u * {{RANK}}u);
  var off = offset_of(first);
  var lc = first % lastSize;
  for (var i = first; i < last; i++) {
    {{MOVE}}
    lc++;
    off += lastStride;
    if (lc == lastSize) { lc = 0u; off = offset_of(i + 1u); }
  }
}
