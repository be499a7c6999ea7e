// Node specifics kept out of the engine: Dawn's WebGPU binding and its polling behaviour.
import { create, globals } from 'webgpu';
import { initEngine, waitHooks, hasEngine, engine, type Engine } from '../device/engine.js';

let gpuRef: GPU | null = null; // a dropped create() object crashes Dawn at GC: keep it for the process lifetime

/**
 * dawn.node re-queues its event processing with setImmediate while any promise is pending, which spins the
 * JS thread at 100% and steals a core from lavapipe's workers. While the engine waits on the GPU we route
 * those calls through a 1 ms timer instead (measured: ~2x throughput on a 2-core machine).
 */
function throttlePollingDuringWaits(): void {
  const original = globalThis.setImmediate;
  let waiting = 0;
  waitHooks.begin = () => {
    waiting++;
  };
  waitHooks.end = () => {
    waiting--;
  };
  const throttled = ((fn: (...a: unknown[]) => void, ...args: unknown[]) =>
    waiting > 0 ? setTimeout(fn, 1, ...args) : original(fn, ...args)) as unknown as typeof setImmediate;
  globalThis.setImmediate = throttled;
}

export async function initNode(): Promise<Engine> {
  if (hasEngine()) return engine();
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  Object.assign(globalThis, globals);
  throttlePollingDuringWaits();
  gpuRef = create([]) as unknown as GPU;
  (globalThis as Record<string, unknown>).__quantscopeDawn = gpuRef;
  return initEngine(gpuRef, gpuRef);
}
