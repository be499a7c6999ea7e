// A kernel's uniforms are declared once, by name, next to the code that dispatches it. The descriptor
// generates the WGSL struct the shader reads (`U.M`, `U_shape(i)` for arrays) and packs values by name,
// so adding a uniform touches one descriptor, and a shader and its caller cannot disagree on a slot
// number. The layout follows WGSL's uniform rules: scalars take 4 bytes in declaration order, arrays are
// array<vec4<T>, k> aligned to 16 bytes; the whole block fits the engine's 256-byte uniform slot.
import { shaders } from './shaders.gen.js';

type Scalar = 'u32' | 'i32' | 'f32';
/** A scalar, or an array of up to `n` scalars (`'u32[8]'`), read in WGSL through `U_name(i)`. */
export type UniformField = Scalar | `${Scalar}[${number}]`;
export type UniformFields = Record<string, UniformField>;
export type UniformValues<F extends UniformFields> = {
  [K in keyof F]: F[K] extends `${string}[${number}]` ? readonly number[] : number;
};

const MAX_SLOTS = 64; // 256 bytes: the engine's uniform slot (src/device/engine.ts)
const IDENT = /^[A-Za-z][A-Za-z0-9_]*$/;

interface Slot {
  name: string;
  type: Scalar;
  /** first 4-byte slot */
  at: number;
  /** array capacity, or 0 for a scalar */
  length: number;
}

function layout(kernel: string, fields: UniformFields): { slots: Slot[]; size: number } {
  const slots: Slot[] = [];
  let at = 0;
  for (const [name, field] of Object.entries(fields)) {
    if (!IDENT.test(name)) throw new Error(`kernel ${kernel}: uniform name "${name}" is not a WGSL identifier`);
    const m = /^(u32|i32|f32)(?:\[(\d+)\])?$/.exec(field);
    if (!m) throw new Error(`kernel ${kernel}: uniform ${name} has type "${field}" (expected u32, i32, f32 or T[n])`);
    const length = m[2] ? Number(m[2]) : 0;
    if (length) at = Math.ceil(at / 4) * 4; // arrays of vec4 align to 16 bytes
    slots.push({ name, type: m[1] as Scalar, at, length });
    at += length ? Math.ceil(length / 4) * 4 : 1;
  }
  const size = Math.max(4, Math.ceil(at / 4) * 4); // a WGSL struct's size rounds up to its 16-byte alignment
  if (size > MAX_SLOTS) throw new Error(`kernel ${kernel}: uniforms need ${size} slots, more than ${MAX_SLOTS}`);
  return { slots, size };
}

function wgslStruct(slots: Slot[]): string {
  // a struct needs a member, and the engine always binds slot 0
  if (!slots.length) return 'struct Uniforms { unused: u32 }\n@group(0) @binding(0) var<uniform> U: Uniforms;';
  const members = slots.map(
    (s) => `  ${s.name}: ${s.length ? `array<vec4<${s.type}>, ${Math.ceil(s.length / 4)}>` : s.type},`,
  );
  const accessors = slots
    .filter((s) => s.length)
    .map((s) => `fn U_${s.name}(i: u32) -> ${s.type} { return U.${s.name}[i / 4u][i % 4u]; }`);
  return ['struct Uniforms {', ...members, '}', '@group(0) @binding(0) var<uniform> U: Uniforms;', ...accessors].join(
    '\n',
  );
}

export class KernelTemplate<F extends UniformFields> {
  private readonly slots: Slot[];
  private readonly size: number;
  /** The generated uniform declarations (prepended to the shader). */
  readonly header: string;

  constructor(
    readonly shader: string,
    fields: F,
  ) {
    ({ slots: this.slots, size: this.size } = layout(shader, fields));
    this.header = wgslStruct(this.slots);
  }

  /** The shader's WGSL: common helpers, the uniform struct, then the template with {{NAME}} filled in. */
  wgsl(vars: Record<string, string | number> = {}): string {
    const template = shaders[this.shader];
    if (template === undefined) throw new Error(`no shader template "${this.shader}" in shaders/`);
    const body = template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
      if (!(key in vars)) throw new Error(`shader ${this.shader}: no value for {{${key}}}`);
      return String(vars[key]);
    });
    // WGSL wants `enable` directives before any declaration: lift the template's to the top
    const directives = body.match(/^enable [\w, ]+;$/gm) ?? [];
    const rest = directives.length ? body.replace(/^enable [\w, ]+;$/gm, '') : body;
    return [...directives, shaders.common, this.header, rest].join('\n');
  }

  /** The uniform block for one dispatch, packed by name. */
  pack(values: UniformValues<F>): Uint32Array {
    const data = new Uint32Array(this.size);
    const view = new DataView(data.buffer);
    const given = values as Record<string, number | readonly number[]>;
    for (const key of Object.keys(given))
      if (!this.slots.some((s) => s.name === key)) throw new Error(`kernel ${this.shader}: no uniform "${key}"`);
    for (const s of this.slots) {
      const v = given[s.name];
      if (v === undefined) throw new Error(`kernel ${this.shader}: uniform ${s.name} not given`);
      const list = typeof v === 'number' ? [v] : v;
      if (s.length ? typeof v === 'number' || list.length > s.length : typeof v !== 'number')
        throw new Error(
          `kernel ${this.shader}: uniform ${s.name} takes ${s.length ? `up to ${s.length} values` : 'a number'}`,
        );
      list.forEach((x, i) => write(view, 4 * (s.at + i), s, x, this.shader));
    }
    return data;
  }
}

function write(view: DataView, byte: number, s: Slot, x: number, kernel: string): void {
  if (s.type === 'f32') return view.setFloat32(byte, x, true);
  const [lo, hi] = s.type === 'u32' ? [0, 0xffffffff] : [-0x80000000, 0x7fffffff];
  if (!Number.isInteger(x) || x < lo || x > hi)
    throw new Error(`kernel ${kernel}: uniform ${s.name} = ${x} is not a ${s.type} (tensor too large?)`);
  if (s.type === 'u32') view.setUint32(byte, x, true);
  else view.setInt32(byte, x, true);
}

/** Declare a kernel's shader template and its named uniforms. */
export function defineKernel<const F extends UniformFields>(shader: string, uniforms: F): KernelTemplate<F> {
  return new KernelTemplate(shader, uniforms);
}
