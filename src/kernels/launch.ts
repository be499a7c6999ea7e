// Launch geometry shared by the kernels: grid folding, elements per invocation, workgroup shapes, and the
// choice between CPU-shaped and GPU-shaped kernel variants.
import { engine } from '../device/engine.js';

export type KernelVariant = 'cpu' | 'gpu';
/**
 * Which variant the kernels use: 'auto' picks by adapter (a software adapter such as lavapipe gets the
 * register-blocked, barrier-free kernels; a real GPU the workgroup-memory tiles). Tests force 'gpu' so the
 * GPU variants are checked on lavapipe too; QUANTSCOPE_KERNELS=cpu|gpu does the same from outside (Node).
 */
const env = (name: string): string | undefined => (typeof process !== 'undefined' ? process.env?.[name] : undefined);
export const kernelVariants: { choice: 'auto' | KernelVariant; subgroups: boolean } = {
  choice: (env('QUANTSCOPE_KERNELS') as KernelVariant) || 'auto',
  subgroups: env('QUANTSCOPE_SUBGROUPS') !== '0',
};
export const kernelVariant = (): KernelVariant =>
  kernelVariants.choice === 'auto' ? (engine().cpuAdapter ? 'cpu' : 'gpu') : kernelVariants.choice;

/**
 * Whether CPU-variant kernels may share loads across a SIMD group with subgroupBroadcast: the device has
 * subgroups of at least 8 lanes (lavapipe on AVX2 or wider). `kernelVariants.subgroups = false` (tests,
 * QUANTSCOPE_SUBGROUPS=0) keeps the plain register-blocked kernels.
 */
export const subgroupKernels = (): boolean =>
  kernelVariant() === 'cpu' && kernelVariants.subgroups && engine().subgroupSize >= 8;

export const WORKGROUP = 64;

/** Fold a 1-D launch of `invocations` into a 2-D grid (WebGPU caps each dimension at 65,535 workgroups). */
export function grid1d(invocations: number, wg = WORKGROUP): [number, number, number] {
  const groups = Math.ceil(invocations / wg);
  if (groups <= 65535) return [groups, 1, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y, 1];
}

/** Elements per invocation for flat loops: large tensors amortise invocation overhead (12 vs 5 GB/s on
 *  lavapipe at 16M), small ones keep enough invocations to fill the cores. */
export const perInvocation = (n: number) => (n >= 1 << 20 ? 32 : n >= 1 << 16 ? 8 : 1);

/**
 * Register-blocked kernels spread a WGX x WGY workgroup over (column tiles, row tiles). When the output
 * has fewer column tiles than the workgroup is wide (small images, narrow matrices), the idle columns
 * would waste SIMD lanes on CPU backends (measured 10 vs 40 GF/s at 4x4): turn the workgroup toward rows.
 */
export function fitWorkgroup(colTiles: number, wgx: number, wgy: number): [number, number] {
  if (colTiles >= wgx) return [wgx, wgy];
  const x = 2 ** Math.floor(Math.log2(colTiles));
  return [x, (wgx * wgy) / x];
}
