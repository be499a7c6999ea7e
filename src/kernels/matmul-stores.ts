// The output stores shared by the register-blocked matmul kernels (matmul_tn, matmul_sg): C[base + row·N + col
// .. + 3] = v (or +=, with U.accumulate), guarded against the matrix edges; one vec4 store when N is a multiple
// of 4, since a vec4 then never straddles rows (stores dominate short-K products such as Winograd's).
export const STORE_SCALAR = `fn store(base: u32, row: u32, col: u32, v: vec4<f32>) {
  let M = U.M; let N = U.N;
  if (row >= M) { return; }
  let acc = U.accumulate != 0u;
  for (var j = 0u; j < 4u; j++) {
    let c = col + j;
    if (c < N) {
      let k = base + row * N + c;
      if (acc) { C[k] = C[k] + v[j]; } else { C[k] = v[j]; }
    }
  }
}`;
export const STORE_VEC4 = `fn store(base: u32, row: u32, col: u32, v: vec4<f32>) {
  let N = U.N;
  if (row >= U.M || col >= N) { return; }
  let k = (base + row * N + col) / 4u;
  if (U.accumulate != 0u) { C[k] = C[k] + v; } else { C[k] = v; }
}`;
