/**
 * The safetensors format (u64 little-endian header length N, N bytes of JSON header, then the raw little-endian
 * data) and the validation of its header: every field is checked before any data is touched, so a corrupt or
 * truncated file gives a LoraFormatError naming the file and the problem, never a crash or a read past the end.
 */
import type { DType } from '../../../types/dtype';
import type { SafetensorsEntry, SafetensorsHeader } from '../../../types/io';
import { bytesPerElement, tagOf } from '../../dtype';
import { LoraDTypeError, LoraFormatError, LoraValueError } from '../../errors';

/** safetensors dtype names ↔ ours. */
const FROM_ST: Record<string, DType> = { F32: 'f32', F64: 'f64', BF16: 'bf16', F16: 'f16' };
export const TO_ST: Record<DType, string> = { f32: 'F32', f64: 'F64', bf16: 'BF16', f16: 'F16' };
/** Other dtypes the format defines: named in the error so the user knows the file is valid but unsupported. */
const KNOWN_UNSUPPORTED = new Set(['BOOL', 'U8', 'I8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);
/** The reference implementation refuses headers above 100 MB; so do we (a garbage length must not allocate GBs). */
const MAX_HEADER = 100_000_000;

export function fail(what: string, msg: string): never {
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
export function headerLength(first8: Uint8Array, total: number, what: string): number {
  if (total < 8) fail(what, `file is ${total} bytes, too short for the 8-byte header length (truncated?)`);
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const lo = dv.getUint32(0, true), hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER) fail(what, `header length ${n} exceeds the ${MAX_HEADER}-byte limit (corrupt file?)`);
  if (n < 2) fail(what, `header length ${n} is too small for a JSON object`);
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

export function pick(h: SafetensorsHeader, names: string[] | undefined, what: string): SafetensorsEntry[] {
  if (!names) return h.entries;
  const byName = new Map(h.entries.map((e) => [e.name, e]));
  return names.map((nm) => byName.get(nm) ?? fail(what, `no tensor named '${nm}' (has ${h.entries.length}: ${h.entries.slice(0, 8).map((e) => e.name).join(', ')}${h.entries.length > 8 ? ', …' : ''})`));
}

/** Tensor shape for an entry: safetensors scalars (shape []) become [1], since our tensors have rank ≥ 1. */
export function tensorShape(e: SafetensorsEntry): number[] {
  return e.shape.length === 0 ? [1] : e.shape;
}
