import { Tensor } from '../tensor';
export type SvdMethod = 'exact' | 'randomized';
export interface SvdOptions {
    /** Number of singular triplets (1 ≤ k ≤ min(m, n)). Default min(m, n). */
    k?: number;
    method?: SvdMethod;
    /** Randomized: extra random columns beyond k. Default k (q = 2k). */
    oversample?: number;
    /** Randomized: power iterations. Default 4. */
    powerIters?: number;
    /** Randomized: seed of the Gaussian test matrix. Default 0. */
    seed?: number;
}
export interface SvdResult {
    U: Tensor;
    S: Tensor;
    Vt: Tensor;
}
export declare function svd(M: Tensor, options?: SvdOptions): SvdResult;
export declare function svdAsync(M: Tensor, options?: SvdOptions): Promise<SvdResult>;
/** Replaces A (m×n, m ≥ n) by the Q of its thin QR, in place. */
export declare function orthonormalize(A: Tensor): Tensor;
