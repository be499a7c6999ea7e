// C[b] = P[b]^T Q[b]: P [K, ldp] and Q [K, ldq] row-major with ldp, ldq multiples of 4 (see transpose_pad).
// Register-blocked without shared memory or barriers: each invocation owns a TM x TN block of C held in
// named vec4 accumulators, reads vec4s of both operands per k. On lavapipe this ran ~50x faster than a
// shared-memory tiled kernel (measured when it was written; README, Performance). Out-of-range columns
// read clamped addresses; only the store is guarded. Uniforms: MATMUL_TN in src/kernels/matmul.ts (an operand
// can start inside a larger buffer). C is written as vec4s when N is a multiple of 4 (a
// vec4 never straddles rows): stores dominate short-K products such as Winograd's.
@group(0) @binding(1) var<storage, read> P: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> Q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> C: array<{{C_T}}>;
{{STORE_FN}}
@compute @workgroup_size({{WGX}}, {{WGY}}, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let K = U.K; let ldp4 = U.ldp4; let ldq4 = U.ldq4;
  let pb = U.startP + gid.z * U.batchP4;
  let qb = U.startQ + gid.z * U.batchQ4;
  let cb = gid.z * U.batchC;
  let col4 = gid.x * {{TN4}}u;
  let row4 = gid.y * {{TM4}}u;
  if (col4 >= ldq4 || row4 >= ldp4) { return; }
{{DECL}}
{{K_LOOP}}
{{STORES}}
}
