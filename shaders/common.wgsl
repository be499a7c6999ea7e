// Prepended to every kernel. Uniform block: 64 u32 slots holding sizes, shapes, strides and scalars.
@group(0) @binding(0) var<uniform> U: array<vec4<u32>, 16>;
fn u(i: u32) -> u32 { return U[i / 4u][i % 4u]; }
fn ui(i: u32) -> i32 { return bitcast<i32>(U[i / 4u][i % 4u]); }
fn uf(i: u32) -> f32 { return bitcast<f32>(U[i / 4u][i % 4u]); }
// Linear invocation id for launches folded into a 2-D grid (grid1d in src/kernels/uniforms.ts).
fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * nwg.x * 64u; }
// Infinities and NaN must not be constant expressions in WGSL; a private variable keeps them runtime values.
var<private> INF_BITS: u32 = 0x7f800000u;
fn pos_inf() -> f32 { return bitcast<f32>(INF_BITS); }
fn neg_inf() -> f32 { return -bitcast<f32>(INF_BITS); }
fn nan_f32() -> f32 { return bitcast<f32>(INF_BITS | 0x400000u); }
