// Backward reductions of Y = (X - m[c]) * s[c] + b[c] over X [N, C, P]: per channel sum of G * (X - m)
// (the gradient of s, summed from deviations so nothing cancels) and sum of G (the gradient of b).
// One workgroup per channel, as in bn_stats.wgsl. OUT [2, C]: row 0 sum G (X - m), row 1 sum G.
// With a fused ReLU after the affine, G is masked by its output Y (GRAD reads both).
// Uniforms: U, declared with the kernel in src/kernels/batchnorm.ts.
@group(0) @binding(1) var<storage, read> G: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read> X: array<{{ELEM}}>;
@group(0) @binding(3) var<storage, read> M: array<f32>;
{{TAIL}}
var<workgroup> partA: array<f32, 64>;
var<workgroup> partB: array<f32, 64>;
fn total(v: {{ELEM}}) -> f32 { return {{HSUM}}; }
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let C = U.C; let P = U.P; let c = wid.x; let l = lid.x;
  let m = {{ELEM}}(M[c]);
  var a = 0.0;
  var b = 0.0;
  // (image, offset) stepped without a per-element division, as in bn_stats.wgsl
  let dImg = 64u / P; let dOff = 64u % P;
  var img = l / P; var off = l % P;
  while (img < U.N) {
    let k = (img * C + c) * P + off;
    let g = {{GRAD}};
    a += total(g * (X[k] - m));
    b += total(g);
    off += dOff; img += dImg;
    if (off >= P) { off -= P; img += 1u; }
  }
  partA[l] = a;
  partB[l] = b;
  workgroupBarrier();
  if (l == 0u) {
    var sa = 0.0;
    var sb = 0.0;
    for (var k = 0u; k < 64u; k++) { sa += partA[k]; sb += partB[k]; }
    OUT[c] = sa;
    OUT[C + c] = sb;
  }
}
