/*
 * Tensor: a dtype, a shape and row-major contiguous storage. Host tensors wrap a TypedArray zero-copy, so the
 * caller's array and the tensor share memory and native code reads it in place. Device tensors ('cuda') hold a
 * native handle to GPU memory that stays on the GPU across calls; toDevice()/toHost() copy explicitly.
 *
 * Ownership (README "Memory and ownership"): a tensor owns memory the library allocated and borrows the rest (a
 * caller's array, a file's bytes, another tensor's memory through reshape()). Ops never write into borrowed memory
 * unless the caller opted in with Tensor.from(..., { writable: true }).
 */
import type { DType, Storage } from './dtype';

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
 */
export declare class Tensor {
  /** Storage dtype. */
  readonly dtype: DType;
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
  constructor(data: Storage | null, shape: Shape, dtype: DType, owned?: boolean, handle?: unknown, writable?: boolean);
  /**
   * Wraps `source` without copying when it is f32/f64 (or 16-bit) storage or bytes, read-only unless
   * `options.writable`; copies a plain array of numbers. SharedArrayBuffer memory is refused (LoraLayoutError).
   */
  static from(source: TensorSource, shape: Shape, options?: FromOptions): Tensor;
  /** A new tensor of `dtype` holding `values` (converted; bf16/f16 rounded to nearest even). */
  static fromFloat64(values: Float64Array | Float32Array, shape: Shape, dtype?: DType): Tensor;
  /**
   * A zero-filled tensor. On 'cuda' the memory is allocated on the GPU (LoraBackendError when no usable GPU, with
   * the reason; LoraOutOfMemoryError when the device is full).
   */
  static zeros(shape: Shape, dtype?: DType, device?: Device): Tensor;
  /**
   * Standard normal values from the library's counter-based generator: element i depends only on (seed, i), so
   * the CPU and the GPU (and the benchmark's PyTorch port, scripts/gpu/bench_gpu_torch.py) draw the same matrix.
   */
  static randn(shape: Shape, dtype?: DType, device?: Device, seed?: number): Tensor;
  /**
   * The host storage (the array itself, zero-copy). The array stays valid for as long as anything holds it, also
   * after the tensor's dispose(). Throws LoraDisposedError after dispose(), LoraBackendError on a device tensor.
   */
  get data(): Storage;
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
  reshape(shape: Shape): Tensor;
  /** A copy in `dtype` (rounded to nearest even when narrowing to bf16/f16), on the same device. */
  to(dtype: DType): Tensor;
  /**
   * A copy on `device` (same dtype). Always copies, also when already there. Host → GPU uploads the bytes and
   * converts nothing; 'cpu' is the same as toHost(). LoraBackendError when no usable GPU (the reason is in it).
   */
  toDevice(device?: Device): Tensor;
  /** A host copy (a copy also when already on the host). */
  toHost(): Tensor;
  /** toDevice off the main thread: the Promise resolves when the copy (the GPU stream) is done. */
  toDeviceAsync(device?: Device): Promise<Tensor>;
  /** toHost off the main thread. */
  toHostAsync(): Promise<Tensor>;
  /** A copy (same dtype, same device). */
  clone(): Tensor;
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
