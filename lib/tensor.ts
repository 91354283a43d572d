/**
 * Tensor (declared in types/tensor.d.ts, documented there): a dtype, a shape and row-major contiguous storage. Host
 * tensors wrap a TypedArray zero-copy; device tensors ('cuda') hold a native handle to GPU memory.
 * native.copy / deviceAlloc / deviceFree / allFinite / fillGaussian / detach → csrc/binding/tensor.cc →
 * Backend::copy / alloc / allFinite / fillGaussian (deviceFree releases the Buffer; detach is host-only) →
 * csrc/cpu/tensor.cc | csrc/cuda/tensor.cc + tensor.cu.
 */
import type { DType, Storage, StorageOf } from '../types/dtype';
import type * as api from '../types/tensor';
import type { Device, FromOptions, Shape, TensorSource } from '../types/tensor';
import { native } from './native';
import { allocStorage, assertDType, bytesPerElement, storageDType, tagOf, viewStorage } from './dtype';
import { show, str } from './show';
import {
  LoraBackendError, LoraDTypeError, LoraDisposedError, LoraLayoutError, LoraShapeError, LoraValueError,
} from './errors';

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A TensorFlow.js tensor handed to the core API by mistake (it has a dataId, a dtype string like 'float32' and a
 * rankType, which no loraga Tensor has): the hint says how to convert it.
 */
export function tfTensorHint(x: unknown): string {
  if (x === null || typeof x !== 'object') return '';
  const o = x as { dataId?: unknown; rankType?: unknown; dtype?: unknown };
  if (o.dataId === undefined || o.rankType === undefined || typeof o.dtype !== 'string') return '';
  return ` — this is a TensorFlow.js tf.Tensor (${o.dtype}), not a loraga Tensor: convert it with fromTf(t) from 'loraga/tfjs' (zero-copy on the cpu backend), or Tensor.from(t.dataSync(), t.shape) for float32`;
}

export function checkShape(shape: unknown, what = 'shape'): number[] {
  if (!Array.isArray(shape) || shape.length === 0)
    throw new LoraShapeError(`${what}: expected a non-empty array of dimensions, got ${show(shape)}`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      throw new LoraShapeError(`${what}: dimensions must be non-negative integers (numbers), got ${show(shape)}`);
  }
  // The native side sees [rows, cols] = [product of the leading dimensions, last]: both, and the element count,
  // must be exact integers — a trailing zero does not make [9e15, 9e15, 0] representable; [0, 2^32, 2^32] is.
  let rows = 1;
  for (let i = 0; i < shape.length - 1; i++) rows *= shape[i];
  if (rows > Number.MAX_SAFE_INTEGER || rows * shape[shape.length - 1] > Number.MAX_SAFE_INTEGER)
    throw new LoraShapeError(`${what}: ${show(shape)} has more than 2^53 elements in its leading dimensions or in all`);
  return shape.slice();
}

const FROM_OPTIONS = new Set(['dtype', 'byteOffset', 'writable']);

function fromOptions(options: unknown): FromOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new LoraValueError(`Tensor.from: options must be an object, got ${show(options)}`);
  for (const k of Object.keys(options))
    if (!FROM_OPTIONS.has(k)) throw new LoraValueError(`Tensor.from: unknown option '${k}' (expected ${[...FROM_OPTIONS].join(', ')})`);
  const o = options as FromOptions;
  if (o.byteOffset !== undefined && !(Number.isSafeInteger(o.byteOffset) && o.byteOffset >= 0))
    throw new LoraValueError(`Tensor.from: byteOffset must be a non-negative integer, got ${show(o.byteOffset)}`);
  if (o.writable !== undefined && typeof o.writable !== 'boolean')
    throw new LoraValueError(`Tensor.from: writable must be a boolean, got ${show(o.writable)}`);
  return o;
}

const TYPED = new Set(['Float32Array', 'Float64Array', 'Uint16Array', 'Uint8Array']);

export type Tensor = api.Tensor;
/**
 * The implementation, checked against the declared class: elsewhere in lib `Tensor` is the declared type. The addon
 * reads the plain fields `_data`, `_readonly`, `dtype`, `shape`, `device` and `handle` off tensor objects: keep
 * those names.
 *
 * Ownership (README "Memory and ownership"): a tensor owns memory the library allocated and borrows everything
 * else (a caller's array, a file's bytes, another tensor's memory through reshape()). Borrowed memory is read-only
 * unless the caller opted in (Tensor.from(..., { writable: true })). dispose() of a host tensor only lets go of its
 * storage (the array stays valid for whoever else holds it; the garbage collector frees it); dispose() of a device
 * tensor frees the GPU memory at once, or when the last native op using it is done.
 */
