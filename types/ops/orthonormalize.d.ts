/* orthonormalize: the Q of a thin QR, in place. */
import type { Tensor } from '../tensor';

export interface OrthonormalizeOptions {
  /**
   * 'householder' (default): LAPACK/cuSOLVER QR. 'cholqr2': CholeskyQR2 (Gram matrix, Cholesky, triangular solve,
   * twice), the randomized SVD's re-orthonormalisation: GEMM-shaped work, falling back to Householder when the
   * block is too ill-conditioned for it (max rᵢᵢ/min rᵢᵢ of the first Cholesky factor above 0.25/√ε, or not
   * positive definite). Both return an orthonormal basis of A's columns; the bases may differ by an orthogonal n×n
   * factor (column signs).
   */
  method?: 'householder' | 'cholqr2';
}

/** Replaces A (m×n, m ≥ n) by an orthonormal basis of its columns (the Q of its thin QR), in place; returns A. */
export declare function orthonormalize(A: Tensor, options?: OrthonormalizeOptions): Tensor;
