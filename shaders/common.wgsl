// Prepended to every kernel, before its uniform declarations (src/kernels/define-kernel.ts).
// Linear invocation id for launches folded into a 2-D grid (grid1d in src/kernels/launch.ts).
fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * nwg.x * 64u; }
// Infinities and NaN must not be constant expressions in WGSL; a private variable keeps them runtime values.
var<private> INF_BITS: u32 = 0x7f800000u;
fn pos_inf() -> f32 { return bitcast<f32>(INF_BITS); }
fn neg_inf() -> f32 { return -bitcast<f32>(INF_BITS); }
fn nan_f32() -> f32 { return bitcast<f32>(INF_BITS | 0x400000u); }