export const Tensor: typeof api.Tensor = class Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly device: Device;
  readonly size: number;
  /** The host storage behind `data` (a plain field: the addon reads it); null on a device or once disposed. */
  private _data: Storage | null;
  /** Device memory (a native External; read by the addon as `handle`); null on the host or once disposed. */
  private handle: unknown;
  /** True when the library allocated the storage. */
  private readonly _owned: boolean;
  /** True when native ops must not write into the storage (borrowed without opting in); read by the addon. */
  private readonly _readonly: boolean;

  constructor(data: StorageOf<D> | null, shape: Shape, dtype: D, owned = false, handle: unknown = null, writable = owned) {
    this.shape = Object.freeze(checkShape(shape as number[]));
    this.dtype = dtype;
    this.size = shapeSize(this.shape);
    if (data === null) {
      if (handle === null || handle === undefined) throw new LoraShapeError('Tensor: neither host data nor a device handle');
      this.device = 'cuda';
    } else {
      this.device = 'cpu';
      if (!ArrayBuffer.isView(data) || !TYPED.has(tagOf(data)))
        throw new LoraShapeError(`Tensor: storage must be a Float32Array, Float64Array or Uint16Array, got ${show(data)}`);
      if (tagOf(data.buffer) !== 'ArrayBuffer')
        throw new LoraLayoutError('Tensor: shared memory (SharedArrayBuffer) is not accepted: another thread could change it under an op; copy it into an ArrayBuffer first');
      if (data.length !== this.size)
        throw new LoraShapeError(`Tensor: ${data.length} elements cannot have shape [${this.shape.join(', ')}] (${this.size})`);
    }
    this._data = data;
    this.handle = data === null ? handle : null;
    this._owned = owned;
    this._readonly = !writable;
  }

  // Typed as any dtype here; the declared overloads (types/tensor.d.ts) give callers the dtype they asked for.
  static from(source: TensorSource, shape: Shape, options?: FromOptions): Tensor<never> {
    const dims = checkShape(shape as number[]);
    const n = shapeSize(dims);
    options = fromOptions(options);
    if (source === null || source === undefined || typeof source !== 'object' || tfTensorHint(source))
      throw new LoraValueError(`Tensor.from: expected a typed array, an ArrayBuffer or an array of numbers, got ${show(source)}${tfTensorHint(source)}`);
    const inferred = storageDType(source);
    const tag = tagOf(source);
    const writable = options.writable ?? false;
    if (tag === 'SharedArrayBuffer' || (ArrayBuffer.isView(source) && tagOf(source.buffer) === 'SharedArrayBuffer'))
      throw new LoraLayoutError('Tensor.from: shared memory (SharedArrayBuffer) is not accepted: another thread could change it under an op; copy it into an ArrayBuffer first');
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
      return new Tensor(src, dims, dtype, false, null, writable) as never;
    }
    if (tag === 'ArrayBuffer' || tag === 'Uint8Array') {
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
      return new Tensor(viewStorage(dtype, buffer, offset, n), dims, dtype, false, null, writable) as never;
    }
    if (ArrayBuffer.isView(source))
      throw new LoraDTypeError(`Tensor.from: a ${tag} is not tensor storage (use Float32Array, Float64Array, Uint16Array with a dtype, or the bytes as a Uint8Array)`);
    // A plain array of numbers: copied (and rounded for bf16/f16), so the tensor owns it.
    const arr = source as ArrayLike<number>;
    if (typeof arr.length !== 'number' || arr.length !== n)
      throw new LoraShapeError(`Tensor.from: ${str(arr.length)} values do not fill shape [${dims.join(', ')}] (${n})`);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = arr[i];
      if (typeof v !== 'number') throw new LoraValueError(`Tensor.from: element ${i} is ${show(v)}, not a number`);
      values[i] = v;
    }
    return Tensor.fromFloat64(values, dims, dtype);
  }

  static fromFloat64(values: Float64Array | Float32Array, shape: Shape, dtype: DType = 'f32'): Tensor<never> {
    const src = new Tensor(values, shape, storageDType(values) ?? 'f32');
    if (src.dtype === dtype) return new Tensor(values.slice(), shape, dtype, true) as never;
    const out = Tensor.zeros(shape, dtype);
    native.copy(src, out);
    return out;
  }

  static zeros(shape: Shape, dtype: DType = 'f32', device: Device = 'cpu'): Tensor<never> {
    const dims = checkShape(shape as number[]);
    assertDType(dtype, 'Tensor.zeros');
    if (device === 'cuda') return new Tensor(null, dims, dtype, true, native.deviceAlloc(dtype, dims)) as never;
    if (device !== 'cpu') throw new LoraBackendError(`Tensor.zeros: unknown device '${str(device)}' (expected cpu or cuda)`);
    return new Tensor(allocStorage(dtype, shapeSize(dims)), dims, dtype, true) as never;
  }

  static randn(shape: Shape, dtype: DType = 'f32', device: Device = 'cpu', seed = 0): Tensor<never> {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new LoraValueError(`Tensor.randn: seed must be a non-negative safe integer, got ${str(seed)}`);
    const t = Tensor.zeros(shape, dtype, device);
    native.fillGaussian(t, seed);
    return t;
  }

  get data(): StorageOf<D> {
    if (this.device !== 'cpu')
      throw new LoraBackendError(`Tensor [${this.shape.join(', ')}] ${this.dtype} lives on ${this.device}: call toHost() to read it`);
    const d = this._data;
    if (d === null) throw new LoraDisposedError(`Tensor [${this.shape.join(', ')}] ${this.dtype} was disposed`);
    if (d.length !== this.size) throw new LoraDisposedError(`Tensor [${this.shape.join(', ')}] storage was released`);
    return d as StorageOf<D>;
  }

  isF32(): this is Tensor<'f32'> {
    return this.dtype === 'f32';
  }

  get borrowed(): boolean {
    return !this._owned;
  }

  get writable(): boolean {
    return !this._readonly;
  }

  get disposed(): boolean {
    if (this.device !== 'cpu') return this.handle === null;
    return this._data === null || this._data.length !== this.size;
  }

  get _deviceHandle(): unknown {
    if (this.handle === null) throw new LoraDisposedError(`Tensor [${this.shape.join(', ')}] ${this.dtype} was disposed`);
    return this.handle;
  }

  get rank(): number {
    return this.shape.length;
  }

  reshape(shape: Shape): Tensor<D> {
    const dims = checkShape(shape as number[]);
    if (shapeSize(dims) !== this.size)
      throw new LoraShapeError(`reshape: [${this.shape.join(', ')}] (${this.size}) cannot become [${dims.join(', ')}]`);
    if (this.device !== 'cpu') return new Tensor(null, dims, this.dtype, false, this._deviceHandle, this.writable);
    return new Tensor(this.data, dims, this.dtype, false, null, this.writable);
  }

  to<E extends DType>(dtype: E): Tensor<E> {
    assertDType(dtype, 'Tensor.to');
    this.live('Tensor.to');
    const out = Tensor.zeros(this.shape, dtype, this.device);
    native.copy(this, out);
    return out;
  }

  toDevice(device: Device = 'cuda'): Tensor<D> {
    this.live('toDevice');
    const out = Tensor.zeros(this.shape, this.dtype, device);
    native.copy(this, out);
    return out;
  }

  toHost(): Tensor<D> {
    return this.toDevice('cpu');
  }

  async toDeviceAsync(device: Device = 'cuda'): Promise<Tensor<D>> {
    this.live('toDeviceAsync');
    const out = Tensor.zeros(this.shape, this.dtype, device);
    await native.copy(this, out, true);
    return out;
  }

  toHostAsync(): Promise<Tensor<D>> {
    return this.toDeviceAsync('cpu');
  }

  private live(what: string): void {
    if (this.disposed) throw new LoraDisposedError(`${what}: tensor [${this.shape.join(', ')}] ${this.dtype} was disposed`);
  }

  clone(): Tensor<D> {
    return this.to(this.dtype);
  }

  toFloat32(): Float32Array {
    if (this.device !== 'cpu') return this.viaHost((h) => h.toFloat32());
    return this.dtype === 'f32' ? (this.data as Float32Array).slice() : (this.to('f32').data as Float32Array);
  }

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

  toArray(): number[] | number[][] {
    const v = Array.from(this.toFloat64());
    if (this.rank === 1) return v;
    const cols = this.shape[this.rank - 1];
    const rows: number[][] = [];
    for (let i = 0; i < v.length; i += cols) rows.push(v.slice(i, i + cols));
    return rows;
  }

  isFinite(): boolean {
    return native.allFinite(this);
  }

  dispose(): void {
    if (this.device !== 'cpu') {
      const h = this.handle;
      this.handle = null;
      // GPU memory back now, or when the last native op using it is done; the finalizer is the fallback.
      if (h !== null && this._owned) native.deviceFree(h);
      return;
    }
    // Host memory is never freed under anyone: whoever still holds the array (a TF.js tensor given `.data`, a
    // reshape() view, an async op's write-back) keeps it valid; the garbage collector frees it after.
    this._data = null;
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}], ${this.device}${this.disposed ? ', disposed' : ''})`;
  }
};
