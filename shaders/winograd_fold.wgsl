// Weight gradient of a stride-2 3x3 conv computed through space-to-depth (src/kernels/winograd.ts):
// folds the 2x2 gradients of the four phase filters, dWp[co][cx][ph][pw][a][b], back onto the 3x3 taps,
// dW[co][cx][kh][kw] with kh = 2a + ph + KOFF. Every tap has exactly one (a, ph) (KOFF is 0 or -1).
// Uniforms: U, declared with the kernel in src/kernels/winograd.ts.
@group(0) @binding(1) var<storage, read> dWp: array<f32>;
@group(0) @binding(2) var<storage, read_write> dW: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= U.n) { return; }
  let kw = i % 3u; let kh = (i / 3u) % 3u; let pair = i / 9u;
  let rh = u32(i32(kh) - ({{KOFF}})); let rw = u32(i32(kw) - ({{KOFF}}));
  let ph = rh % 2u; let a = rh / 2u; let pw = rw % 2u; let b = rw / 2u;
  dW[i] = dWp[(pair * 4u + ph * 2u + pw) * 4u + a * 2u + b];
}
