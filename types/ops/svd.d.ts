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
/**
 * The SVDs of many matrices in one call (an init touches hundreds of modules): the same options for all (give k:
 * when omitted, each matrix's k is its min(m, n) but the default oversample is M[0]'s k), matrix i
 * using seed `seed + i`. On the GPU the jobs overlap on several streams; on the CPU they run one after another.
 */
export declare function svdBatched(Ms: Tensor[], options?: SvdOptions): SvdResult[];
export declare function svdBatchedAsync(Ms: Tensor[], options?: SvdOptions): Promise<SvdResult[]>;
