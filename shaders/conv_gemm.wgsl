{{ENABLE}}
// Implicit-GEMM convolution: out[n, g*M + co, oh, ow] = bias + sum over k = (ci, kh, kw) of
// P[g, k, co] * XS[n, g*Cg + ci, oh*rowStep, ow] shifted by koff[k] (XS from conv_prep_input: the padded
// input, with one column-strided plane per kw for strided convs).
// Register-blocked like matmul_tn: each invocation owns TM output channels x TN4 groups of 4 output
// columns, in named vec4 accumulators, no shared memory, no barriers. XS is read as 4 scalars where a tap's
// column shift breaks vec4 alignment (a single padded plane saves two thirds of the preparation), and as
// vec4s (XS_T) by 1x1 convs whose rows, planes and samples all start on a vec4 (src/kernels/conv-gemm.ts).
// The subgroup variant (src/kernels/conv-gemm.ts) gives the lanes of a workgroup the same output channels
// (ROW_BLOCK = workgroup_id.y): lane l loads weight group l and subgroupBroadcast shares it, and no lane
// returns early, because all must reach the broadcasts (reads are clamped, stores guarded).
// Uniforms: U, declared with the kernel in src/kernels/conv-gemm.ts.
@group(0) @binding(1) var<storage, read> P: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> XS: array<{{XS_T}}>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
// XS offset of each contraction index k = (ci, kh, kw): one flat k loop instead of three nested ones
@group(0) @binding(4) var<storage, read> koff: array<u32>;
// RESIDUAL: nothing, or binding 5 `RES` (added before the activation; the output then binds at 6)
{{RESIDUAL}}
@group(0) @binding({{OUT_BINDING}}) var<storage, read_write> out: array<{{OUT_T}}>;
{{STORE_FN}}
@compute @workgroup_size({{WGX}}, {{WGY}}, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>{{SUBGROUP_ARGS}}) {
  let M = U.M; let Cg = U.Cg; let KH = U.KH; let KW = U.KW; let rowStep = U.rowStep;
  let pitch4 = U.pitch4; let groups = U.groups; let ldM4 = U.ldM4; let xsPitch = U.xsPitch;
  let n = gid.z / groups;
  let g = gid.z % groups;
  let row4 = {{ROW_BLOCK}} * {{TM4}}u;
  let pg0 = gid.x * {{TN4}}u;
  let total = U.OH * pitch4;
  let span = total * U.images; // column groups of the product (all images' when batch-folded)
{{EXIT}}
{{GROUPS}}
  let xsBase = n * U.sampleStrideXS + g * Cg * U.channelStrideXS;
  let pBase = g * U.groupStrideP4;
{{DECL}}
  let Kg = Cg * KH * KW;
{{K_LOOP}}
{{STORES}}
}
