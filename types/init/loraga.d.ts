/**
 * LoRA-GA init (Wang et al. 2024, "LoRA-GA: Low-Rank Adaptation with Gradient Approximation"): from the one-step
 * gradient G = ∂L/∂W ([out, in]) of a Linear layer, A and B are chosen from the top 2r singular directions of
 * G = U·diag(S)·Vᵀ so that the first LoRA step approximates a full fine-tuning step; W is offset by s·B·A so the
 * adapted layer's output is unchanged at step 0.
 *
 * Two conventions (see README "LoRA-GA conventions"):
 *  - 'peft'     (Hugging Face PEFT 0.21): B carries diag(S) of its directions; 'stable' scales B only by out^¼/√γ;
 *               'random' draws one index set of r from the top 2r and uses it for both A and B.
 *  - 'official' (github.com/Outsider565/LoRA-GA): no diag(S); 'stable' scales A and B by out^¼/√γ;
 *               'random' draws disjoint index sets for A and B from a permutation of the top 2r.
 */
import { DType } from '../dtype';
import { Tensor } from '../tensor';
import { LoraInitResult } from './types';
export type LoraGADirection = 'ArBr' | 'A2rBr' | 'ArB2r' | 'random';
export type LoraGAScale = 'gd' | 'gd_scale' | 'unit' | 'stable' | 'weightS';
export type LoraGAConvention = 'peft' | 'official';
export declare const LORAGA_DIRECTIONS: readonly LoraGADirection[];
export declare const LORAGA_SCALES: readonly LoraGAScale[];
export interface LoraGAConfig {
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
    /** Default 'randomized' with q = 4r columns and 4 power iterations, as PEFT's torch.svd_lowrank call. */
    svd?: 'exact' | 'randomized';
    /** Seed of the randomized SVD's test matrix and of the 'random' direction. Default 0. */
    seed?: number;
    rsLora?: boolean;
    /** Randomized SVD: columns beyond 2r (default 2r, so q = 4r). */
    oversample?: number;
    /** Randomized SVD: power iterations (default 4). */
    powerIters?: number;
    /** dtype of A and B (default: W's dtype, as PEFT casts them to the base layer's dtype). */
    dtype?: DType;
    /** SVD precision (default 'f32'; 'f64' for a float64 reference). */
    precision?: 'f32' | 'f64';
    /** Relative singular-value gap below which the report warns (default 1e-3). */
    gapTolerance?: number;
    /** Skip the spectral report (saves, for randomized SVD, two GEMMs of the residual check). Default false. */
    noReport?: boolean;
}
export interface ResolvedLoraGAConfig {
    rank: number;
    alpha: number;
    direction: LoraGADirection;
    scale: LoraGAScale;
    gamma: number;
    convention: LoraGAConvention;
    svd: 'exact' | 'randomized';
    seed: number;
    rsLora: boolean;
    oversample: number;
    powerIters: number;
    precision: 'f32' | 'f64';
    gapTolerance: number;
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
