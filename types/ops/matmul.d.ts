/**
 * matmul: out = alpha·op(a)·op(b) + beta·out.
 * native.matmul → csrc/binding/matmul.cc → Backend::matmul → csrc/cpu/matmul.cc (cblas_?gemm) |
 * csrc/cuda/matmul.cc (cuBLAS).
 */
import { DType } from '../dtype';
import { Tensor } from '../tensor';
export interface MatmulOptions {
    transA?: boolean;
    transB?: boolean;
    alpha?: number;
    /** 0 overwrites `out`; 1 accumulates into it. Needs `out` when non-zero. */
    beta?: number;
    /** Where to write; allocated (dtype `dtype`) when omitted. */
    out?: Tensor;
    /** dtype of a newly allocated out: f64 when both inputs are f64, else f32 (fp32 accumulation). */
    dtype?: DType;
}
export declare function matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor;
export declare function matmulAsync(a: Tensor, b: Tensor, options?: MatmulOptions): Promise<Tensor>;
