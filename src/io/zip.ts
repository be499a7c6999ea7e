// A minimal zip reader for PyTorch checkpoints (torch.save writes a zip of stored, uncompressed entries).
// Reads the end-of-central-directory record (zip64 too), the central directory and each entry's local header,
// and returns views into the original bytes. Platform-neutral: bytes in, views out. Anything it cannot read
// (truncation, compression, a bad signature) is an error naming the file and the entry.

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

const EOCD = 0x06054b50,
  EOCD64 = 0x06064b50,
  EOCD64_LOCATOR = 0x07064b50,
  CENTRAL = 0x02014b50,
  LOCAL = 0x04034b50;

/** True when the bytes start like a zip archive (a local file header). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;
}

export function readZip(bytes: Uint8Array, source: string): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (what: string): never => {
    throw new Error(`${source}: not a readable zip archive (${what}); truncated or not a PyTorch checkpoint?`);
  };
  const u16 = (o: number) => (o + 2 <= bytes.length ? view.getUint16(o, true) : fail(`read past the end at ${o}`));
  const u32 = (o: number) => (o + 4 <= bytes.length ? view.getUint32(o, true) : fail(`read past the end at ${o}`));
  const u64 = (o: number) => {
    if (o + 8 > bytes.length) fail(`read past the end at ${o}`);
    const v = view.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`a 64-bit field at ${o} is too large`);
    return Number(v);
  };

  // the end-of-central-directory record sits in the last 22 + 65535 bytes (its comment is at most 64 KiB)
  let eocd = -1;
  for (let o = bytes.length - 22; o >= Math.max(0, bytes.length - 22 - 65535); o--) {
    if (view.getUint32(o, true) === EOCD) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record');
  let count = u16(eocd + 10),
    dirSize = u32(eocd + 12),
    dirOffset = u32(eocd + 16);
  if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || u32(loc) !== EOCD64_LOCATOR) fail('zip64 sizes without a zip64 locator');
    const rec = u64(loc + 8);
    if (u32(rec) !== EOCD64) fail('bad zip64 end-of-central-directory signature');
    count = u64(rec + 32);
    dirSize = u64(rec + 40);
    dirOffset = u64(rec + 48);
  }
  if (dirOffset + dirSize > bytes.length) fail(`central directory [${dirOffset}, +${dirSize}) past the end`);

  const entries = new Map<string, ZipEntry>();
  let p = dirOffset;
  for (let i = 0; i < count; i++) {
    if (u32(p) !== CENTRAL) fail(`bad central directory entry ${i}`);
    const method = u16(p + 10);
    let size = u32(p + 20);
    const nameLen = u16(p + 28),
      extraLen = u16(p + 30),
      commentLen = u16(p + 32);
    let local = u32(p + 42);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field: 64-bit uncompressed size, compressed size, local offset, in that order, when needed
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
      const id = u16(e),
        len = u16(e + 2);
      if (id === 1) {
        let f = e + 4;
        if (u32(p + 24) === 0xffffffff) f += 8; // uncompressed size (equal to the stored size)
        if (size === 0xffffffff) {
          size = u64(f);
          f += 8;
        }
        if (local === 0xffffffff) local = u64(f);
      }
      e += 4 + len;
    }
    if (method !== 0) fail(`entry "${name}" is compressed (method ${method}); torch.save writes stored entries`);
    if (u32(local) !== LOCAL) fail(`bad local header for "${name}"`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + size > bytes.length) fail(`entry "${name}" [${start}, +${size}) runs past the end`);
    entries.set(name, { name, data: bytes.subarray(start, start + size) });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}
