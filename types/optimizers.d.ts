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

/** A parameter group as an optimizer holds it: the rates and weight decay resolved. */
export interface OptimizerGroup {
  /** The params of the group. */
  params: Param[];
  /** The rate the next step uses (a schedule sets it to baseLr × its factor). */
  lr: number;
  /** The group's own base rate (its lr at construction): what schedules and setLr scale. */
  baseLr: number;
  /** Decoupled weight decay. */
  weightDecay: number;
}

/**
 * An optimizer's state as stateDict() gives it and loadStateDict() takes it (as torch's optimizer state_dict):
 * tensors keyed `<param index>.<name>` (params numbered in group order; AdamW: m, v; SGD: buf), the rest plain
 * JSON. saveCheckpoint writes it.
 */
export interface OptimizerState {
  /** The optimizer's class name; loadStateDict refuses another kind's state. */
  kind: string;
  /** Steps taken (AdamW's bias correction uses it). */
  stepCount: number;
  /** Per group: rates, weight decay and how many params it has. */
  groups: { lr: number; baseLr: number; weightDecay: number; params: number }[];
  /** Hyperparameters that must match to load (betas, eps, momentum, lambda, …). */
  hyper: Record<string, number | number[] | string>;
  /** The state tensors (shared with the optimizer, not copies: save or clone them before the next step). */
  state: Record<string, Tensor>;
}

/**
 * The optimizer interface every optimizer implements (SGD, AdamW, LoRA+, LoraProAdamW, LoraOneOptimizer,
 * LoraOneAdamW) and its base class: parameter groups each with its own base rate, per-group lr, clipping by the
 * global gradient norm, the step loop and state dicts. A subclass implements update().
 */
export declare abstract class Optimizer {
  readonly groups: OptimizerGroup[];
  /** Steps taken so far. */
  stepCount: number;
  /** Per-param state tensors by name (AdamW: m, v; SGD: buf), what stateDict() saves. */
  protected readonly state: Map<Param, Record<string, Tensor>>;
  /** `params`: Params (one group) or ParamGroups; `lr` and `weightDecay` are the defaults of groups without their own. */
  protected constructor(params: Param[] | ParamGroup[], lr: number, weightDecay: number);
  /** Every param, in group order (the numbering of stateDict's keys). */
  get params(): Param[];
  /** Every group's lr ← its baseLr × factor (what a schedule does each step, as PyTorch's LambdaLR). */
  setLrScale(factor: number): void;
  /** The first group's lr ← lr and every other group's lr ← its baseLr × lr / groups[0].baseLr (keeps LoRA+'s ratio). */
  setLr(lr: number): void;
  /**
   * Scales every gradient in place so that their global L2 norm is at most maxNorm (torch's clip_grad_norm_:
   * factor maxNorm/(norm + 1e-6), applied when below 1) and returns the norm before clipping. A NaN/Inf norm is
   * returned with the gradients left as they are: check it and skip the step.
   */
  clipGradNorm(maxNorm: number): number;
  /** Applies one update to every param that has a gradient. */
  step(): void;
  /** Sets every param's grad to null. */
  zeroGrad(): void;
  /** The state: rates, step count, hyperparameters and the moment tensors (not copies). */
  stateDict(): OptimizerState;
  /** Restores a state from stateDict() (tensors copied in); refuses another kind, group layout or hyperparameters. */
  loadStateDict(state: OptimizerState): void;
  /** The hyperparameters a state must have been saved with. */
  protected hyper(): Record<string, number | number[] | string>;
  /** The shape of p's state tensor `name` (p's own unless the optimizer keeps state of another shape). */
  protected stateShape(p: Param, name: string): readonly number[];
  /** The state tensors of `p` named `names`, zero-filled (f32, f64 for an f64 param, on its device; shape from stateShape) on first use. */
  protected slots(p: Param, names: string[]): Record<string, Tensor>;
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
  protected hyper(): Record<string, number>;
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
  protected hyper(): Record<string, number | number[] | string>;
  protected update(p: Param, grad: Tensor, g: OptimizerGroup): void;
}

/** Options of loraPlus. */
export interface LoraPlusOptions extends AdamWOptions {
  /** lr_B / lr_A (the LoRA+ paper recommends 16 for most tasks). */
  ratio?: number;
}

/** LoRA+: AdamW with two groups, base rate lr for every A and lr·ratio for every B (a schedule keeps the ratio). */
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

/**
 * LoRA-Pro's optimizer: 'full' (the official repository's: Adam moments of the m×n equivalent gradient, the Adam
 * direction adjusted back to A and B, an SGD step with weight decay on A and B) or 'efficient' (AdamW whose
 * moments are of the adjusted A and B gradients).
 */
export type LoraProVariant = 'full' | 'efficient';

/** Options of LoraProAdamW. */
export interface LoraProOptions extends LoraProAdjustOptions {
  lr: number;
  /** Default 'full'. */
  variant?: LoraProVariant;
  /** Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Default 0. 'full': A ← A − lr·(gA + wd·A) (the official's SGD step), B likewise; 'efficient': AdamW's decoupled decay. */
  weightDecay?: number;
}

/** One LoRA layer for LoraProAdamW: its A, B and scale s. */
export interface LoraProPair {
  A: Param;
  B: Param;
  scale: number;
}

