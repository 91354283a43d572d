import { DType, Storage } from './dtype';
export type Device = 'cpu' | 'cuda';
export type Shape = readonly number[];
export type TensorSource = Float32Array | Float64Array | Uint16Array | ArrayBuffer | SharedArrayBuffer | Uint8Array | ArrayLike<number>;
export interface FromOptions {
    /** Storage dtype. Inferred from Float32Array/Float64Array; required for Uint16Array (bf16 or f16). */
    dtype?: DType;
    /** Byte offset into an ArrayBuffer source. */
    byteOffset?: number;
}
export declare function shapeSize(shape: Shape): number;
export declare function checkShape(shape: unknown, what?: string): number[];
export declare class Tensor {
    readonly dtype: DType;
    readonly shape: readonly number[];
    readonly device: Device;
    /** Number of elements. */
    readonly size: number;
    private _data;
    /** True when the library allocated the storage, so dispose() may release it at once. */
    private readonly _owned;
    /** Async ops in flight that read or write this tensor. */
    private _busy;
    /** Prefer Tensor.from / Tensor.zeros. */
    constructor(data: Storage, shape: Shape, dtype: DType, owned?: boolean);
    /** Wraps `source` without copying when it is f32/f64 (or 16-bit) storage; copies a plain number array. */
    static from(source: TensorSource, shape: Shape, options?: FromOptions): Tensor;
    /** A new tensor of `dtype` holding `values` (converted; bf16/f16 rounded to nearest even). */
    static fromFloat64(values: Float64Array | Float32Array, shape: Shape, dtype?: DType): Tensor;
    static zeros(shape: Shape, dtype?: DType): Tensor;
    /** The storage. Throws LoraDisposedError after dispose(). */
    get data(): Storage;
    get disposed(): boolean;
    get rank(): number;
    /** Same storage, new shape (zero-copy). */
    reshape(shape: Shape): Tensor;
    /** A copy in `dtype` (rounded to nearest even when narrowing to bf16/f16). */
    to(dtype: DType): Tensor;
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
     * Releases the storage. Library-allocated memory is freed now; a caller's array is only let go of (never
     * detached). Using the tensor afterwards throws LoraDisposedError. Disposing twice is a no-op.
     */
    dispose(): void;
    /** @internal marks the tensor as used by an async op until the returned release() is called. */
    _acquire(): () => void;
    toString(): string;
}
