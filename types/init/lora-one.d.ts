import { Tensor } from '../tensor';
import { InitSvdOptions, LoraInitResult } from './types';
/**
 * SVD defaults (InitSvdOptions): 'randomized' with oversample 3r beyond the r directions (q = 4r) and 4 power
 * iterations; dtype of A and B defaults to f64 for an f64 G, else f32.
 */
export interface LoraOneConfig extends InitSvdOptions {
    rank: number;
    /** lora_alpha: s = α/√r with rsLora (default), α/r without. */
    alpha: number;
    /** γ (the official stable_gamma; default 128, the README's runs). */
    gamma?: number;
    /** Divide A₀ and B₀ by √σ₁ (the official code). Default true. */
    normalize?: boolean;
    /** Default true (the official runs). */
    rsLora?: boolean;
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
