/*
 * Tensor: a dtype, a shape and row-major contiguous storage. Host tensors wrap a TypedArray zero-copy, so the
 * caller's array and the tensor share memory and native code reads it in place. Device tensors ('cuda') hold a
 * native handle to GPU memory that stays on the GPU across calls; toDevice()/toHost() copy explicitly.
 *
 * Ownership (README "Memory and ownership"): a tensor owns memory the library allocated and borrows the rest (a
 * caller's array, a file's bytes, another tensor's memory through reshape()). Ops never write into borrowed memory
 * unless the caller opted in with Tensor.from(..., { writable: true }).
 */
import type { DType, StorageOf } from './dtype';

/** Where a tensor's memory lives: host memory, or the GPU. */
export type Device = 'cpu' | 'cuda';
/** Dimensions, outermost first (row-major); a tensor has at least one. */
export type Shape = readonly number[];
/** What Tensor.from accepts: typed storage (wrapped), raw bytes (viewed as `dtype`) or numbers (copied). */
export type TensorSource = Float32Array | Float64Array | Uint16Array | ArrayBuffer | Uint8Array | ArrayLike<number>;

/** Options of Tensor.from. */
export interface FromOptions {
  /** Storage dtype. Inferred from Float32Array/Float64Array; required for Uint16Array (bf16 or f16). */
  dtype?: DType;
  /** Byte offset into an ArrayBuffer source (a non-negative multiple of the element size). */
  byteOffset?: number;
  /**
   * Let ops write into the caller's memory (outputs, optimizer steps, merge, in-place solve). Default false: a
   * wrapped array is read-only to loraga, and writing into it throws LoraValueError. (Numbers are copied, so a
   * tensor made from a plain array is the library's own and always writable.)
   */
  writable?: boolean;
}

/**
 * A dtype, a shape and row-major contiguous storage, on the host or on the GPU. Errors are LoraError subclasses:
 * using a disposed tensor throws LoraDisposedError, reading a device tensor's data LoraBackendError.
 *
 * `D` is the dtype when it is known where the tensor is made (Tensor.zeros(shape) is a Tensor<'f32'>,
 * Tensor.from(float64Array, …) a Tensor<'f64'>), so `data` is that dtype's array with no cast; a plain `Tensor` is
 * any dtype (`data` the union). `isF32()` narrows one.
 */
export declare class Tensor<D extends DType = DType> {
  /** Storage dtype. */
  readonly dtype: D;
  /** Dimensions, outermost first (frozen). */
  readonly shape: readonly number[];
  /** Where the memory lives. */
  readonly device: Device;
  /** Number of elements. */
  readonly size: number;
  /**
   * Prefer Tensor.from / Tensor.zeros. Wraps `data` (host storage of exactly `shape`'s size); a null `data` with a
   * native `handle` makes a device ('cuda') tensor. `owned`: the library allocated the storage. `writable`
   * (default: `owned`): ops may write into it.
   */
  constructor(data: StorageOf<D> | null, shape: Shape, dtype: D, owned?: boolean, handle?: unknown, writable?: boolean);
  /**
   * Wraps `source` without copying when it is f32/f64 (or 16-bit) storage or bytes, read-only unless
   * `options.writable`; copies a plain array of numbers. SharedArrayBuffer memory is refused (LoraLayoutError).
   */
  static from(source: Float32Array, shape: Shape, options?: FromOptions & { dtype?: 'f32' }): Tensor<'f32'>;
  static from(source: Float64Array, shape: Shape, options?: FromOptions & { dtype?: 'f64' }): Tensor<'f64'>;
  static from<E extends DType = 'f32'>(source: TensorSource, shape: Shape, options?: FromOptions & { dtype?: E }): Tensor<E>;
  /** A new tensor of `dtype` (default f32) holding `values` (converted; bf16/f16 rounded to nearest even). */
  static fromFloat64<E extends DType = 'f32'>(values: Float64Array | Float32Array, shape: Shape, dtype?: E): Tensor<E>;
  /**
   * A zero-filled tensor. On 'cuda' the memory is allocated on the GPU (LoraBackendError when no usable GPU, with
   * the reason; LoraOutOfMemoryError when the device is full).
   */
  static zeros<E extends DType = 'f32'>(shape: Shape, dtype?: E, device?: Device): Tensor<E>;
  /**
   * Standard normal values from the library's counter-based generator: element i depends only on (seed, i), so
   * the CPU and the GPU (and the benchmark's PyTorch port, scripts/gpu/bench_gpu_torch.py) draw the same matrix.
   */
  static randn<E extends DType = 'f32'>(shape: Shape, dtype?: E, device?: Device, seed?: number): Tensor<E>;
  /**
   * The host storage (the array itself, zero-copy). The array stays valid for as long as anything holds it, also
   * after the tensor's dispose(). Throws LoraDisposedError after dispose(), LoraBackendError on a device tensor.
   */
  get data(): StorageOf<D>;
  /** True when the dtype is f32 (then `data` is a Float32Array): narrows a `Tensor` without a cast. */
  isF32(): this is Tensor<'f32'>;
  /** True when the memory is not the library's own: a caller's array, a file's bytes, or a reshape() view. */
  get borrowed(): boolean;
  /** True when ops may write into this tensor (owned memory, or borrowed with { writable: true }). */
  get writable(): boolean;
  /** True once dispose() was called (or a host tensor's buffer was detached or shrunk by its owner). */
  get disposed(): boolean;
  /** @internal the device handle (identity is used to detect aliasing); throws once disposed. */
  get _deviceHandle(): unknown;
  /** Number of dimensions. */
  get rank(): number;
  /** Same storage, new shape (zero-copy): a borrowed view, writable when this tensor is. */
  reshape(shape: Shape): Tensor<D>;
  /** A copy in `dtype` (rounded to nearest even when narrowing to bf16/f16), on the same device. */
  to<E extends DType>(dtype: E): Tensor<E>;
  /**
   * A copy on `device` (same dtype). Always copies, also when already there. Host → GPU uploads the bytes and
   * converts nothing; 'cpu' is the same as toHost(). LoraBackendError when no usable GPU (the reason is in it).
   */
  toDevice(device?: Device): Tensor<D>;
  /** A host copy (a copy also when already on the host). */
  toHost(): Tensor<D>;
  /** toDevice off the main thread: the Promise resolves when the copy (the GPU stream) is done. */
  toDeviceAsync(device?: Device): Promise<Tensor<D>>;
  /** toHost off the main thread. */
  toHostAsync(): Promise<Tensor<D>>;
  /** A copy (same dtype, same device). */
  clone(): Tensor<D>;
  /** Values as a new Float32Array (converted from bf16/f16/f64). */
  toFloat32(): Float32Array;
  /** Values as a new Float64Array. */
  toFloat64(): Float64Array;
  /** Nested arrays (for printing and small tests). */
  toArray(): number[] | number[][];
  /** True when no element is NaN or ±Inf. */
  isFinite(): boolean;
  /**
   * Lets go of the storage; using the tensor afterwards throws LoraDisposedError, disposing twice is a no-op.
   * Device memory the tensor owns is freed now, or when the last native op using it (an async op in flight) is
   * done; a device tensor never disposed is freed when garbage-collected. Host memory is never freed under anyone:
   * the array (from `data`, a view, an async op) stays valid for whoever still holds it, and the garbage collector
   * frees it afterwards. Safe during an async op that uses the tensor.
   */
  dispose(): void;
  /** E.g. 'Tensor(f32, [2, 3], cpu)'. */
  toString(): string;
}
