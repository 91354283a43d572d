/* matmul: out = alpha·op(a)·op(b) + beta·out, on whatever device a and b live (BLAS on the host, cuBLAS on the GPU). */
import type { DType } from '../dtype';
import type { Tensor } from '../tensor';

/** Options of matmul / matmulAsync. */
export interface MatmulOptions {
  /** Use aᵀ. Default false. */
  transA?: boolean;
  /** Use bᵀ. Default false. */
  transB?: boolean;
  /** Multiplier of the product. Default 1. */
  alpha?: number;
  /** 0 overwrites `out`; 1 accumulates into it. Needs `out` when non-zero. */
  beta?: number;
  /** Where to write; allocated (dtype `dtype`) when omitted. */
  out?: Tensor;
  /** dtype of a newly allocated out: f64 when both inputs are f64, else f32 (fp32 accumulation). */
  dtype?: DType;
}

/** out = alpha·op(a)·op(b) + beta·out for 2-D a and b (any dtype; accumulated in f32, or f64 for f64 inputs). */
export declare function matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor;
/** matmul off the main thread; the tensors must not be disposed until the Promise settles. */
export declare function matmulAsync(a: Tensor, b: Tensor, options?: MatmulOptions): Promise<Tensor>;
