// A restricted unpickler: it interprets the pickle opcodes a PyTorch state dict uses and builds plain data,
// never code. Every GLOBAL must be on the caller's allow-list, and calling one (REDUCE/NEWOBJ) only invokes
// the caller's own TypeScript constructor for it; anything else is refused with an error naming the global
// (e.g. "posix.system"), before anything of the file is used. Platform-neutral.

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | PickleGlobal
  | PickleObject;

/** A tuple (kept apart from lists so persistent ids and call arguments read as written). */
export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}
/** A dict or OrderedDict, keys in insertion order. */
export class PickleDict {
  readonly map = new Map<PickleValue, PickleValue>();
  /** state set by BUILD (an OrderedDict's __dict__, e.g. torch's _metadata), kept but unused */
  state: PickleValue = null;
}
/** A reference to an allowed global, e.g. torch.FloatStorage. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}
/** Whatever the caller's constructor for a global returned (a tensor record, a storage reference, ...). */
export class PickleObject {
  constructor(
    readonly kind: string,
    readonly value: unknown,
  ) {}
}

export interface UnpickleOptions {
  source: string;
  /** allowed globals, "module.name" -> what calling it builds (args as a tuple's items) */
  calls: Record<string, (args: PickleValue[]) => PickleValue>;
  /** globals that may appear as values only (never called), e.g. storage types */
  values?: string[];
  /** BINPERSID: the persistent id tuple -> the value it stands for */
  persistentLoad?: (pid: PickleValue) => PickleValue;
}

const MARK = Symbol('mark');
type Slot = PickleValue | typeof MARK;

export function unpickle(bytes: Uint8Array, o: UnpickleOptions): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: Slot[] = [];
  const memo = new Map<number, PickleValue>();
  const text = new TextDecoder('utf-8', { fatal: true });
  let p = 0;
  const fail = (msg: string): never => {
    throw new Error(`${o.source}: ${msg} (pickle offset ${p})`);
  };
  const need = (n: number) => {
    if (p + n > bytes.length) fail('the pickle ends early (truncated)');
  };
  const take = (n: number) => {
    need(n);
    const b = bytes.subarray(p, p + n);
    p += n;
    return b;
  };
  const u8 = () => take(1)[0];
  const u16 = () => (need(2), (p += 2), view.getUint16(p - 2, true));
  const u32 = () => (need(4), (p += 4), view.getUint32(p - 4, true));
  const i32 = () => (need(4), (p += 4), view.getInt32(p - 4, true));
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) fail('an unterminated text field');
    const s = new TextDecoder().decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = (): PickleValue => {
    if (!stack.length) fail('stack underflow');
    const v = stack.pop() as Slot;
    if (v === MARK) fail('unexpected mark');
    return v as PickleValue;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail('empty stack');
    return v as PickleValue;
  };
  const popMark = (): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('no mark on the stack');
    const items = stack.splice(i + 1) as PickleValue[];
    stack.pop();
    return items;
  };
  const global = (module: string, name: string): PickleGlobal => {
    const q = `${module}.${name}`;
    if (!(q in o.calls) && !(o.values ?? []).includes(q))
      fail(`refused forbidden global "${q}" (a checkpoint may only hold tensors and dicts; nothing is executed)`);
    return new PickleGlobal(module, name);
  };
  const call = (fn: PickleValue, args: PickleValue): PickleValue => {
    if (!(fn instanceof PickleGlobal)) return fail('a call of something that is not a global');
    const make = o.calls[fn.qualified];
    if (!make) return fail(`refused to call "${fn.qualified}"`);
    return make(args instanceof PickleTuple ? args.items : fail(`arguments of ${fn.qualified} are not a tuple`));
  };
  const setItems = (d: PickleValue, kv: PickleValue[]) => {
    if (!(d instanceof PickleDict)) return fail('SETITEM on something that is not a dict');
    for (let i = 0; i + 1 < kv.length; i += 2) d.map.set(kv[i], kv[i + 1]);
  };
  const append = (l: PickleValue, items: PickleValue[]) => {
    if (!Array.isArray(l)) return fail('APPEND on something that is not a list');
    l.push(...items);
  };
  const str = (n: number) => {
    const b = take(n);
    try {
      return text.decode(b);
    } catch {
      return fail('a string that is not UTF-8');
    }
  };

  for (;;) {
    need(1);
    const op = bytes[p++];
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('pickle protocol above 5');
        break;
      case 0x95: // FRAME (length only; frames are contiguous here)
        take(8);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement
        const b = take(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(p, false));
        p += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(str(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(str(u8()));
        break;
      case 0x54: // BINSTRING
        stack.push(str(i32()));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(str(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PickleTuple([]));
        break;
      case 0x85: // TUPLE1
        stack.push(new PickleTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PickleTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop(),
          b = pop();
        stack.push(new PickleTuple([pop(), b, c]));
        break;
      }
      case 0x74: // TUPLE
        stack.push(new PickleTuple(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PickleDict());
        break;
      case 0x64: {
        // DICT
        const d = new PickleDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop(),
          k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo entry ${k} used before it is set`);
        stack.push(memo.get(k) as PickleValue);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop(),
          module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL without two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD: only an OrderedDict's attribute dict is accepted (torch's _metadata)
        const state = pop();
        const obj = top();
        if (!(obj instanceof PickleDict)) fail('BUILD on something other than a dict');
        (obj as PickleDict).state = state;
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!o.persistentLoad) fail('a persistent id, but this file kind has none');
        stack.push((o.persistentLoad as (pid: PickleValue) => PickleValue)(pid));
        break;
      }
      case 0x30: // POP
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)} ('${String.fromCharCode(op)}')`);
    }
  }
}
