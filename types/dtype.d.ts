/* Storage dtypes. bf16 and f16 are stored as raw 16-bit patterns in a Uint16Array. */

/** Storage dtype of a tensor: IEEE f32 / f64, or bf16 / f16 held as raw 16-bit patterns. */
export type DType = 'f32' | 'f64' | 'bf16' | 'f16';
/** The TypedArray behind a host tensor: Float32Array (f32), Float64Array (f64) or Uint16Array (bf16, f16). */
export type Storage = Float32Array | Float64Array | Uint16Array;
/** The storage of one dtype: StorageOf<'f32'> is Float32Array, so `Tensor<'f32'>.data` needs no cast. */
export type StorageOf<D extends DType> = D extends 'f32' ? Float32Array : D extends 'f64' ? Float64Array : Uint16Array;
/** Every supported dtype. */
export declare const DTYPES: readonly DType[];
/** Bytes per element: 8 for f64, 4 for f32, 2 for bf16 and f16. */
export declare function bytesPerElement(dtype: DType): number;
