/**
 * The safetensors format (u64 little-endian header length N, N bytes of JSON header, then the raw little-endian
 * data) and the validation of its header, accepting exactly the files the reference implementation accepts (the
 * `safetensors` package; differences: test/safetensors-reference.test.ts): every field is checked before any data
 * is touched, so a corrupt, truncated or ambiguous file gives a LoraFormatError naming the file and the problem,
 * never a crash, a read past the end, or a reading that another implementation would make differently.
 */
import type { SafetensorsEntry, SafetensorsHeader, SafetensorsUnsupported } from '../../../types/io';
import { tagOf } from '../../dtype';
import { LoraDTypeError, LoraFormatError, LoraShapeError, LoraValueError } from '../../errors';
import { ST_DTYPES, StDType } from './dtypes';
import { Json, JsonNumber, JsonObject, parseStrictJson } from './json';

/** The reference refuses headers above 100 MB; so do we (a garbage length must not allocate GBs). */
const MAX_HEADER = 100_000_000;
const U64_MAX = 2n ** 64n - 1n;
const UINT = /^(?:0|[1-9][0-9]*)$/;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const FIELDS = ['dtype', 'shape', 'data_offsets'];

export function fail(what: string, msg: string): never {
  throw new LoraFormatError(`${what}: ${msg}`);
}

/**
 * A u64 from the header, exact: a number up to 2^53 − 1, a bigint above (always so, so === compares values). Plain
 * numbers keep the common case fast: large headers have tens of thousands of entries.
 */
type U64 = number | bigint;

/** An entry as the header states it, before its layout is checked. */
interface RawEntry {
  name: string;
  st: StDType;
  shape: U64[];
  begin: U64;
  end: U64;
}

/** A JSON value that is a u64 written as an integer: `1.0`, `2e0` and `-0` are doubles to the reference. */
function u64(v: Json | undefined): U64 | null {
  if (typeof v === 'number') return v; // a plain integer of ≤ 15 digits (json.ts)
  if (!(v instanceof JsonNumber) || !UINT.test(v.text)) return null;
  if (v.text.length <= 15) return Number(v.text); // < 10^15: exact as a double
  const n = BigInt(v.text);
  return n > U64_MAX ? null : n > MAX_SAFE ? n : Number(n);
}

/** Byte size of `shape` × `bits` as the reference computes it (u64, left to right), or why there is none. */
function byteSize(shape: U64[], bits: number): U64 | string {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return byteSizeBig(shape, bits);
    n *= d; // an exact product stays ≤ 2^53 − 1; anything larger goes the exact way
    if (n > Number.MAX_SAFE_INTEGER) return byteSizeBig(shape, bits);
  }
  const b = n * bits;
  if (b > Number.MAX_SAFE_INTEGER) return byteSizeBig(shape, bits);
  return b % 8 === 0 ? b / 8 : `${n} elements of ${bits} bits are not a whole number of bytes`;
}

function byteSizeBig(shape: U64[], bits: number): U64 | string {
  let n = 1n;
  for (const d of shape) {
    n *= BigInt(d);
    if (n > U64_MAX) return 'its element count overflows u64';
  }
  const b = n * BigInt(bits);
  if (b > U64_MAX) return 'its size in bits overflows u64';
  if (b % 8n !== 0n) return `${n} elements of ${bits} bits are not a whole number of bytes`;
  const size = b / 8n;
  return size > MAX_SAFE ? size : Number(size);
}

function minus(a: U64, b: U64): U64 {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const d = BigInt(a) - BigInt(b);
  return d > MAX_SAFE || d < -MAX_SAFE ? d : Number(d);
}

function rawEntry(name: string, v: Json, what: string): RawEntry {
  // Messages are built only on failure: headers of large checkpoints have tens of thousands of entries.
  const at = () => `entry ${JSON.stringify(name)}`;
  if (!(v instanceof JsonObject)) fail(what, `${at()} must be an object`);
  for (const field of FIELDS) if (!v.has(field)) fail(what, `${at()}: missing field "${field}"`);
  const dt = v.get('dtype');
  if (typeof dt !== 'string') fail(what, `${at()}: dtype must be a string`);
  const st = ST_DTYPES.get(dt) ?? fail(what, `${at()}: unknown dtype ${JSON.stringify(dt)}`);
  const shapeJ = v.get('shape');
  const shape = Array.isArray(shapeJ) ? shapeJ.map(u64) : null;
  if (!shape || shape.some((d) => d === null))
    fail(what, `${at()}: shape must be an array of non-negative integers (u64, written without fraction or exponent)`);
  const offs = v.get('data_offsets');
  const range = Array.isArray(offs) && offs.length === 2 ? offs.map(u64) : null;
  if (!range || range[0] === null || range[1] === null)
    fail(what, `${at()}: data_offsets must be [begin, end], two non-negative integers (u64, written without fraction or exponent)`);
  return { name, st, shape: shape as U64[], begin: range[0], end: range[1] };
}

