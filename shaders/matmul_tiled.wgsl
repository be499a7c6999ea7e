// C[b] = P[b]^T Q[b] (the contract of matmul_tn.wgsl) with workgroup-memory tiles, for discrete GPUs: a
// 16 x 16 workgroup computes a 64 x 64 block of C, each invocation 4 x 4 of it; every K step of 16 the
// workgroup stages 16 rows of P and of Q (one vec4 of each per invocation) in workgroup memory, so each
// operand value is read from global memory once per workgroup instead of once per invocation. On CPU
// backends (lavapipe) barriers are slow and the register-blocked matmul_tn wins; src/kernels/matmul.ts
// picks by adapter. Uniforms: U, declared with the kernel in src/kernels/matmul.ts.
@group(0) @binding(1) var<storage, read> P: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> Q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
const TK = 16u;
var<workgroup> Ps: array<vec4<f32>, 256>; // [k][row group]: 16 x 64 rows of C
var<workgroup> Qs: array<vec4<f32>, 256>; // [k][column group]: 16 x 64 columns of C
@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.y * 16u + lid.x;
  let pb = U.startP + wid.z * U.batchP4;
  let qb = U.startQ + wid.z * U.batchQ4;
  // what this invocation stages: row group and column group t % 16 of step k0 + t / 16
  let lr4 = wid.y * 16u + t % 16u;
  let lc4 = wid.x * 16u + t % 16u;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < U.K; k0 += TK) {
    let kk = k0 + t / 16u;
    var pv = vec4<f32>(0.0);
    var qv = vec4<f32>(0.0);
    if (kk < U.K && lr4 < U.ldp4) { pv = P[pb + kk * U.ldp4 + lr4]; }
    if (kk < U.K && lc4 < U.ldq4) { qv = Q[qb + kk * U.ldq4 + lc4]; }
    Ps[t] = pv;
    Qs[t] = qv;
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let p = Ps[k * 16u + lid.y];
      let q = Qs[k * 16u + lid.x];
      acc0 = fma(vec4<f32>(p.x), q, acc0);
      acc1 = fma(vec4<f32>(p.y), q, acc1);
      acc2 = fma(vec4<f32>(p.z), q, acc2);
      acc3 = fma(vec4<f32>(p.w), q, acc3);
    }
    workgroupBarrier();
  }
  let row0 = (wid.y * 16u + lid.y) * 4u;
  let col0 = (wid.x * 16u + lid.x) * 4u;
  let cb = wid.z * U.batchC;
  let rows = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var r = 0u; r < 4u; r++) {
    let row = row0 + r;
    if (row >= U.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + j;
      if (col < U.N) {
        let i = cb + row * U.N + col;
        if (U.accumulate != 0u) { C[i] = C[i] + rows[r][j]; } else { C[i] = rows[r][j]; }
      }
    }
  }
}
