/**
 * LoRA-One init (Zhang, Liu & Chen 2025, "One-step full gradient could suffice for fine-tuning LLMs, provably and
 * efficiently"; github.com/YuanheZ/LoRA-One). From the one-step gradient G of a Linear layer, take the SVD of −G =
 * U·diag(S)·Vᵀ and set, in our layout (B [out, r], A [r, in]):
 *   B₀ = U_r·diag(√S_r) / (√γ·c),   A₀ = diag(√S_r)·V_rᵀ / (√γ·c),   c = √σ₁ if `normalize` (the official code) else 1
 * W is NOT offset: the adapted layer W + s·B₀·A₀ = W − (s/(γ·c²))·[G]_r is itself one best-rank-r gradient step on
 * W with learning rate s/(γ·c²) ([G]_r = G's truncated SVD). The paper's README states it without the σ₁
 * normalisation (lr s/γ); the official code's "LoRA-One" direction divides by √σ₁ — our default, `normalize: true`.
 * The official runs use rsLoRA (s = α/√r), our default too.
 */
import { DType } from '../dtype';
import { Tensor } from '../tensor';
import { LoraInitResult } from './types';
export interface LoraOneConfig {
    rank: number;
    /** lora_alpha: s = α/√r with rsLora (default), α/r without. */
    alpha: number;
    /** γ (the official stable_gamma; default 128, the README's runs). */
    gamma?: number;
    /** Divide A₀ and B₀ by √σ₁ (the official code). Default true. */
    normalize?: boolean;
    /** Default true (the official runs). */
    rsLora?: boolean;
    /** Default 'randomized' (q = 2r + oversample columns, 4 power iterations). */
    svd?: 'exact' | 'randomized';
    seed?: number;
    /** Randomized SVD: columns beyond r (default 3r, so q = 4r). */
    oversample?: number;
    powerIters?: number;
    /** dtype of A and B (default f64 for an f64 G, else f32). */
    dtype?: DType;
    precision?: 'f32' | 'f64';
    gapTolerance?: number;
    noReport?: boolean;
}
/** LoRA-One init of one Linear layer from its gradient G [out, in]: {A, B, W: null, scaling}. */
export declare function initLoraOne(G: Tensor, config: LoraOneConfig): LoraInitResult;
export declare function initLoraOneAsync(G: Tensor, config: LoraOneConfig, options?: {
    signal?: AbortSignal;
}): Promise<LoraInitResult>;
/** The learning rate η of the gradient step the init equals: W + s·B₀·A₀ = W − η·[G]_r. */
export declare function loraOneStepSize(config: {
    alpha: number;
    rank: number;
    gamma?: number;
    rsLora?: boolean;
}, sigma1: number, normalize?: boolean): number;