/**
 * LoRA-Pro's optimizer over every A and B (one group). 'full' (default, the official repository's): per layer,
 * the equivalent gradient E = s·(B·gA⁰ + gB⁰·A) of loraProAdjust's gradients, Adam moments of E ([out, in], state
 * `wm`/`wv` under the layer's A), D = m̂/(√v̂ + ε), then loraProAdjust of D's LoRA gradients (s·BᵀD, s·D·Aᵀ) and
 * A ← A − lr·(ĝA + wd·A), B likewise. 'efficient': AdamW on loraProAdjust's gradients. Clipping acts on LoRA's own
 * gradients, before the adjustment.
 */
export declare class LoraProAdamW extends AdamW {
  readonly layers: LoraProPair[];
  readonly variant: LoraProVariant;
  constructor(layers: LoraProPair[], options: LoraProOptions);
  protected hyper(): Record<string, number | number[] | string>;
  protected stateShape(p: Param, name: string): readonly number[];
  /** One step on every layer that has both gradients. */
  step(): void;
}

/**
 * Solves the Sylvester equation P·X + X·Q = C for r×r P, Q, C in float64: symmetric P and Q by diagonalisation
 * (any r), others by the r²×r² vectorised form (r ≤ 48). X is f32 (f64 for an f64 C) on C's device.
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
 * LoRA-One's preconditioned update (after Riemannian-preconditioned LoRA, Zhang & Pilanci 2024), one group of every
 * A and B:
 *   A ← A − η·(BᵀB + λI)⁻¹·∇A,     B ← B − η·∇B·(AAᵀ + λI)⁻¹
 * both preconditioners from the (A, B) before the step.
 */
export declare class LoraOneOptimizer extends Optimizer {
  readonly layers: { A: Param; B: Param }[];
  readonly lambda: number;
  constructor(layers: { A: Param; B: Param }[], o: LoraOneOptimOptions);
  protected hyper(): Record<string, number>;
  /** One step on every layer that has both gradients. */
  step(): void;
  protected update(p: Param, grad: Tensor, g: OptimizerGroup): void;
}

/**
 * LoraOneAdamW's update: 'scaled-adamw' (Zhang & Pilanci's Scaled AdamW, which LoRA-One's repository names as its
 * preconditioners' source) or 'adamw' (torch's AdamW on both preconditioned gradients from the pre-step A, B).
 */
export type LoraOneAdamWVariant = 'scaled-adamw' | 'adamw';

/** Options of LoraOneAdamW. */
export interface LoraOneAdamWOptions extends AdamWOptions {
  /** Ridge λ of both preconditioners (default 1e-6). */
  lambda?: number;
  /** Default 'scaled-adamw'. */
  variant?: LoraOneAdamWVariant;
  /** Adam's bias correction; default false for 'scaled-adamw' (as its runs), true for 'adamw'. */
  biasCorrection?: boolean;
}

/**
 * LoRA-One's scaled AdamW (its LLM runs), one group of every A and B. 'scaled-adamw' (default), per layer: A first —
 * Adam moments of (BᵀB + λI)⁻¹·∇A, A ← A − lr·m̂/(√v̂ + ε), then A ← (1 − lr·wd)·A — then B the same way with
 * ∇B·(AAᵀ + λI)⁻¹ from the A just updated. 'adamw': AdamW (decay before the step) on both preconditioned
 * gradients from the pre-step (A, B).
 */
export declare class LoraOneAdamW extends AdamW {
  readonly layers: { A: Param; B: Param }[];
  readonly lambda: number;
  readonly variant: LoraOneAdamWVariant;
  readonly biasCorrection: boolean;
  constructor(layers: { A: Param; B: Param }[], o: LoraOneAdamWOptions);
  protected hyper(): Record<string, number | number[] | string>;
  /** One step on every layer that has both gradients. */
  step(): void;
}

/** Options of LrSchedule (unknown names are errors). */
export interface LrScheduleOptions {
  /**
   * 'constant' (1 after warmup), 'linear' (warmup, then linear decay to 0 at totalSteps) or 'cosine' (warmup, then
   * half a cosine to 0 at totalSteps): Hugging Face's get_constant_schedule_with_warmup,
   * get_linear_schedule_with_warmup and get_cosine_schedule_with_warmup.
   */
  kind: 'constant' | 'linear' | 'cosine';
  /** Steps of linear warmup from 0 (default 0). */
  warmupSteps?: number;
  /** Total optimizer steps (required for 'linear' and 'cosine'). */
  totalSteps?: number;
  /** Cosine only: cosine cycles over the decay (default 0.5, i.e. from 1 down to 0). */
  numCycles?: number;
}

/** What LrSchedule.stateDict() gives: its options and the steps taken. */
export interface LrScheduleState extends Required<LrScheduleOptions> {
  lastStep: number;
}

/**
 * A learning-rate schedule as PyTorch's LambdaLR applies it: after `t` calls of step(), every group of the optimizer
 * runs at its own baseLr × factor(t) (so LoRA+'s B/A ratio holds). Construction sets factor(0); call step() after
 * each optimizer.step(). The factors are the same doubles as Hugging Face transformers' schedules for the same
 * arguments.
 */
export declare class LrSchedule {
  readonly optimizer: Optimizer;
  /** The options with their defaults. */
  readonly options: Readonly<Required<LrScheduleOptions>>;
  constructor(optimizer: Optimizer, options: LrScheduleOptions);
  /** step() calls so far. */
  get lastStep(): number;
  /** The multiplier of the base rates at step t (HF's lr_lambda(t)). */
  factor(step: number): number;
  /** Advances one step and sets every group's lr to baseLr × factor(lastStep). */
  step(): void;
  /** Every group's current lr. */
  lrs(): number[];
  stateDict(): LrScheduleState;
  /** Restores lastStep (and the rates); refuses a state of other options. */
  loadStateDict(state: LrScheduleState): void;
}