/**
 * The reference's layout rule: sorted by [begin, end], each tensor starts where the previous one ended (from 0),
 * its byte size is its element count × dtype bits / 8 (computed left to right in u64, overflow refused), and the
 * last one ends at the end of the file. No holes, no overlaps, no trailing bytes: every data byte belongs to
 * exactly one tensor (zero-size tensors included: they too must sit at a tensor boundary inside the data).
 */
function checkLayout(raw: RawEntry[], dataLen: number, what: string): void {
  // number and bigint compare by value with < and >.
  const sorted = raw.slice().sort((a, b) => (a.begin < b.begin ? -1 : a.begin > b.begin ? 1 : a.end < b.end ? -1 : a.end > b.end ? 1 : 0));
  let start: U64 = 0;
  let owner: RawEntry | null = null;
  for (const e of sorted) {
    const at = () => `entry ${JSON.stringify(e.name)} [${e.begin}, ${e.end}]`;
    if (e.begin > start) fail(what, `data bytes [${start}, ${e.begin}) are indexed by no tensor (before ${at()}; holes are not allowed)`);
    if (e.begin < start) fail(what, `${at()} overlaps ${JSON.stringify(owner!.name)} [${owner!.begin}, ${owner!.end}]`);
    if (e.end < e.begin) fail(what, `${at()}: data_offsets end before they begin`);
    start = e.end;
    if (e.end > e.begin) owner = e;
    const size = byteSize(e.shape, e.st.bits);
    if (typeof size === 'string') fail(what, `${at()}: shape [${e.shape.join(', ')}] of ${e.st.name}: ${size}`);
    if (size !== minus(e.end, e.begin))
      fail(what, `${at()}: shape [${e.shape.join(', ')}] of ${e.st.name} needs ${size} bytes, data_offsets give ${minus(e.end, e.begin)}`);
  }
  if (start < dataLen) fail(what, `${minus(dataLen, start)} trailing bytes after the last tensor are indexed by no tensor (holes are not allowed)`);
  if (start > dataLen) fail(what, `the tensors need ${start} bytes of data, the file has ${dataLen} (file truncated?)`);
}

/** Parses and validates the JSON header (given the header bytes and the size of the data section that follows). */
export function parseHeaderJson(json: Uint8Array, headerLen: number, dataLen: number, what: string): SafetensorsHeader {
  let text: string;
  try {
    // fatal: invalid UTF-8 is refused, not replaced (two different names must not collapse into one); ignoreBOM:
    // a byte-order mark stays in the text, where it is not JSON whitespace.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(json);
  } catch {
    fail(what, 'header is not valid UTF-8');
  }
  const root = parseStrictJson(text, what);
  if (!(root instanceof JsonObject)) fail(what, 'header must be a JSON object');
  const metadata: Record<string, string> = Object.create(null);
  const raw: RawEntry[] = [];
  root.keys.forEach((name, i) => {
    const v = root.values[i];
    if (name !== '__metadata__') {
      raw.push(rawEntry(name, v, what));
    } else if (v !== null) { // null: no metadata (the reference's Option)
      if (!(v instanceof JsonObject)) fail(what, '__metadata__ must be an object of strings');
      v.keys.forEach((k, j) => {
        const s = v.values[j];
        if (typeof s !== 'string') fail(what, `__metadata__[${JSON.stringify(k)}] must be a string`);
        metadata[k] = s;
      });
    }
  });
  checkLayout(raw, dataLen, what);
  const entries: SafetensorsEntry[] = [];
  const unsupported: SafetensorsUnsupported[] = [];
  for (const e of raw) {
    const big = e.shape.findIndex((d) => typeof d === 'bigint'); // above 2^53 − 1
    if (!e.st.dtype) {
      unsupported.push({ name: e.name, dtype: e.st.name, reason: `tensor ${JSON.stringify(e.name)} has dtype ${e.st.name}, which loraga does not hold (only F32, F64, BF16, F16)` });
    } else if (big >= 0) {
      // Possible only in an empty tensor (its byte size fits in the file): valid, but our shapes are doubles.
      unsupported.push({ name: e.name, dtype: e.st.name, reason: `tensor ${JSON.stringify(e.name)} has a dimension ${e.shape[big]} above 2^53 − 1, which loraga cannot represent` });
    } else {
      entries.push({ name: e.name, dtype: e.st.dtype, shape: e.shape.map(Number), begin: Number(e.begin), end: Number(e.end) });
    }
  }
  return { entries, unsupported, metadata, dataStart: 8 + headerLen };
}

