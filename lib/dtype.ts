/** Storage dtypes (declared in types/dtype.d.ts) and the helpers that allocate, view and recognise storage. */
import type { DType, Storage } from '../types/dtype';
import { LoraDTypeError, LoraOutOfMemoryError } from './errors';
import { showJson } from './show';

export const DTYPES: readonly DType[] = ['f32', 'f64', 'bf16', 'f16'];

export function bytesPerElement(dtype: DType): number {
  return dtype === 'f64' ? 8 : dtype === 'f32' ? 4 : 2;
}

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

export function assertDType(x: unknown, what: string): DType {
  if (!isDType(x)) throw new LoraDTypeError(`${what}: unknown dtype ${showJson(x)} (expected one of ${DTYPES.join(', ')})`);
  return x;
}

/** Allocates storage of `n` elements for `dtype`. */
export function allocStorage(dtype: DType, n: number): Storage {
  try {
    switch (dtype) {
      case 'f32': return new Float32Array(n);
      case 'f64': return new Float64Array(n);
      default: return new Uint16Array(n);
    }
  } catch (e) {
    // V8 reports a failed or oversized ArrayBuffer allocation as a RangeError: make it our typed OOM error.
    if (e instanceof RangeError)
      throw new LoraOutOfMemoryError(`cannot allocate ${n} × ${dtype} (${(n * bytesPerElement(dtype) / 2 ** 30).toFixed(1)} GiB) of host memory: ${e.message}`);
    throw e;
  }
}

/** A view of `buffer` as storage of `dtype`, zero-copy. */
export function viewStorage(dtype: DType, buffer: ArrayBufferLike, byteOffset: number, length: number): Storage {
  switch (dtype) {
    case 'f32': return new Float32Array(buffer, byteOffset, length);
    case 'f64': return new Float64Array(buffer, byteOffset, length);
    default: return new Uint16Array(buffer, byteOffset, length);
  }
}

/** The dtype whose storage this TypedArray is, or null (Uint16Array is ambiguous: the caller names bf16 or f16). */
export function storageDType(a: unknown): DType | null {
  const tag = tagOf(a);
  return tag === 'Float32Array' ? 'f32' : tag === 'Float64Array' ? 'f64' : null;
}

/**
 * The built-in type of a value, e.g. 'Float32Array' or 'ArrayBuffer'. Unlike instanceof this works across realms
 * (vm contexts, jest sandboxes, worker-transferred buffers).
 */
export function tagOf(x: unknown): string {
  return Object.prototype.toString.call(x).slice(8, -1);
}

/** Accumulation dtype for results computed from these inputs: f64 only when all are f64, else f32. */
export function computeDType(...dtypes: DType[]): 'f32' | 'f64' {
  return dtypes.every((d) => d === 'f64') ? 'f64' : 'f32';
}
