enable subgroups;
// C[b] = P[b]^T Q[b] (the contract of matmul_tn.wgsl) for CPU backends with subgroups. lavapipe turns
// every storage load whose address is not a compile-time constant into one scalar load per SIMD lane, so
// in matmul_tn all 8 lanes of a workgroup load the same P values eight times over. Here the 8 lanes of a
// workgroup share its TM rows: lane l loads row group l once and subgroupBroadcast hands each group to
// all lanes, while each lane loads only its own TN columns of Q. Measured at 1024^3 on lavapipe (Intel
// Xeon): 40 GFLOPS against matmul_tn's 25. No lane returns early, because every lane must reach the
// broadcasts: reads are clamped into the operands and only the stores are guarded.
// P_T / Q_T: vec4<f32> for an operand laid out [K, ld], f32 for one with k contiguous (src/kernels/matmul-sg.ts).
// Uniforms: MATMUL_SG in src/kernels/matmul-sg.ts.
@group(0) @binding(1) var<storage, read> P: array<{{P_T}}>;
@group(0) @binding(2) var<storage, read> Q: array<{{Q_T}}>;
@group(0) @binding(3) var<storage, read_write> C: array<{{C_T}}>;
{{STORE_FN}}
@compute @workgroup_size({{WGX}}, 1, 1)
fn main(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(subgroup_invocation_id) lane: u32,
) {
  let pb = U.startP + gid.z * U.batchP;
  let qb = U.startQ + gid.z * U.batchQ;
  let cb = gid.z * U.batchC;
  let col4 = gid.x * {{TN4}}u;
  let row4 = wid.y * {{TM4}}u;
{{LAST}}
{{BASES}}
{{DECL}}
{{K_LOOP}}
{{STORES}}
}
