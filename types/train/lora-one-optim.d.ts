/**
 * LoRA-One's preconditioned update (Zhang et al. 2025, after Riemannian-preconditioned LoRA, Zhang & Pilanci 2024):
 *   A ← A − η·(BᵀB + λI)⁻¹·∇A,     B ← B − η·∇B·(AAᵀ + λI)⁻¹
 * both preconditioners from the (A, B) before the step. The r×r systems are solved with `solve` on the tensors'
 * device; the update itself is the fused sgdStep (optional decoupled weight decay through its wd term).
 */
import { Tensor } from '../tensor';
import { Param } from './param';
export interface LoraOneOptimOptions {
    lr: number;
    /** Ridge λ of both preconditioners (the official code's prec_reg; default 1e-6). */
    lambda?: number;
    weightDecay?: number;
}
/** The preconditioned gradients (BᵀB + λI)⁻¹·∇A and ∇B·(AAᵀ + λI)⁻¹ for one layer. */
export declare function loraOnePrecondition(A: Tensor, B: Tensor, gA: Tensor, gB: Tensor, lambda: number): {
    pA: Tensor;
    pB: Tensor;
};
export declare class LoraOneOptimizer {
    readonly layers: {
        A: Param;
        B: Param;
    }[];
    lr: number;
    readonly lambda: number;
    readonly weightDecay: number;
    stepCount: number;
    constructor(layers: {
        A: Param;
        B: Param;
    }[], o: LoraOneOptimOptions);
    step(): void;
    zeroGrad(): void;
}
