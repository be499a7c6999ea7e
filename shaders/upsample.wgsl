// Nearest-neighbour upsampling by integer factors: FORWARD out[p, oh, ow] = x[p, oh / f, ow / f];
// BACKWARD gx[p, h, w] = sum of g over the f x f block. Uniforms: U, declared with the kernel in src/kernels/pool.ts.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
  let H = U.H; let W = U.W; let fH = U.fH; let fW = U.fW;
{{BODY}}
}
