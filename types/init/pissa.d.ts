/**
 * PiSSA init (Meng et al. 2024) as PEFT does it: from W = U·diag(S)·Vᵀ, the top r triplets go to the adapter and
 * the rest stays in the base. With S_r' = S_r / s: A = diag(√S_r')·V_rᵀ, B = U_r·diag(√S_r'), so s·B·A = U_r S_r V_rᵀ,
 * and W' = W − s·B·A (the residual). Same SVD path as LoRA-GA (exact, or randomized with q = r + oversample).
 */
import { DType } from '../dtype';
import { Tensor } from '../tensor';
import { LoraInitResult } from './types';
export interface PiSSAConfig {
    rank: number;
    alpha: number;
    /** Default 'exact' (PEFT's init_lora_weights="pissa"); 'randomized' is PEFT's "pissa_niter_N". */
    svd?: 'exact' | 'randomized';
    seed?: number;
    rsLora?: boolean;
    /** Randomized: columns beyond r (default r; PEFT's pissa_niter_N uses none, i.e. 0). */
    oversample?: number;
    /** Randomized: power iterations (default 4). */
    powerIters?: number;
    /** dtype of A and B (default W's). */
    dtype?: DType;
    precision?: 'f32' | 'f64';
    gapTolerance?: number;
    noReport?: boolean;
}
export declare function initPiSSA(W: Tensor, config: PiSSAConfig): LoraInitResult;
export declare function initPiSSAAsync(W: Tensor, config: PiSSAConfig, options?: {
    signal?: AbortSignal;
}): Promise<LoraInitResult>;