/** The error for asking for an unsupported tensor: LoraDTypeError for its dtype, LoraShapeError for its shape. */
export function unsupportedError(what: string, u: SafetensorsUnsupported): Error {
  const Cls = ST_DTYPES.get(u.dtype)?.dtype ? LoraShapeError : LoraDTypeError;
  return new Cls(`${what}: ${u.reason}; the file's other tensors can be read by name`);
}

/** Reads the u64 header length and checks it against the total size. */
export function headerLength(first8: Uint8Array, total: number, what: string): number {
  if (total < 8) fail(what, `file is ${total} bytes, too short for the 8-byte header length (truncated?)`);
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const lo = dv.getUint32(0, true), hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER) fail(what, `header length ${n} exceeds the ${MAX_HEADER}-byte limit (corrupt file?)`);
  if (8 + n > total) fail(what, `header length ${n} runs past the end of the ${total}-byte file (truncated?)`);
  return n;
}

export function asBytes(bytes: Uint8Array | ArrayBuffer | SharedArrayBuffer): Uint8Array {
  const tag = tagOf(bytes);
  if (tag === 'ArrayBuffer' || tag === 'SharedArrayBuffer') return new Uint8Array(bytes as ArrayBuffer);
  if (bytes instanceof Uint8Array || tag === 'Uint8Array') return bytes as Uint8Array;
  throw new LoraValueError(`parseSafetensors: expected a Buffer, Uint8Array or ArrayBuffer, got ${tag}`);
}

export function parseSafetensorsHeader(bytes: Uint8Array | ArrayBuffer, what = 'safetensors'): SafetensorsHeader {
  const b = asBytes(bytes);
  const n = headerLength(b, b.byteLength, what);
  return parseHeaderJson(b.subarray(8, 8 + n), n, b.byteLength - 8 - n, what);
}

/** Every tensor name of a header: the readable entries, then the unsupported ones. */
export function allNames(h: SafetensorsHeader): string[] {
  return [...h.entries.map((e) => e.name), ...h.unsupported.map((u) => u.name)];
}

/**
 * The entries for `names` (all when undefined): a name the file lacks is a LoraFormatError, an unsupported tensor
 * asked for (or any, when asking for all) a LoraDTypeError / LoraShapeError.
 */
export function pick(h: SafetensorsHeader, names: string[] | undefined, what: string): SafetensorsEntry[] {
  if (!names) {
    if (h.unsupported.length) throw unsupportedError(what, h.unsupported[0]);
    return h.entries;
  }
  const byName = new Map(h.entries.map((e) => [e.name, e]));
  const other = new Map(h.unsupported.map((u) => [u.name, u]));
  return names.map((nm) => {
    const e = byName.get(nm);
    if (e) return e;
    const u = other.get(nm);
    if (u) throw unsupportedError(what, u);
    return noTensorNamed(h, nm, what);
  });
}

/** The error for a name the file does not hold, with the names it does (the first 8): one wording for every reader. */
export function noTensorNamed(h: SafetensorsHeader, nm: string, what: string): never {
  const all = allNames(h);
  return fail(what, `no tensor named ${JSON.stringify(nm)} (has ${all.length}: ${all.slice(0, 8).join(', ')}${all.length > 8 ? ', …' : ''})`);
}

/** Tensor shape for an entry: safetensors scalars (shape []) become [1], since our tensors have rank ≥ 1. */
export function tensorShape(e: SafetensorsEntry): number[] {
  return e.shape.length === 0 ? [1] : e.shape;
}
