// Histogram with u32 atomics, privatised per workgroup: 256 invocations fill a workgroup histogram of
// BINS counters over a CHUNK of the input, then add the non-zero counters to the global one (two barriers
// per workgroup, which lavapipe tolerates). bin = clamp(floor((x - lo) * invWidth), 0, bins - 1).
// Uniforms: U, declared with the kernel in src/kernels/quant.ts.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> hist: array<atomic<u32>>;
var<workgroup> local_hist: array<atomic<u32>, {{BINS}}>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let bins = U.bins;
  let chunk = U.chunk;
  let group = wid.x + wid.y * nwg.x;
  let start = group * chunk;
  let end = min(start + chunk, U.n);
  let lo = U.lo;
  let inv = U.invWidth;
  for (var i = start + lid.x; i < end; i += 256u) {
    let b = clamp(i32(floor((src[i] - lo) * inv)), 0, i32(bins) - 1);
    atomicAdd(&local_hist[b], 1u);
  }
  workgroupBarrier();
  for (var b = lid.x; b < bins; b += 256u) {
    let c = atomicLoad(&local_hist[b]);
    if (c != 0u) { atomicAdd(&hist[b], c); }
  }
}
