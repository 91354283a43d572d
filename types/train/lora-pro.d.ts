/**
 * LoRA-Pro (Wang et al. 2024, "LoRA-Pro: Are Low-Rank Adapters Properly Optimized?"). With W = W₀ + s·B·A, one
 * step on (A, B) moves W by s·(B·gA + gB·A), the "equivalent gradient". LoRA-Pro replaces (gA, gB) by the pair whose
 * equivalent gradient is closest (Frobenius) to the full gradient g, recovered from LoRA's own gradients
 * gAˡ = s·Bᵀg and gBˡ = s·g·Aᵀ (Theorems 2.1–2.2):
 *   gA = (1/s²)·(BᵀB)⁻¹·gAˡ + X·A
 *   gB = (1/s²)·[I − B(BᵀB)⁻¹Bᵀ]·gBˡ·(AAᵀ)⁻¹ − B·X
 * where X (r×r) is free; the paper picks the X closest to LoRA's own gradients, the solution of the Sylvester
 * equation  BᵀB·X + X·AAᵀ = −(1/s²)·(BᵀB)⁻¹·gAˡ·Aᵀ.  Then AdamW on the adjusted gradients (the official
 * "efficient AdamW" variant). BᵀB and AAᵀ get δ·I (δ = 1e-8 as in the official code) so B = 0 at init is fine.
 * All products are GEMMs through the ops; the r×r systems go to `solve`.
 */
import { Tensor } from '../tensor';
import { Param } from './param';
export type LoraProX = 'sylvester' | 'zero' | 'symmetry';
export interface LoraProAdjustOptions {
    /** Ridge added to BᵀB and AAᵀ (default 1e-8). */
    delta?: number;
    /** Choice of the free r×r matrix X (default 'sylvester', the paper's optimum). */
    x?: LoraProX;
}
export interface LoraProAdjusted {
    gA: Tensor;
    gB: Tensor;
    X: Tensor;
}
/** The adjusted gradients for one layer: A [r, in], B [out, r], LoRA's gradients gA [r, in], gB [out, r], scale s. */
export declare function loraProAdjust(A: Tensor, B: Tensor, gA: Tensor, gB: Tensor, s: number, options?: LoraProAdjustOptions): LoraProAdjusted;
export interface LoraProOptions extends LoraProAdjustOptions {
    lr: number;
    betas?: [number, number];
    eps?: number;
    weightDecay?: number;
}
export interface LoraProPair {
    A: Param;
    B: Param;
    scale: number;
}
/** LoRA-Pro's AdamW: each step adjusts every layer's (gA, gB) with loraProAdjust, then takes a fused AdamW step. */
export declare class LoraProAdamW {
    readonly layers: LoraProPair[];
    stepCount: number;
    lr: number;
    private readonly o;
    private readonly state;
    constructor(layers: LoraProPair[], options: LoraProOptions);
    step(): void;
    zeroGrad(): void;
    private update;
}
