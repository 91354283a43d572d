/**
 * The few element-wise helpers the training API needs that are not GEMMs: identity matrices for the r×r systems,
 * dst += α·src for gradient accumulation, and the dropout mask. scaledEye and addScaled work on any device; the
 * dropout helpers are host loops.
 */
import { Device, Tensor } from '../tensor';
/** λ·I (n×n) in dtype, on `device` (built on the host: it is only r×r). */
export declare function scaledEye(n: number, lambda: number, dtype: 'f32' | 'f64', device?: Device): Tensor;
/**
 * dst += alpha·src (same size; dst f32/f64), on whatever device both live: an axpy written as a k = 1 GEMM,
 * [1, n] += alpha·[1, 1]·[1, n], so it goes through the backend (BLAS or cuBLAS) like every other op.
 */
export declare function addScaled(dst: Tensor, src: Tensor, alpha?: number): Tensor;
/** Mulberry32 → inverted-dropout multipliers: 0 with probability p, else 1/(1−p). Deterministic for a seed. */
export declare function dropoutMask(n: number, p: number, seed: number): Float32Array;
/** out[i] = x[i]·mask[i], in x's compute dtype (f32 unless x is f64). */
export declare function applyMask(x: Tensor, mask: Float32Array): Tensor;
/** dst[i] += src[i]·mask[i]. */
export declare function addMasked(dst: Tensor, src: Tensor, mask: Float32Array): void;
