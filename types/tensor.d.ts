/*
 * Tensor: a dtype, a shape and row-major contiguous storage. Host tensors wrap a TypedArray zero-copy, so the
 * caller's array and the tensor share memory and native code reads it in place. Device tensors ('cuda') hold a
 * native handle to GPU memory that stays on the GPU across calls; toDevice()/toHost() copy explicitly.
 */
import type { DType, Storage } from './dtype';

/** Where a tensor's memory lives: host memory, or the GPU. */
export type Device = 'cpu' | 'cuda';
/** Dimensions, outermost first (row-major); a tensor has at least one. */
export type Shape = readonly number[];
/** What Tensor.from accepts: typed storage (wrapped), raw bytes (viewed as `dtype`) or numbers (copied). */
export type TensorSource = Float32Array | Float64Array | Uint16Array | ArrayBuffer | SharedArrayBuffer | Uint8Array | ArrayLike<number>;

/** Options of Tensor.from. */
export interface FromOptions {
  /** Storage dtype. Inferred from Float32Array/Float64Array; required for Uint16Array (bf16 or f16). */
  dtype?: DType;
  /** Byte offset into an ArrayBuffer source. */
  byteOffset?: number;
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
   * native `handle` makes a device ('cuda') tensor. `owned`: the library allocated the storage (dispose() frees it).
   */
  constructor(data: Storage | null, shape: Shape, dtype: DType, owned?: boolean, handle?: unknown);
  /** Wraps `source` without copying when it is f32/f64 (or 16-bit) storage; copies a plain number array. */
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
  /** The host storage. Throws LoraDisposedError after dispose(), LoraBackendError on a device tensor. */
  get data(): Storage;
  /** True once dispose() was called (or a host tensor's buffer was detached). */
  get disposed(): boolean;
  /** @internal the device handle (identity is used to detect aliasing); throws once disposed. */
  get _deviceHandle(): unknown;
  /** Number of dimensions. */
  get rank(): number;
  /** Same storage, new shape (zero-copy). */
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
   * Releases the storage. Library-allocated memory is freed now (GPU memory too; a device tensor that is never
   * disposed is freed when garbage-collected); a caller's array is only let go of (never detached). Using the
   * tensor afterwards throws LoraDisposedError. Disposing twice is a no-op.
   */
  dispose(): void;
  /** @internal marks the tensor as used by an async op until the returned release() is called. */
  _acquire(): () => void;
  /** E.g. 'Tensor(f32, [2, 3], cpu)'. */
  toString(): string;
}
