// An activation applied in a conv kernel's store (its epilogue): inference of a conv unit (conv, folded
// BatchNorm, ReLU / ReLU6) writes its output once instead of running a second elementwise pass over it.
// Every conv store path (implicit GEMM, Winograd output transform, depthwise, direct) defines
// act(f32) and act4(vec4<f32>) from actWgsl and calls them on the biased value.

export type Activation = 'none' | 'relu' | 'relu6';

export const ACTIVATIONS: readonly Activation[] = ['none', 'relu', 'relu6'];

const BODY: Record<Activation, [string, string]> = {
  none: ['v', 'v'],
  relu: ['max(v, 0.0)', 'max(v, vec4<f32>(0.0))'],
  relu6: ['clamp(v, 0.0, 6.0)', 'clamp(v, vec4<f32>(0.0), vec4<f32>(6.0))'],
};

/** WGSL functions act(v: f32) and act4(v: vec4<f32>) for `act`. */
export function actWgsl(act: Activation): string {
  const [scalar, vector] = BODY[act];
  return `fn act(v: f32) -> f32 { return ${scalar}; }\n` + `fn act4(v: vec4<f32>) -> vec4<f32> { return ${vector}; }`;
}

/** Pipeline-key suffix: empty for no activation, so the plain kernels keep their keys. */
export const actKey = (act: Activation) => (act === 'none' ? '' : `:${act}`);
