/*
 * Optimizers over Params (LoRA's A and B, or any f32/f64 weight), each step one fused native pass per tensor:
 * SGD (momentum, weight decay), AdamW (decoupled weight decay, bias correction), LoRA+ (AdamW whose B matrices get
 * lr·ratio; Hayou et al. 2024), LoRA-Pro's AdamW on adjusted gradients, and LoRA-One's preconditioned step.
 */
import type { Tensor } from './tensor';
import type { Param } from './train';

/** Params with their own lr / weightDecay. */
export interface ParamGroup {
  /** The params of the group. */
  params: Param[];
  /** Overrides the optimizer's lr for this group. */
  lr?: number;
  /** Overrides the optimizer's weight decay for this group. */
  weightDecay?: number;
}

/** A parameter group as an optimizer holds it: the lr and weight decay resolved. */
export interface OptimizerGroup {
  /** The params of the group. */
  params: Param[];
  /** Learning rate (setLr changes it). */
  lr: number;
  /** Decoupled weight decay. */
  weightDecay: number;
}

/** The base of SGD and AdamW: parameter groups and the step loop; a subclass implements update(). */
export declare abstract class Optimizer {
  readonly groups: OptimizerGroup[];
  /** Steps taken so far. */
  stepCount: number;
  protected constructor(params: Param[] | ParamGroup[], lr: number, weightDecay: number);
  /** Sets the first group's lr to `lr` and the others in proportion (keeps e.g. LoRA+'s B/A ratio). */
  setLr(lr: number): void;
  /** Applies one update to every param that has a gradient. */
  step(): void;
  /** Sets every param's grad to null. */
  zeroGrad(): void;
  /** Updates one param in place from its gradient. */
  protected abstract update(p: Param, grad: Tensor, g: OptimizerGroup): void;
}

/** Options of SGD. */
export interface SgdOptions {
  lr: number;
  /** Default 0. */
  momentum?: number;
  /** Default 0. */
  weightDecay?: number;
}

/** SGD with momentum (torch semantics: the first step's buffer is the gradient) and weight decay. */
export declare class SGD extends Optimizer {
  readonly momentum: number;
  constructor(params: Param[] | ParamGroup[], o: SgdOptions);
  protected update(p: Param, grad: Tensor, g: OptimizerGroup): void;
}

/** Options of AdamW. */
export interface AdamWOptions {
  lr: number;
  /** Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay. Default 0. */
  weightDecay?: number;
}

/** AdamW (decoupled weight decay, bias correction); moments in f32 (f64 for f64 params) on the param's device. */
export declare class AdamW extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  constructor(params: Param[] | ParamGroup[], o: AdamWOptions);
  protected update(p: Param, grad: Tensor, g: OptimizerGroup): void;
}

/** Options of loraPlus. */
export interface LoraPlusOptions extends AdamWOptions {
  /** lr_B / lr_A (the LoRA+ paper recommends 16 for most tasks). */
  ratio?: number;
}

/** LoRA+: AdamW with lr for every A and lr·ratio for every B. */
export declare function loraPlus(layers: { A: Param; B: Param }[], o: LoraPlusOptions): AdamW;

/** LoRA-Pro's choice of the free r×r matrix X: the paper's Sylvester optimum, zero, or the official "symmetry". */
export type LoraProX = 'sylvester' | 'zero' | 'symmetry';

/** Options of loraProAdjust. */
export interface LoraProAdjustOptions {
  /** Ridge added to BᵀB and AAᵀ (default 1e-8). */
  delta?: number;
  /** Choice of the free r×r matrix X (default 'sylvester', the paper's optimum). */
  x?: LoraProX;
}

/** The adjusted gradients (like A and B) and the X chosen. */
export interface LoraProAdjusted {
  gA: Tensor;
  gB: Tensor;
  X: Tensor;
}

/**
 * LoRA-Pro (Wang et al. 2024): the adjusted gradients for one layer — the pair whose equivalent gradient
 * s·(B·gA + gB·A) is closest to the full gradient recovered from LoRA's own gradients:
 *   gA = (1/s²)·(BᵀB)⁻¹·gAˡ + X·A,   gB = (1/s²)·[I − B(BᵀB)⁻¹Bᵀ]·gBˡ·(AAᵀ)⁻¹ − B·X
 * for A [r, in], B [out, r], LoRA's gradients gA [r, in], gB [out, r] and scale s.
 */
export declare function loraProAdjust(A: Tensor, B: Tensor, gA: Tensor, gB: Tensor, s: number, options?: LoraProAdjustOptions): LoraProAdjusted;

/** Options of LoraProAdamW. */
export interface LoraProOptions extends LoraProAdjustOptions {
  lr: number;
  /** Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Default 0. */
  weightDecay?: number;
}

/** One LoRA layer for LoraProAdamW: its A, B and scale s. */
export interface LoraProPair {
  A: Param;
  B: Param;
  scale: number;
}

/** LoRA-Pro's AdamW: each step adjusts every layer's (gA, gB) with loraProAdjust, then takes a fused AdamW step. */
export declare class LoraProAdamW {
  readonly layers: LoraProPair[];
  /** Steps taken so far. */
  stepCount: number;
  lr: number;
  constructor(layers: LoraProPair[], options: LoraProOptions);
  /** One step on every layer that has both gradients. */
  step(): void;
  /** Sets every A.grad and B.grad to null. */
  zeroGrad(): void;
}

/**
 * Solves the Sylvester equation P·X + X·Q = C for r×r P, Q, C (in float64, by its r²×r² vectorised form; r ≤ 48).
 * X is f32 (f64 for an f64 C) on C's device.
 */
export declare function solveSylvester(P: Tensor, Q: Tensor, C: Tensor): Tensor;

/** Options of LoraOneOptimizer. */
export interface LoraOneOptimOptions {
  lr: number;
  /** Ridge λ of both preconditioners (the official code's prec_reg; default 1e-6). */
  lambda?: number;
  /** Decoupled weight decay. Default 0. */
  weightDecay?: number;
}

/** The preconditioned gradients (BᵀB + λI)⁻¹·∇A and ∇B·(AAᵀ + λI)⁻¹ for one layer. */
export declare function loraOnePrecondition(A: Tensor, B: Tensor, gA: Tensor, gB: Tensor, lambda: number): { pA: Tensor; pB: Tensor };

/**
 * LoRA-One's preconditioned update (after Riemannian-preconditioned LoRA, Zhang & Pilanci 2024):
 *   A ← A − η·(BᵀB + λI)⁻¹·∇A,     B ← B − η·∇B·(AAᵀ + λI)⁻¹
 * both preconditioners from the (A, B) before the step.
 */
export declare class LoraOneOptimizer {
  readonly layers: { A: Param; B: Param }[];
  lr: number;
  readonly lambda: number;
  readonly weightDecay: number;
  /** Steps taken so far. */
  stepCount: number;
  constructor(layers: { A: Param; B: Param }[], o: LoraOneOptimOptions);
  /** One step on every layer that has both gradients. */
  step(): void;
  /** Sets every A.grad and B.grad to null. */
  zeroGrad(): void;
}
