import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  data: Buffer;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const UTF8_FLAG = 0x0800;
const MAX_ENTRIES = 10_000;
const DOS_DATE_1980_01_01 = 0x21;

/**
 * Reads every entry of a zip (stored or deflated, no zip64) through its central directory, so
 * entries written with data descriptors (as Playwright's traces are) read correctly.
 */
export function readZip(zip: Buffer): ZipEntry[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0 || zip.readUInt32LE(eocd) !== EOCD) throw new Error('not a zip: no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  if (count > MAX_ENTRIES || at === 0xffffffff) throw new Error('zip too large or zip64');
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== CENTRAL) throw new Error('corrupt zip: bad central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLen);
    if (zip.readUInt32LE(local) !== LOCAL) throw new Error('corrupt zip: bad local header');
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressed);
    if (method !== 0 && method !== 8) throw new Error(`zip entry ${name} uses compression method ${method}`);
    entries.push({ name, data: method === 8 ? inflateRawSync(raw) : Buffer.from(raw) });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Writes entries as a plain deflated zip (no data descriptors, no zip64). */
export function writeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const body = deflateRawSync(e.data);
    const fields = { crc: crc32(e.data), compressed: body.length, size: e.data.length, nameLength: name.length };
    // The local header and the central directory entry share these fields, 2 bytes further in the latter.
    const local = entryHeader(30, LOCAL, 4, fields);
    const central = entryHeader(46, CENTRAL, 6, fields);
    central.writeUInt16LE(20, 4);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(EOCD, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

function entryHeader(length: number, signature: number, versionAt: number, f: { crc: number; compressed: number; size: number; nameLength: number }): Buffer {
  const b = Buffer.alloc(length);
  b.writeUInt32LE(signature, 0);
  b.writeUInt16LE(20, versionAt);
  b.writeUInt16LE(UTF8_FLAG, versionAt + 2);
  b.writeUInt16LE(8, versionAt + 4);
  b.writeUInt16LE(DOS_DATE_1980_01_01, versionAt + 8);
  b.writeUInt32LE(f.crc, versionAt + 10);
  b.writeUInt32LE(f.compressed, versionAt + 14);
  b.writeUInt32LE(f.size, versionAt + 18);
  b.writeUInt16LE(f.nameLength, versionAt + 22);
  return b;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Text entries (trace events, network log, HTML and script resources) go through `redactText`;
 * binary ones (screencast frames) only lose any literal secret byte for byte, so they stay valid.
 */
export function redactZip(zip: Buffer, redactText: (text: string) => string, literals: readonly string[]): Buffer {
  return writeZip(readZip(zip).map((e) => ({ name: e.name, data: redactEntry(e.data, redactText, literals) })));
}

function redactEntry(data: Buffer, redactText: (text: string) => string, literals: readonly string[]): Buffer {
  let text: string | undefined;
  if (!data.includes(0)) {
    try {
      text = utf8.decode(data);
    } catch {
      /* binary */
    }
  }
  if (text !== undefined) return Buffer.from(redactText(text), 'utf8');
  for (const secret of literals) {
    const needle = Buffer.from(secret, 'utf8');
    for (let i = data.indexOf(needle); i >= 0; i = data.indexOf(needle, i + needle.length)) data.fill(0x2a, i, i + needle.length);
  }
  return data;
}
