// Nearest-neighbour upsampling by integer factors: FORWARD out[p, oh, ow] = x[p, oh / f, ow / f];
// BACKWARD gx[p, h, w] = sum of g over the f x f block. Uniforms: [0] n (elements written), [1] H, [2] W
// (input size), [3] fH, [4] fW.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= u(0u)) { return; }
  let H = u(1u); let W = u(2u); let fH = u(3u); let fW = u(4u);
{{BODY}}
}
