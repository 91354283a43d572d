/*
 * svd: M ≈ U·diag(S)·Vᵀ with k triplets, singular values descending.
 * 'exact' → LAPACK gesdd (cuSOLVER on GPU); 'randomized' → Halko et al. range finder with power iterations
 * (the scheme of torch.svd_lowrank: q = k + oversample columns); 'krylov' → randomized block Krylov (Musco & Musco
 * 2015). The randomized methods are deterministic for a given seed.
 */
import type { Tensor } from '../tensor';

/**
 * 'exact' (LAPACK / cuSOLVER), 'randomized' (range finder with power iterations) or 'krylov' (randomized block
 * Krylov: from blocks of b = k + oversample columns, the basis [M·Ω, (M·Mᵀ)·M·Ω, …, (M·Mᵀ)^powerIters·M·Ω] of
 * b·(powerIters + 1) columns, no more blocks than fit in min(m, n), and an exact SVD of its projection). For the same powerIters and
 * b, 'krylov' multiplies M as often as 'randomized' (one product fewer) and captures more of the top-k energy,
 * notably on flat spectra; its small SVD is (powerIters + 1) times taller.
 */
export type SvdMethod = 'exact' | 'randomized' | 'krylov';

/** Options of svd / svdBatched. */
export interface SvdOptions {
  /** Number of singular triplets (1 ≤ k ≤ min(m, n)). Default min(m, n). */
  k?: number;
  /** Default 'exact'. */
  method?: SvdMethod;
  /** Randomized and Krylov: extra random columns beyond k (the block is k + oversample wide). Default k. */
  oversample?: number;
  /** Randomized: power iterations; Krylov: blocks after the first. Default 4. */
  powerIters?: number;
  /** Randomized and Krylov: seed of the Gaussian test matrix. Default 0. */
  seed?: number;
}

/** Options of svdBatched: svd's, and a seed per matrix. */
export interface SvdBatchedOptions extends SvdOptions {
  /** Randomized and Krylov: matrix i draws with seeds[i] (one per matrix) instead of seed + i. Not together with seed. */
  seeds?: number[];
}

/** The k leading singular triplets: U [m, k], S [k] (descending), Vt [k, n]; f32, or f64 for an f64 M. */
export interface SvdResult {
  U: Tensor;
  S: Tensor;
  Vt: Tensor;
}

/** Truncated SVD of a 2-D M (on M's device). */
export declare function svd(M: Tensor, options?: SvdOptions): SvdResult;
/** svd off the main thread. */
export declare function svdAsync(M: Tensor, options?: SvdOptions): Promise<SvdResult>;
/**
 * The SVDs of many matrices in one call (an init touches hundreds of modules): the same options for all (give k:
 * when omitted, each matrix's k is its min(m, n) but the default oversample is M[0]'s k), matrix i
 * using seed `seed + i` (or `seeds[i]`). On the GPU the jobs overlap on several streams; on the CPU they run side by
 * side, a thread per core, each with single-threaded BLAS. Each result equals svd(Ms[i]) with that seed.
 */
export declare function svdBatched(Ms: Tensor[], options?: SvdBatchedOptions): SvdResult[];
/** svdBatched off the main thread. */
export declare function svdBatchedAsync(Ms: Tensor[], options?: SvdBatchedOptions): Promise<SvdResult[]>;
