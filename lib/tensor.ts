/**
 * Tensor: a dtype, a shape and row-major contiguous storage. Host tensors wrap a TypedArray zero-copy, so the
 * caller's array and the tensor share memory and native code reads it in place. Device tensors ('cuda') hold a
 * native handle to GPU memory that stays on the GPU across calls; toDevice()/toHost() copy explicitly.
 * native.copy / deviceAlloc / deviceFree / allFinite / fillGaussian / detach → csrc/binding/tensor.cc →
 * Backend::copy / alloc / allFinite / fillGaussian (deviceFree releases the Buffer; detach is host-only) →
 * csrc/cpu/tensor.cc | csrc/cuda/tensor.cc + tensor.cu.
 */
import { native } from './native';
import {
  DType, Storage, allocStorage, assertDType, bytesPerElement, storageDType, tagOf, viewStorage,
} from './dtype';
import {
  LoraBackendError, LoraDTypeError, LoraDisposedError, LoraLayoutError, LoraShapeError, LoraValueError,
} from './errors';

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
  readonly device: Device;
  /** Number of elements. */
  readonly size: number;
  private _data: Storage | null;
  /** Device memory (a native External; read by the addon as `handle`); null on the host or once disposed. */
  private handle: unknown;
  /** True when the library allocated the storage, so dispose() may release it at once. */
  private readonly _owned: boolean;
  /** Async ops in flight that read or write this tensor. */
  private _busy = 0;

  /** Prefer Tensor.from / Tensor.zeros. A null `data` with a `handle` makes a device ('cuda') tensor. */
  constructor(data: Storage | null, shape: Shape, dtype: DType, owned = false, handle: unknown = null) {
    this.shape = Object.freeze(checkShape(shape as number[]));
    this.dtype = dtype;
    this.size = shapeSize(this.shape);
    if (data === null) {
      if (handle === null || handle === undefined) throw new LoraShapeError('Tensor: neither host data nor a device handle');
      this.device = 'cuda';
    } else {
      this.device = 'cpu';
      if (data.length !== this.size)
        throw new LoraShapeError(`Tensor: ${data.length} elements cannot have shape [${this.shape.join(', ')}] (${this.size})`);
    }
    this._data = data;
    this.handle = data === null ? handle : null;
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

  /**
   * A zero-filled tensor. On 'cuda' the memory is allocated on the GPU (LoraBackendError when no usable GPU, with
   * the reason; LoraOutOfMemoryError when the device is full).
   */
  static zeros(shape: Shape, dtype: DType = 'f32', device: Device = 'cpu'): Tensor {
    const dims = checkShape(shape as number[]);
    assertDType(dtype, 'Tensor.zeros');
    if (device === 'cuda') return new Tensor(null, dims, dtype, true, native.deviceAlloc(dtype, dims));
    if (device !== 'cpu') throw new LoraBackendError(`Tensor.zeros: unknown device '${String(device)}' (expected cpu or cuda)`);
    return new Tensor(allocStorage(dtype, shapeSize(dims)), dims, dtype, true);
  }

  /**
   * Standard normal values from the library's counter-based generator: element i depends only on (seed, i), so
   * the CPU and the GPU (and the benchmark's PyTorch port, scripts/bench_gpu_torch.py) draw the same matrix.
   */
  static randn(shape: Shape, dtype: DType = 'f32', device: Device = 'cpu', seed = 0): Tensor {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new LoraValueError(`Tensor.randn: seed must be a non-negative safe integer, got ${String(seed)}`);
    const t = Tensor.zeros(shape, dtype, device);
    native.fillGaussian(t, seed);
    return t;
  }

  /** The host storage. Throws LoraDisposedError after dispose(), LoraBackendError on a device tensor. */
  get data(): Storage {
    if (this.device !== 'cpu')
      throw new LoraBackendError(`Tensor [${this.shape.join(', ')}] ${this.dtype} lives on ${this.device}: call toHost() to read it`);
    const d = this._data;
    if (d === null) throw new LoraDisposedError(`Tensor [${this.shape.join(', ')}] ${this.dtype} was disposed`);
    if (d.length !== this.size) throw new LoraDisposedError(`Tensor [${this.shape.join(', ')}] storage was released`);
    return d;
  }

  get disposed(): boolean {
    if (this.device !== 'cpu') return this.handle === null;
    return this._data === null || this._data.length !== this.size;
  }

  /** @internal the device handle (identity is used to detect aliasing); throws once disposed. */
  get _deviceHandle(): unknown {
    if (this.handle === null) throw new LoraDisposedError(`Tensor [${this.shape.join(', ')}] ${this.dtype} was disposed`);
    return this.handle;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Same storage, new shape (zero-copy). */
  reshape(shape: Shape): Tensor {
    const dims = checkShape(shape as number[]);
    if (shapeSize(dims) !== this.size)
      throw new LoraShapeError(`reshape: [${this.shape.join(', ')}] (${this.size}) cannot become [${dims.join(', ')}]`);
    if (this.device !== 'cpu') return new Tensor(null, dims, this.dtype, false, this._deviceHandle);
    return new Tensor(this.data, dims, this.dtype);
  }

  /** A copy in `dtype` (rounded to nearest even when narrowing to bf16/f16), on the same device. */
  to(dtype: DType): Tensor {
    assertDType(dtype, 'Tensor.to');
    this.live('Tensor.to');
    const out = Tensor.zeros(this.shape, dtype, this.device);
    native.copy(this, out);
    return out;
  }

  /**
   * A copy on `device` (same dtype). Always copies, also when already there. Host → GPU uploads the bytes and
   * converts nothing; 'cpu' is the same as toHost(). LoraBackendError when no usable GPU (the reason is in it).
   */
  toDevice(device: Device = 'cuda'): Tensor {
    this.live('toDevice');
    const out = Tensor.zeros(this.shape, this.dtype, device);
    native.copy(this, out);
    return out;
  }

  /** A host copy (a copy also when already on the host). */
  toHost(): Tensor {
    return this.toDevice('cpu');
  }

  /** toDevice off the main thread: the Promise resolves when the copy (the GPU stream) is done. */
  async toDeviceAsync(device: Device = 'cuda'): Promise<Tensor> {
    this.live('toDeviceAsync');
    const out = Tensor.zeros(this.shape, this.dtype, device);
    const releaseIn = this._acquire(), releaseOut = out._acquire();
    try {
      await native.copy(this, out, true);
    } finally {
      releaseIn();
      releaseOut();
    }
    return out;
  }

  toHostAsync(): Promise<Tensor> {
    return this.toDeviceAsync('cpu');
  }

  private live(what: string): void {
    if (this.disposed) throw new LoraDisposedError(`${what}: tensor [${this.shape.join(', ')}] ${this.dtype} was disposed`);
  }

  clone(): Tensor {
    return this.to(this.dtype);
  }

  /** Values as a new Float32Array (converted from bf16/f16/f64). */
  toFloat32(): Float32Array {
    if (this.device !== 'cpu') return this.viaHost((h) => h.toFloat32());
    return this.dtype === 'f32' ? (this.data as Float32Array).slice() : (this.to('f32').data as Float32Array);
  }

  /** Values as a new Float64Array. */
  toFloat64(): Float64Array {
    if (this.device !== 'cpu') return this.viaHost((h) => h.toFloat64());
    return this.dtype === 'f64' ? (this.data as Float64Array).slice() : (this.to('f64').data as Float64Array);
  }

  private viaHost<T>(f: (h: Tensor) => T): T {
    const h = this.toHost();
    try {
      return f(h);
    } finally {
      h.dispose();
    }
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
   * Releases the storage. Library-allocated memory is freed now (GPU memory too; a device tensor that is never
   * disposed is freed when garbage-collected); a caller's array is only let go of (never detached). Using the tensor afterwards throws LoraDisposedError. Disposing twice is a no-op.
   */
  dispose(): void {
    if (this._busy > 0) throw new LoraDisposedError('dispose: tensor is in use by a pending async operation');
    if (this.device !== 'cpu') {
      const h = this.handle;
      this.handle = null;
      if (h !== null && this._owned) native.deviceFree(h);  // GPU memory back now; the finalizer is the fallback
      return;
    }
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
