/**
 * safetensors: read and write f32/f64/bf16/f16 tensors (https://github.com/huggingface/safetensors format:
 * u64 little-endian header length N, N bytes of JSON header, then the raw little-endian data).
 *
 * Every header field is checked before any data is touched: a corrupt or truncated file gives a LoraFormatError
 * naming the file and the problem, never a crash and never a read past the end of the data. Tensors parsed from an
 * in-memory buffer are zero-copy views where the data offset is aligned to the element size (else copied); tensors
 * read from a file are read straight into their own storage, one tensor at a time, so a caller can load only the
 * names it needs (bounded memory for large checkpoints). Sharded checkpoints: model.safetensors.index.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DType, allocStorage, bytesPerElement, tagOf, viewStorage } from '../dtype';
import { LoraDTypeError, LoraFormatError, LoraShapeError, LoraValueError } from '../errors';
import { Tensor } from '../tensor';

/** safetensors dtype names ↔ ours. */
const FROM_ST: Record<string, DType> = { F32: 'f32', F64: 'f64', BF16: 'bf16', F16: 'f16' };
const TO_ST: Record<DType, string> = { f32: 'F32', f64: 'F64', bf16: 'BF16', f16: 'F16' };
/** Other dtypes the format defines: named in the error so the user knows the file is valid but unsupported. */
const KNOWN_UNSUPPORTED = new Set(['BOOL', 'U8', 'I8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);
/** The reference implementation refuses headers above 100 MB; so do we (a garbage length must not allocate GBs). */
const MAX_HEADER = 100_000_000;
/** Files up to this size are read whole (one read, then views); larger ones tensor by tensor. */
const WHOLE_FILE_LIMIT = 1 << 30;

export interface SafetensorsEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte range relative to the start of the data section (after the header). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Absolute byte offset of the data section: 8 + N. */
  dataStart: number;
}

function fail(what: string, msg: string): never {
  throw new LoraFormatError(`${what}: ${msg}`);
}

/** Parses and validates the JSON header (given the header bytes and the size of the data section that follows). */
export function parseHeaderJson(json: Uint8Array, headerLen: number, dataLen: number, what: string): SafetensorsHeader {
  let obj: unknown;
  try {
    obj = JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8'));
  } catch (e) {
    fail(what, `header is not valid JSON (${(e as Error).message})`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) fail(what, 'header must be a JSON object');
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(obj as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(what, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(what, `__metadata__.${k} must be a string, got ${typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(what, `entry '${name}' must be an object`);
    const e = raw as Record<string, unknown>;
    if (typeof e.dtype !== 'string') fail(what, `entry '${name}': dtype must be a string`);
    const dtype = FROM_ST[e.dtype];
    if (!dtype) {
      if (KNOWN_UNSUPPORTED.has(e.dtype))
        throw new LoraDTypeError(`${what}: entry '${name}' has dtype ${e.dtype}; only F32, F64, BF16 and F16 are supported`);
      fail(what, `entry '${name}': unknown dtype ${JSON.stringify(e.dtype)}`);
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(what, `entry '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(what, `entry '${name}': data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offs)}`);
    const [begin, end] = offs as number[];
    if (end < begin) fail(what, `entry '${name}': data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLen)
      fail(what, `entry '${name}': data_offsets [${begin}, ${end}] run past the end of the data (${dataLen} bytes; file truncated?)`);
    const n = (shape as number[]).reduce((a, b) => a * b, 1);
    if (n * bytesPerElement(dtype) !== end - begin)
      fail(what, `entry '${name}': shape [${shape.join(', ')}] of ${e.dtype} needs ${n * bytesPerElement(dtype)} bytes, data_offsets give ${end - begin}`);
    entries.push({ name, dtype, shape: (shape as number[]).slice(), begin, end });
  }
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1], c = sorted[i];
    if (c.begin < p.end && c.end > c.begin)
      fail(what, `entries '${p.name}' [${p.begin}, ${p.end}] and '${c.name}' [${c.begin}, ${c.end}] overlap`);
  }
  return { entries, metadata, dataStart: 8 + headerLen };
}

/** Reads the u64 header length and checks it against the total size. */
function headerLength(first8: Uint8Array, total: number, what: string): number {
  if (total < 8) fail(what, `file is ${total} bytes, too short for the 8-byte header length (truncated?)`);
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const lo = dv.getUint32(0, true), hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER) fail(what, `header length ${n} exceeds the ${MAX_HEADER}-byte limit (corrupt file?)`);
  if (n < 2) fail(what, `header length ${n} is too small for a JSON object`);
  if (8 + n > total) fail(what, `header length ${n} runs past the end of the ${total}-byte file (truncated?)`);
  return n;
}

function asBytes(bytes: Uint8Array | ArrayBuffer | SharedArrayBuffer): Uint8Array {
  const tag = tagOf(bytes);
  if (tag === 'ArrayBuffer' || tag === 'SharedArrayBuffer') return new Uint8Array(bytes as ArrayBuffer);
  if (bytes instanceof Uint8Array || tag === 'Uint8Array') return bytes as Uint8Array;
  throw new LoraValueError(`parseSafetensors: expected a Buffer, Uint8Array or ArrayBuffer, got ${tag}`);
}

/** Validated header of an in-memory safetensors file. */
export function parseSafetensorsHeader(bytes: Uint8Array | ArrayBuffer, what = 'safetensors'): SafetensorsHeader {
  const b = asBytes(bytes);
  const n = headerLength(b, b.byteLength, what);
  return parseHeaderJson(b.subarray(8, 8 + n), n, b.byteLength - 8 - n, what);
}

export interface ParseOptions {
  /** Always copy the data (the result then does not keep `bytes` alive). Default false: view where aligned. */
  copy?: boolean;
  /** Only these tensor names (missing names are an error). */
  names?: string[];
}

function pick(h: SafetensorsHeader, names: string[] | undefined, what: string): SafetensorsEntry[] {
  if (!names) return h.entries;
  const byName = new Map(h.entries.map((e) => [e.name, e]));
  return names.map((nm) => byName.get(nm) ?? fail(what, `no tensor named '${nm}' (has ${h.entries.length}: ${h.entries.slice(0, 8).map((e) => e.name).join(', ')}${h.entries.length > 8 ? ', …' : ''})`));
}

/** Tensor shape for an entry: safetensors scalars (shape []) become [1], since our tensors have rank ≥ 1. */
function tensorShape(e: SafetensorsEntry): number[] {
  return e.shape.length === 0 ? [1] : e.shape;
}

/**
 * Tensors of an in-memory safetensors file. Zero-copy where each tensor's absolute offset is a multiple of its
 * element size (the tensors then share memory with `bytes`), otherwise copied into aligned storage.
 */
export function parseSafetensors(bytes: Uint8Array | ArrayBuffer, options: ParseOptions = {}): Record<string, Tensor> {
  const what = 'safetensors';
  const b = asBytes(bytes);
  const h = parseSafetensorsHeader(b, what);
  const out: Record<string, Tensor> = {};
  for (const e of pick(h, options.names, what)) {
    const bpe = bytesPerElement(e.dtype);
    const n = (e.end - e.begin) / bpe;
    const abs = b.byteOffset + h.dataStart + e.begin;
    let storage;
    if (!options.copy && abs % bpe === 0) {
      storage = viewStorage(e.dtype, b.buffer, abs, n);
    } else {
      storage = allocStorage(e.dtype, n);
      new Uint8Array(storage.buffer).set(b.subarray(h.dataStart + e.begin, h.dataStart + e.end));
    }
    out[e.name] = new Tensor(storage, tensorShape(e), e.dtype);
  }
  return out;
}

/**
 * An open safetensors file: header validated against the file size; tensors read on demand, each into its own
 * (aligned) storage. Use for large checkpoints where only some tensors are needed at a time. close() when done.
 */
export class SafetensorsFile {
  readonly path: string;
  readonly header: SafetensorsHeader;
  private fd: number | null;
  private readonly byName: Map<string, SafetensorsEntry>;

  private constructor(p: string, fd: number, header: SafetensorsHeader) {
    this.path = p;
    this.fd = fd;
    this.header = header;
    this.byName = new Map(header.entries.map((e) => [e.name, e]));
  }

  static open(p: string): SafetensorsFile {
    const fd = fs.openSync(p, 'r');
    try {
      const total = fs.fstatSync(fd).size;
      const first = Buffer.alloc(8);
      if (total >= 8 && fs.readSync(fd, first, 0, 8, 0) !== 8) fail(p, 'short read of the header length');
      const n = headerLength(first, total, p);
      const json = Buffer.alloc(n);
      if (fs.readSync(fd, json, 0, n, 8) !== n) fail(p, 'short read of the header (file changed?)');
      return new SafetensorsFile(p, fd, parseHeaderJson(json, n, total - 8 - n, p));
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  get names(): string[] {
    return this.header.entries.map((e) => e.name);
  }

  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): SafetensorsEntry {
    return this.byName.get(name) ?? fail(this.path, `no tensor named '${name}'`);
  }

  /** Reads one tensor into new storage. */
  get(name: string): Tensor {
    if (this.fd === null) throw new LoraValueError(`${this.path}: file is closed`);
    const e = this.entry(name);
    const storage = allocStorage(e.dtype, (e.end - e.begin) / bytesPerElement(e.dtype));
    const dst = new Uint8Array(storage.buffer, storage.byteOffset, storage.byteLength);
    let done = 0;
    while (done < dst.byteLength) {
      const k = fs.readSync(this.fd, dst, done, dst.byteLength - done, this.header.dataStart + e.begin + done);
      if (k <= 0) fail(this.path, `short read of '${name}' (file truncated while open?)`);
      done += k;
    }
    return new Tensor(storage, tensorShape(e), e.dtype);
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

function isIndex(p: string): boolean {
  return p.endsWith('.index.json');
}

/** Reads every tensor (or `names`) of a file; a path ending in .index.json is read as a sharded checkpoint. */
export function readSafetensorsSync(p: string, options: { names?: string[] } = {}): Record<string, Tensor> {
  if (isIndex(p)) return readSafetensorsShardedSync(p, options);
  const f = SafetensorsFile.open(p);
  try {
    const out: Record<string, Tensor> = {};
    for (const nm of options.names ?? f.names) out[nm] = f.get(nm);
    return out;
  } finally {
    f.close();
  }
}

export async function readSafetensors(p: string, options: { names?: string[] } = {}): Promise<Record<string, Tensor>> {
  if (isIndex(p)) return readSafetensorsSharded(p, options);
  if ((await fs.promises.stat(p)).size > WHOLE_FILE_LIMIT) {
    // Large checkpoints: tensor by tensor into their own storage (readFile caps at 2 GiB and would double memory).
    const f = SafetensorsFile.open(p);
    try {
      const out: Record<string, Tensor> = {};
      for (const nm of options.names ?? f.names) {
        out[nm] = f.get(nm);
        await new Promise((r) => setImmediate(r));
      }
      return out;
    } finally {
      f.close();
    }
  }
  const buf = await fs.promises.readFile(p);
  // Copy out of the file buffer unless it is already its own allocation (then views are free and stay aligned).
  const own = buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength;
  return parseSafetensors(buf, { names: options.names, copy: !own });
}

/** Shard index: tensor name → shard file (relative to the index's directory). */
export function readShardIndex(indexPath: string): Record<string, string> {
  let obj: unknown;
  try {
    obj = JSON.parse(fs.readFileSync(indexPath, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw e;
    fail(indexPath, `not valid JSON (${(e as Error).message})`);
  }
  const wm = (obj as { weight_map?: unknown } | null)?.weight_map;
  if (wm === null || typeof wm !== 'object' || Array.isArray(wm)) fail(indexPath, 'missing "weight_map" object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof v !== 'string' || v.includes('..') || path.isAbsolute(v)) fail(indexPath, `weight_map['${k}'] must be a shard file name, got ${JSON.stringify(v)}`);
    out[k] = v;
  }
  return out;
}

function groupByShard(indexPath: string, names?: string[]): Map<string, string[]> {
  const map = readShardIndex(indexPath);
  const dir = path.dirname(indexPath);
  const groups = new Map<string, string[]>();
  for (const nm of names ?? Object.keys(map)) {
    const shard = map[nm] ?? fail(indexPath, `no tensor named '${nm}' in weight_map`);
    const full = path.join(dir, shard);
    if (!groups.has(full)) groups.set(full, []);
    groups.get(full)!.push(nm);
  }
  return groups;
}

export function readSafetensorsShardedSync(indexPath: string, options: { names?: string[] } = {}): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [file, names] of groupByShard(indexPath, options.names)) Object.assign(out, readSafetensorsSync(file, { names }));
  return out;
}

export async function readSafetensorsSharded(indexPath: string, options: { names?: string[] } = {}): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  for (const [file, names] of groupByShard(indexPath, options.names)) {
    const f = SafetensorsFile.open(file);
    try {
      for (const nm of names) out[nm] = f.get(nm);
    } finally {
      f.close();
    }
    await new Promise((r) => setImmediate(r)); // let other work run between shards
  }
  return out;
}

/** Header bytes (length prefix + JSON padded with spaces to a multiple of 8) and the data layout. */
function layout(tensors: Record<string, Tensor>, metadata?: Record<string, string>) {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new LoraValueError(`writeSafetensors: metadata '${k}' must be a string, got ${typeof v}`);
    header.__metadata__ = metadata;
  }
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__' || name.length === 0) throw new LoraValueError(`writeSafetensors: invalid tensor name ${JSON.stringify(name)}`);
    if (!(t instanceof Tensor)) throw new LoraShapeError(`writeSafetensors: '${name}' is not a Tensor`);
    const d = t.data; // throws if disposed
    const st = TO_ST[t.dtype];
    if (!st) throw new LoraDTypeError(`writeSafetensors: '${name}' has unsupported dtype ${t.dtype}`);
    header[name] = { dtype: st, shape: t.shape.slice(), data_offsets: [offset, offset + d.byteLength] };
    parts.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    offset += d.byteLength;
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8); // data then starts 8-aligned, so readers can view it in place
  const hb = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(hb.byteLength));
  return [prefix, hb, ...parts];
}

/** Writes to `path` (via a temporary file renamed into place, so a reader never sees a half-written file). */
export function writeSafetensorsSync(p: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  const chunks = layout(tensors, metadata);
  const tmp = `${p}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const c of chunks) {
      let done = 0;
      while (done < c.byteLength) done += fs.writeSync(fd, c, done, c.byteLength - done);
    }
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, p);
}

export async function writeSafetensors(p: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  const chunks = layout(tensors, metadata);
  const tmp = `${p}.tmp-${process.pid}`;
  const fh = await fs.promises.open(tmp, 'w');
  try {
    for (const c of chunks) {
      let done = 0;
      while (done < c.byteLength) done += (await fh.write(c, done, c.byteLength - done)).bytesWritten;
    }
  } catch (e) {
    await fh.close();
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await fs.promises.rename(tmp, p);
}

/**
 * Tensors by name from a single file or a sharded checkpoint (…index.json), read on demand one at a time.
 * For whole-model work with bounded memory: only the tensor being used is resident.
 */
export interface TensorStore {
  readonly names: string[];
  has(name: string): boolean;
  /** Header entry (dtype, shape) without reading the data. */
  entry(name: string): SafetensorsEntry;
  get(name: string): Tensor;
  close(): void;
}

export function openSafetensors(p: string): TensorStore {
  if (!isIndex(p)) {
    const f = SafetensorsFile.open(p);
    return { names: f.names, has: (n) => f.has(n), entry: (n) => f.entry(n), get: (n) => f.get(n), close: () => f.close() };
  }
  const map = readShardIndex(p);
  const dir = path.dirname(p);
  const open = new Map<string, SafetensorsFile>();
  const file = (n: string) => {
    const shard = map[n] ?? fail(p, `no tensor named '${n}' in weight_map`);
    let f = open.get(shard);
    if (!f) { f = SafetensorsFile.open(path.join(dir, shard)); open.set(shard, f); }
    return f;
  };
  return {
    names: Object.keys(map),
    has: (n) => n in map,
    entry: (n) => file(n).entry(n),
    get: (n) => file(n).get(n),
    close: () => { for (const f of open.values()) f.close(); open.clear(); },
  };
}

/**
 * Streams tensors into a safetensors file whose layout (names, dtypes, shapes) is known up front: the header is
 * written first, each tensor as it becomes available (any order), so only one tensor need be in memory.
 * close() checks every tensor was written and renames the file into place.
 */
export class SafetensorsWriter {
  private fd: number | null;
  private readonly tmp: string;
  private readonly slots: Map<string, { dtype: DType; shape: number[]; pos: number; bytes: number; done: boolean }>;

  constructor(readonly path: string, layoutOf: { name: string; dtype: DType; shape: number[] }[], metadata?: Record<string, string>) {
    const header: Record<string, unknown> = {};
    if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
    let offset = 0;
    const rel = new Map<string, { dtype: DType; shape: number[]; begin: number; bytes: number }>();
    for (const e of layoutOf) {
      if (e.name === '__metadata__' || !e.name || rel.has(e.name)) throw new LoraValueError(`SafetensorsWriter: invalid or duplicate name ${JSON.stringify(e.name)}`);
      const bytes = e.shape.reduce((a, b) => a * b, 1) * bytesPerElement(e.dtype);
      header[e.name] = { dtype: TO_ST[e.dtype], shape: e.shape, data_offsets: [offset, offset + bytes] };
      rel.set(e.name, { dtype: e.dtype, shape: e.shape.slice(), begin: offset, bytes });
      offset += bytes;
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
    const hb = Buffer.from(json, 'utf8');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(hb.byteLength));
    const dataStart = 8 + hb.byteLength;
    this.slots = new Map([...rel].map(([k, v]) => [k, { dtype: v.dtype, shape: v.shape, pos: dataStart + v.begin, bytes: v.bytes, done: false }]));
    this.tmp = `${this.path}.tmp-${process.pid}`;
    this.fd = fs.openSync(this.tmp, 'w');
    fs.writeSync(this.fd, prefix, 0, 8, 0);
    fs.writeSync(this.fd, hb, 0, hb.byteLength, 8);
    if (offset > 0) fs.ftruncateSync(this.fd, dataStart + offset);
  }

  write(name: string, t: Tensor): void {
    if (this.fd === null) throw new LoraValueError(`SafetensorsWriter ${this.path}: already closed`);
    const s = this.slots.get(name);
    if (!s) throw new LoraValueError(`SafetensorsWriter ${this.path}: '${name}' is not in the declared layout`);
    if (t.dtype !== s.dtype || t.shape.join() !== s.shape.join())
      throw new LoraShapeError(`SafetensorsWriter ${this.path}: '${name}' was declared [${s.shape.join(', ')}] ${s.dtype}, got [${t.shape.join(', ')}] ${t.dtype}`);
    const d = t.data;
    const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    let done = 0;
    while (done < bytes.byteLength) done += fs.writeSync(this.fd, bytes, done, bytes.byteLength - done, s.pos + done);
    s.done = true;
  }

  /** Finishes the file; throws (and removes it) if a declared tensor was never written. */
  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
    const missing = [...this.slots].filter(([, s]) => !s.done).map(([k]) => k);
    if (missing.length) {
      fs.rmSync(this.tmp, { force: true });
      throw new LoraValueError(`SafetensorsWriter ${this.path}: never written: ${missing.join(', ')}`);
    }
    fs.renameSync(this.tmp, this.path);
  }

  /** Abandons the file. */
  abort(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    fs.rmSync(this.tmp, { force: true });
  }
}
