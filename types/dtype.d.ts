export type DType = 'f32' | 'f64' | 'bf16' | 'f16';
export type Storage = Float32Array | Float64Array | Uint16Array;
export declare const DTYPES: readonly DType[];
export declare function bytesPerElement(dtype: DType): number;
export declare function isDType(x: unknown): x is DType;
export declare function assertDType(x: unknown, what: string): DType;
/** Allocates storage of `n` elements for `dtype`. */
export declare function allocStorage(dtype: DType, n: number): Storage;
/** A view of `buffer` as storage of `dtype`, zero-copy. */
export declare function viewStorage(dtype: DType, buffer: ArrayBufferLike, byteOffset: number, length: number): Storage;
/** The dtype whose storage this TypedArray is, or null (Uint16Array is ambiguous: the caller names bf16 or f16). */
export declare function storageDType(a: unknown): DType | null;
/**
 * The built-in type of a value, e.g. 'Float32Array' or 'ArrayBuffer'. Unlike instanceof this works across realms
 * (vm contexts, jest sandboxes, worker-transferred buffers).
 */
export declare function tagOf(x: unknown): string;
/** Accumulation dtype for results computed from these inputs: f64 only when all are f64, else f32. */
export declare function computeDType(...dtypes: DType[]): 'f32' | 'f64';
