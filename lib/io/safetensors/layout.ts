/**
 * The header and data layout writers produce, the reference's own (safetensors' `prepare`): tensors ordered by
 * descending dtype alignment, then by name in UTF-8 byte order (Rust's str order), packed from offset 0, so each
 * starts at a multiple of its element size; the JSON header (metadata first, then the tensors in that order, as the
 * reference serialises it) padded with spaces to a multiple of 8 so the data section starts 8-aligned. Names and
 * metadata are checked to be text the JSON header can carry and the reference can read back.
 */
import type { DType } from '../../../types/dtype';
import { isDType } from '../../dtype';
import { LoraDTypeError, LoraValueError } from '../../errors';
import { FOR_DTYPE } from './dtypes';
import { showJson, str } from '../../show';

/** A UTF-16 surrogate without its other half: JSON.stringify would write it as `\ud800`, which no reader accepts. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface Planned {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte range in the data section. */
  begin: number;
  end: number;
}

function checkText(s: string, what: string): void {
  if (LONE_SURROGATE.test(s)) throw new LoraValueError(`${what} ${JSON.stringify(s)} holds a lone surrogate (not Unicode text; safetensors readers refuse it)`);
}

/** A tensor name writers accept: non-empty, not `__metadata__`, well-formed Unicode. */
export function checkName(name: string, who: string): void {
  if (typeof name !== 'string' || name === '__metadata__' || name.length === 0) throw new LoraValueError(`${who}: invalid tensor name ${showJson(name)}`);
  checkText(name, `${who}: tensor name`);
}

/** The metadata's own entries, every value a string and all of it well-formed Unicode. */
export function metadataEntries(metadata: Record<string, string> | undefined, who: string): [string, string][] {
  if (metadata === undefined || metadata === null) return [];
  if (typeof metadata !== 'object') throw new LoraValueError(`${who}: metadata must be an object of strings, got ${typeof metadata}`);
  const out = Object.entries(metadata);
  for (const [k, v] of out) {
    if (typeof v !== 'string') throw new LoraValueError(`${who}: metadata ${JSON.stringify(k)} must be a string, got ${typeof v}`);
    checkText(k, `${who}: metadata key`);
    checkText(v, `${who}: metadata value of ${JSON.stringify(k)}`);
  }
  return out;
}

function utf8Order(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Orders and places tensors (each: name, dtype, shape, byte size) as the reference does. */
export function plan(items: { name: string; dtype: DType; shape: number[]; bytes: number }[], who: string): Planned[] {
  for (const it of items) if (!isDType(it.dtype)) throw new LoraDTypeError(`${who}: '${it.name}' has unsupported dtype ${str(it.dtype)}`);
  const rank = (d: DType) => FOR_DTYPE.get(d)!.rank;
  const sorted = items.slice().sort((a, b) => rank(b.dtype) - rank(a.dtype) || utf8Order(a.name, b.name));
  let offset = 0;
  return sorted.map((it) => {
    const p = { name: it.name, dtype: it.dtype, shape: it.shape.slice(), begin: offset, end: offset + it.bytes };
    offset += it.bytes;
    return p;
  });
}

/** The 8-byte length prefix and the space-padded JSON header for `planned` (in its order) and `metadata`. */
export function headerBytes(planned: Planned[], metadata: [string, string][]): [Buffer, Buffer] {
  const parts: string[] = [];
  // Built as text, not through an object: a name such as `__proto__` must be a key like any other.
  if (metadata.length) parts.push(`"__metadata__":{${metadata.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  for (const p of planned)
    parts.push(`${JSON.stringify(p.name)}:{"dtype":"${FOR_DTYPE.get(p.dtype)!.name}","shape":[${p.shape.join(',')}],"data_offsets":[${p.begin},${p.end}]}`);
  let json = `{${parts.join(',')}}`;
  json += ' '.repeat((8 - (Buffer.byteLength(json, 'utf8') % 8)) % 8);
  const hb = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(hb.byteLength));
  return [prefix, hb];
}
