// The engine's one link to WebGPU: device setup, buffer pool, pipeline cache, and a command stream that
// batches many dispatches per submit. Everything here is platform-neutral: the GPU object comes from
// navigator.gpu in a browser or from src/platform/node.ts under Dawn.
import { BufferCache, type BufferCacheStats } from './buffer-cache.js';

export type DType = 'float32' | 'int32';

/** A compiled kernel: WGSL source plus how many read-only and read-write storage buffers it binds. */
export interface KernelSpec {
  /** cache key: op + dtype + rank + config; one pipeline per key serves every shape (shapes are uniforms) */
  key: string;
  inputs: number;
  outputs: number;
  source: () => string;
}

const UNIFORM_SLOT = 256; // minUniformBufferOffsetAlignment on every adapter we target
const SLOTS_PER_SUBMIT = 128; // dispatches recorded before a submit (TF.js/ORT use ~16; fewer submits win on lavapipe)
const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */

export interface EngineStats extends BufferCacheStats {
  dispatches: number;
  submits: number;
  pipelines: number;
  readbacks: number;
}

/** Hooks a platform can set: Dawn in Node polls the JS thread while a promise is pending; the Node
 *  platform uses these to throttle that polling while we wait on the GPU. */
export const waitHooks = { begin: () => {}, end: () => {} };

export class Engine {
  readonly buffers: BufferCache;
  private pipelines = new Map<string, { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>();
  private encoder: GPUCommandEncoder | null = null;
  private readonly destroyAfterSubmit: GPUBuffer[] = [];
  private pass: GPUComputePassEncoder | null = null;
  private uniformArena: GPUBuffer;
  private uniformMirror = new Uint8Array(UNIFORM_SLOT * SLOTS_PER_SUBMIT);
  private slot = 0;
  private lostMessage: string | null = null;
  private errors: string[] = [];
  private counters = { dispatches: 0, submits: 0, readbacks: 0 };
  private stagingFree = new Map<number, GPUBuffer[]>();
  // how often each buffer has been written: caches of data derived from a buffer check it (kernels/derived.ts)
  private writeCounts = new WeakMap<GPUBuffer, number>();
  private releaseHooks: ((buf: GPUBuffer) => void)[] = [];

  constructor(
    readonly device: GPUDevice,
    readonly adapterInfo: string,
    private keepAlive: unknown,
    /** a software rasteriser on the CPU (lavapipe, SwiftShader): kernels pick their CPU-shaped variants */
    readonly cpuAdapter: boolean,
    /** the smallest subgroup the device runs, when it has the `subgroups` feature (lavapipe: 8); else 0 */
    readonly subgroupSize = 0,
  ) {
    this.buffers = new BufferCache(device, STORAGE_USAGE);
    this.uniformArena = device.createBuffer({ size: this.uniformMirror.byteLength, usage: 0x40 /* UNIFORM */ | 0x08 });
    device.lost.then((info) => {
      this.lostMessage = `WebGPU device lost (${info.reason}): ${info.message}`;
    });
    device.addEventListener('uncapturederror', (ev: Event) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.errors.push(e.message);
    });
  }

  get gpuObject(): unknown {
    return this.keepAlive;
  }

  private checkAlive(): void {
    if (this.lostMessage) throw new Error(this.lostMessage);
    if (this.errors.length) {
      const msg = this.errors.splice(0).join('\n');
      throw new Error(`WebGPU error: ${msg}`);
    }
  }

