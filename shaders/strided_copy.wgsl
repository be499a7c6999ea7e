// Strided copy: GATHER reads src at base + sum(coord_d * stride_d) into a contiguous dst (permute, slice,
// expand); SCATTER writes a contiguous src into dst at those offsets (concat, slice backward).
// Uniforms: [0] n, [1] base, [4..4+R) shape, [4+R..4+2R) strides.
@group(0) @binding(1) var<storage, read> src: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> dst: array<{{T}}>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= u(0u)) { return; }
  var rem = i;
  var off = u(1u);
  for (var d = {{RANK}}u; d > 0u; d--) {
    let size = u(3u + d);
    off += (rem % size) * u(3u + {{RANK}}u + d);
    rem = rem / size;
  }
  {{MOVE}}
}
