import { Tensor } from '../tensor';
import { InitSvdOptions, LoraInitResult, ResolvedSvdOptions } from './types';
export type LoraGADirection = 'ArBr' | 'A2rBr' | 'ArB2r' | 'random';
export type LoraGAScale = 'gd' | 'gd_scale' | 'unit' | 'stable' | 'weightS';
export type LoraGAConvention = 'peft' | 'official';
export declare const LORAGA_DIRECTIONS: readonly LoraGADirection[];
export declare const LORAGA_SCALES: readonly LoraGAScale[];
/**
 * SVD defaults (InitSvdOptions): 'randomized' with q = 4r columns (oversample 2r beyond the 2r directions) and 4 power
 * iterations, as PEFT's torch.svd_lowrank call; dtype of A and B defaults to W's, as PEFT casts them to the base
 * layer's dtype; noReport saves, for randomized SVD, the two GEMMs of the residual check.
 */
export interface LoraGAConfig extends InitSvdOptions {
    rank: number;
    /** lora_alpha: s = α/r (α/√r with rsLora). */
    alpha: number;
    /** Default 'ArB2r' (PEFT's LoraGAConfig default). */
    direction?: LoraGADirection;
    /** Default 'stable'. 'gd' and 'gd_scale' are the same (A/s, B/s): the official repo's and PEFT's names. */
    scale?: LoraGAScale;
    /** stable_gamma γ, default 16. */
    gamma?: number;
    /** Default 'peft'. */
    convention?: LoraGAConvention;
    rsLora?: boolean;
}
export interface ResolvedLoraGAConfig extends ResolvedSvdOptions {
    rank: number;
    alpha: number;
    direction: LoraGADirection;
    scale: LoraGAScale;
    gamma: number;
    convention: LoraGAConvention;
    rsLora: boolean;
}
/** Fills defaults and validates (throws LoraValueError naming the bad field). */
export declare function resolveLoraGAConfig(config: LoraGAConfig): ResolvedLoraGAConfig;
/** Which of the top 2r directions go to A (rows of Vᵀ) and to B (columns of U). */
export declare function loraGAIndices(direction: LoraGADirection, r: number, convention: LoraGAConvention, seed: number): {
    a: number[];
    b: number[];
};
/** LoRA-GA init of one Linear layer: W [out, in] (f32/bf16/f16/f64) and its gradient G [out, in]. */
export declare function initLoraGA(W: Tensor, G: Tensor, config: LoraGAConfig): LoraInitResult;
/** As initLoraGA, with the SVD and GEMMs off the main thread; `signal` cancels between steps (LoraAbortError). */
export declare function initLoraGAAsync(W: Tensor, G: Tensor, config: LoraGAConfig, options?: {
    signal?: AbortSignal;
}): Promise<LoraInitResult>;