  createBuffer(bytes: number): GPUBuffer {
    this.checkAlive();
    // kernels bind whole buffers, so a larger one could be created but never used: say so here, by size,
    // instead of a WebGPU validation error at its first dispatch (Inception_BN at batch 128 on lavapipe)
    const limit = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > limit) {
      const mib = (b: number) => (b / 2 ** 20).toFixed(1);
      throw new Error(
        `a ${mib(bytes)} MiB tensor exceeds this adapter's storage-binding limit of ${mib(limit)} MiB ` +
          `(${this.adapterInfo}); use a smaller batch size`,
      );
    }
    return this.buffers.acquire(bytes);
  }

  /** Call `hook` with every buffer released from now on (caches of derived data drop their entries). */
  onRelease(hook: (buf: GPUBuffer) => void): void {
    this.releaseHooks.push(hook);
  }

  releaseBuffer(buf: GPUBuffer): void {
    for (const hook of this.releaseHooks) hook(buf);
    if (this.buffers.release(buf)) return;
    // dropped from the full cache: recorded dispatches may still use it, so destroy it after their submit
    if (this.encoder) this.destroyAfterSubmit.push(buf);
    else buf.destroy();
  }

  /** How many writes (uploads, copies, dispatches naming it as an output) `buf` has seen, in recording order. */
  writeCount(buf: GPUBuffer): number {
    return this.writeCounts.get(buf) ?? 0;
  }

  private wrote(buf: GPUBuffer): void {
    this.writeCounts.set(buf, this.writeCount(buf) + 1);
  }

  /** Upload host data. Pending dispatches are submitted first so the write cannot overtake them. */
  write(buf: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.wrote(buf);
    this.flush();
    this.device.queue.writeBuffer(buf, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  private pipelineFor(spec: KernelSpec) {
    let p = this.pipelines.get(spec.key);
    if (p) return p;
    const entries: GPUBindGroupLayoutEntry[] = [
      { binding: 0, visibility: 4 /* COMPUTE */, buffer: { type: 'uniform' } },
    ];
    for (let i = 0; i < spec.inputs + spec.outputs; i++) {
      entries.push({
        binding: i + 1,
        visibility: 4,
        buffer: { type: i < spec.inputs ? 'read-only-storage' : 'storage' },
      });
    }
    const layout = this.device.createBindGroupLayout({ label: spec.key, entries });
    const module = this.device.createShaderModule({ label: spec.key, code: spec.source() });
    const pipeline = this.device.createComputePipeline({
      label: spec.key,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    p = { pipeline, layout };
    this.pipelines.set(spec.key, p);
    return p;
  }

  /**
   * Record one dispatch. `uniforms` (≤256 bytes) lands in this submit's uniform arena; buffers bind in order
   * after it: inputs (read-only), then outputs. Nothing is submitted until the arena fills or a read needs it.
   */
  dispatch(
    spec: KernelSpec,
    buffers: GPUBuffer[],
    uniforms: ArrayBufferView,
    workgroups: [number, number, number],
  ): void {
    this.checkAlive();
    if (buffers.length !== spec.inputs + spec.outputs) {
      throw new Error(`kernel ${spec.key}: expected ${spec.inputs + spec.outputs} buffers, got ${buffers.length}`);
    }
    if (uniforms.byteLength > UNIFORM_SLOT)
      throw new Error(`kernel ${spec.key}: uniforms exceed ${UNIFORM_SLOT} bytes`);
    const lim = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (workgroups.some((w) => w > lim))
      throw new Error(`kernel ${spec.key}: dispatch ${workgroups} exceeds ${lim} per dimension`);
    if (workgroups.some((w) => w === 0)) return;
    const { pipeline, layout } = this.pipelineFor(spec);
    if (this.slot === SLOTS_PER_SUBMIT) this.flush();
    const offset = this.slot++ * UNIFORM_SLOT;
    this.uniformMirror.set(new Uint8Array(uniforms.buffer, uniforms.byteOffset, uniforms.byteLength), offset);
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: this.uniformArena, offset, size: UNIFORM_SLOT } },
    ];
    buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    for (let i = spec.inputs; i < buffers.length; i++) this.wrote(buffers[i]);
    const bindGroup = this.device.createBindGroup({ layout, entries });
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
    this.counters.dispatches++;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  private endPass(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    return this.encoder;
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.checkAlive();
    this.wrote(dst);
    this.endPass().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Submit everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    const enc = this.endPass();
    if (this.slot > 0)
      this.device.queue.writeBuffer(this.uniformArena, 0, this.uniformMirror.buffer, 0, this.slot * UNIFORM_SLOT);
    this.device.queue.submit([enc.finish()]);
    this.encoder = null;
    this.slot = 0;
    this.counters.submits++;
    // submitted work keeps what it uses alive until it completes; only later submits must not name them
    for (const b of this.destroyAfterSubmit.splice(0)) b.destroy();
  }

  /** Copy `bytes` from a GPU buffer to the host. The only place the engine waits on the GPU. */
  async read(buf: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const free = this.stagingFree.get(size);
    const staging = free?.pop() ?? this.device.createBuffer({ size, usage: 0x01 /* MAP_READ */ | 0x08 });
    this.copy(buf, offset, staging, 0, Math.ceil(bytes / 4) * 4);
    this.flush();
    this.counters.readbacks++;
    waitHooks.begin();
    try {
      await staging.mapAsync(1 /* READ */);
    } catch (e) {
      this.checkAlive();
      throw e;
    } finally {
      waitHooks.end();
    }
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    let list = this.stagingFree.get(size);
    if (!list) this.stagingFree.set(size, (list = []));
    if (list.length < 4) list.push(staging);
    else staging.destroy();
    this.checkAlive();
    return out;
  }

  /** Wait until the GPU finished all submitted work (benchmarks). */
  async sync(): Promise<void> {
    this.flush();
    waitHooks.begin();
    try {
      await this.device.queue.onSubmittedWorkDone();
    } finally {
      waitHooks.end();
    }
    this.checkAlive();
  }

  /** The keys of the kernels compiled so far (tests check which variant a product took). */
  pipelineKeys(): string[] {
    return [...this.pipelines.keys()];
  }

  stats(): EngineStats {
    return { ...this.buffers.stats(), ...this.counters, pipelines: this.pipelines.size };
  }
}

let current: Engine | null = null;

/** Create the engine from a WebGPU `GPU` object (navigator.gpu in a browser, Dawn's in Node). */
export async function initEngine(gpu: GPU, keepAlive: unknown = gpu): Promise<Engine> {
  if (current) return current;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter)
    throw new Error(
      'No WebGPU adapter found. In Node on a machine without a GPU run `npm run setup` (installs Mesa lavapipe).',
    );
  // Ask for everything the adapter offers: big buffers and many storage bindings per stage.
  const requiredLimits: Record<string, number> = {};
  const lim = adapter.limits as unknown as Record<string, number>;
  for (const key in lim) if (typeof lim[key] === 'number') requiredLimits[key] = lim[key];
  // subgroups let a CPU kernel load a value once per SIMD group and broadcast it (kernels/matmul.ts)
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('subgroups') ? ['subgroups'] : [];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const info = adapter.info;
  const subgroupSize = requiredFeatures.length ? ((info as { subgroupMinSize?: number }).subgroupMinSize ?? 0) : 0;
  const name = `${info.vendor} ${info.architecture} ${info.description}`.trim();
  const fallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const software = fallback || /llvmpipe|lavapipe|swiftshader|software|warp/i.test(name);
  current = new Engine(device, name, keepAlive, software, subgroupSize);
  return current;
}

export function engine(): Engine {
  if (!current)
    throw new Error(
      'quantscope engine not initialised: call `await initNode()` (Node) or `await initEngine(navigator.gpu)` ' +
        '(browser) first',
    );
  return current;
}

export function hasEngine(): boolean {
  return current !== null;
}
