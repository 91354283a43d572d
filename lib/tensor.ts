/**
 * Tensor: a dtype, a shape and row-major contiguous storage. Host tensors wrap a TypedArray zero-copy, so the
 * caller's array and the tensor share memory and native code reads it in place.
 */
import { native } from './native';
import {
  DType, Storage, allocStorage, assertDType, bytesPerElement, storageDType, tagOf, viewStorage,
} from './dtype';
import { LoraDTypeError, LoraDisposedError, LoraLayoutError, LoraShapeError } from './errors';

export type Device = 'cpu' | 'cuda';
export type Shape = readonly number[];
export type TensorSource = Float32Array | Float64Array | Uint16Array | ArrayBuffer | SharedArrayBuffer | Uint8Array | ArrayLike<number>;

export interface FromOptions {
  /** Storage dtype. Inferred from Float32Array/Float64Array; required for Uint16Array (bf16 or f16). */
  dtype?: DType;
  /** Byte offset into an ArrayBuffer source. */
  byteOffset?: number;
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function checkShape(shape: unknown, what = 'shape'): number[] {
  if (!Array.isArray(shape) || shape.length === 0)
    throw new LoraShapeError(`${what}: expected a non-empty array of dimensions, got ${JSON.stringify(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new LoraShapeError(`${what}: dimensions must be non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape.slice();
}

export class Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly device: Device = 'cpu';
  /** Number of elements. */
  readonly size: number;
  private _data: Storage | null;
  /** True when the library allocated the storage, so dispose() may release it at once. */
  private readonly _owned: boolean;
  /** Async ops in flight that read or write this tensor. */
  private _busy = 0;

  /** Prefer Tensor.from / Tensor.zeros. */
  constructor(data: Storage, shape: Shape, dtype: DType, owned = false) {
    this.shape = Object.freeze(checkShape(shape as number[]));
    this.dtype = dtype;
    this.size = shapeSize(this.shape);
    if (data.length !== this.size)
      throw new LoraShapeError(`Tensor: ${data.length} elements cannot have shape [${this.shape.join(', ')}] (${this.size})`);
    this._data = data;
    this._owned = owned;
  }

  /** Wraps `source` without copying when it is f32/f64 (or 16-bit) storage; copies a plain number array. */
  static from(source: TensorSource, shape: Shape, options: FromOptions = {}): Tensor {
    const dims = checkShape(shape as number[]);
    const n = shapeSize(dims);
    const inferred = storageDType(source);
    const tag = tagOf(source);
    if (options.dtype !== undefined) assertDType(options.dtype, 'Tensor.from');
    let dtype: DType;
    if (inferred) {
      if (options.dtype && options.dtype !== inferred)
        throw new LoraDTypeError(`Tensor.from: a ${source.constructor.name} holds ${inferred}, not ${options.dtype}`);
      dtype = inferred;
    } else if (tag === 'Uint16Array') {
      if (options.dtype !== 'bf16' && options.dtype !== 'f16')
        throw new LoraDTypeError('Tensor.from: a Uint16Array needs {dtype: "bf16"} or {dtype: "f16"}');
      dtype = options.dtype;
    } else {
      dtype = options.dtype ?? 'f32';
    }
    if (tag === 'Float32Array' || tag === 'Float64Array' || tag === 'Uint16Array') {
      const src = source as Storage;
      if (src.length !== n)
        throw new LoraShapeError(`Tensor.from: ${src.length} elements do not fill shape [${dims.join(', ')}] (${n})`);
      return new Tensor(src, dims, dtype);
    }
    if (tag === 'ArrayBuffer' || tag === 'SharedArrayBuffer' || tag === 'Uint8Array') {
      const bytes = tag === 'Uint8Array' ? (source as Uint8Array) : null;
      const buffer = bytes ? bytes.buffer : (source as ArrayBuffer);
      const base = bytes ? bytes.byteOffset : 0;
      const avail = bytes ? bytes.byteLength : (source as ArrayBuffer).byteLength;
      const offset = base + (options.byteOffset ?? 0);
      const bpe = bytesPerElement(dtype);
      if (offset % bpe !== 0)
        throw new LoraLayoutError(`Tensor.from: byte offset ${offset} is not a multiple of ${bpe} (${dtype} alignment); copy the bytes first`);
      const need = n * bpe;
      if (avail - (options.byteOffset ?? 0) < need)
        throw new LoraShapeError(`Tensor.from: ${avail - (options.byteOffset ?? 0)} bytes cannot hold shape [${dims.join(', ')}] of ${dtype} (${need} bytes)`);
      return new Tensor(viewStorage(dtype, buffer, offset, n), dims, dtype);
    }
    // A plain array of numbers: copied (and rounded for bf16/f16).
    const arr = source as ArrayLike<number>;
    if (typeof arr.length !== 'number' || arr.length !== n)
      throw new LoraShapeError(`Tensor.from: ${arr.length} values do not fill shape [${dims.join(', ')}] (${n})`);
    return Tensor.fromFloat64(Float64Array.from(arr), dims, dtype);
  }

  /** A new tensor of `dtype` holding `values` (converted; bf16/f16 rounded to nearest even). */
  static fromFloat64(values: Float64Array | Float32Array, shape: Shape, dtype: DType = 'f32'): Tensor {
    const src = new Tensor(values, shape, storageDType(values) ?? 'f32');
    if (src.dtype === dtype) return new Tensor(values.slice(), shape, dtype, true);
    const out = Tensor.zeros(shape, dtype);
    native.copy(src, out);
    return out;
  }

  static zeros(shape: Shape, dtype: DType = 'f32'): Tensor {
    const dims = checkShape(shape as number[]);
    assertDType(dtype, 'Tensor.zeros');
    return new Tensor(allocStorage(dtype, shapeSize(dims)), dims, dtype, true);
  }

  /** The storage. Throws LoraDisposedError after dispose(). */
  get data(): Storage {
    const d = this._data;
    if (d === null) throw new LoraDisposedError(`Tensor [${this.shape.join(', ')}] ${this.dtype} was disposed`);
    if (d.length !== this.size) throw new LoraDisposedError(`Tensor [${this.shape.join(', ')}] storage was released`);
    return d;
  }

  get disposed(): boolean {
    return this._data === null || this._data.length !== this.size;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Same storage, new shape (zero-copy). */
  reshape(shape: Shape): Tensor {
    const dims = checkShape(shape as number[]);
    if (shapeSize(dims) !== this.size)
      throw new LoraShapeError(`reshape: [${this.shape.join(', ')}] (${this.size}) cannot become [${dims.join(', ')}]`);
    return new Tensor(this.data, dims, this.dtype);
  }

  /** A copy in `dtype` (rounded to nearest even when narrowing to bf16/f16). */
  to(dtype: DType): Tensor {
    assertDType(dtype, 'Tensor.to');
    const out = Tensor.zeros(this.shape, dtype);
    native.copy(this, out);
    return out;
  }

  clone(): Tensor {
    return this.to(this.dtype);
  }

  /** Values as a new Float32Array (converted from bf16/f16/f64). */
  toFloat32(): Float32Array {
    return this.dtype === 'f32' ? (this.data as Float32Array).slice() : (this.to('f32').data as Float32Array);
  }

  /** Values as a new Float64Array. */
  toFloat64(): Float64Array {
    return this.dtype === 'f64' ? (this.data as Float64Array).slice() : (this.to('f64').data as Float64Array);
  }

  /** Nested arrays (for printing and small tests). */
  toArray(): number[] | number[][] {
    const v = Array.from(this.toFloat64());
    if (this.rank === 1) return v;
    const cols = this.shape[this.rank - 1];
    const rows: number[][] = [];
    for (let i = 0; i < v.length; i += cols) rows.push(v.slice(i, i + cols));
    return rows;
  }

  /** True when no element is NaN or ±Inf. */
  isFinite(): boolean {
    return native.allFinite(this);
  }

  /**
   * Releases the storage. Library-allocated memory is freed now; a caller's array is only let go of (never
   * detached). Using the tensor afterwards throws LoraDisposedError. Disposing twice is a no-op.
   */
  dispose(): void {
    if (this._busy > 0) throw new LoraDisposedError('dispose: tensor is in use by a pending async operation');
    const d = this._data;
    this._data = null;
    if (d && this._owned && d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && tagOf(d.buffer) === 'ArrayBuffer') {
      native.detach(d.buffer as ArrayBuffer);
    }
  }

  /** @internal marks the tensor as used by an async op until the returned release() is called. */
  _acquire(): () => void {
    this._busy++;
    let done = false;
    return () => {
      if (!done) { done = true; this._busy--; }
    };
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}], ${this.device}${this.disposed ? ', disposed' : ''})`;
  }
}
