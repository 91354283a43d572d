/**
 * LoRA-One's preconditioned update (Zhang et al. 2025, after Riemannian-preconditioned LoRA, Zhang & Pilanci 2024):
 *   A ← A − η·(BᵀB + λI)⁻¹·∇A,     B ← B − η·∇B·(AAᵀ + λI)⁻¹
 * both preconditioners from the (A, B) before the step. The r×r systems are solved with `solve` on the tensors'
 * device. LoraOneOptimizer steps the preconditioned gradients with the fused sgdStep (optional decoupled weight decay
 * through its wd term): the update of Zhang & Pilanci's scaled GD (their SGDr).
 *
 * LoraOneAdamW is LoRA-One's scaled AdamW. LoRA-One's repository runs its LLM experiments with preconditioners it
 * says are "modified from Scaled-Adam" (Zhang & Pilanci's Riemannian_Preconditioned_LoRA, class AdamWr) and has not
 * released that code, so variant 'scaled-adamw' (the default) is AdamWr's update as the Hugging Face Trainer builds
 * it: per layer, A first — Adam moments of (BᵀB + λI)⁻¹∇A, A ← A − lr·m/(√v + ε), then A ← (1 − lr·wd)·A — then B
 * with ∇B·(AAᵀ + λI)⁻¹ from the A just updated, the same way. No bias correction: AdamWr's correct_bias defaults to
 * off and the Trainer passes only lr, betas and eps. Variant 'adamw' is torch's AdamW (bias correction, decay
 * before the step) on both preconditioned gradients from the pre-step (A, B).
 */
import type { LoraOneAdamWOptions, LoraOneAdamWVariant, LoraOneOptimOptions, OptimizerGroup } from '../../types/optimizers';
import type { Param } from '../../types/train';
import { Tensor } from '../tensor';
import { computeDType } from '../dtype';
import { LoraValueError } from '../errors';
import { finiteNumber, knownKeys } from '../ops/check';
import { matmul } from '../ops/matmul';
import { solve } from '../ops/solve';
import { adamwStep, sgdStep } from '../ops/optim';
import { scaleInPlace, scaledEye } from './host';
import { ADAMW_KEYS, AdamW, Optimizer } from './optim';
import { str } from '../show';

// Both classes hold every A and B in one group (groups[0]), as the constructors build it.

export function loraOnePrecondition(A: Tensor, B: Tensor, gA: Tensor, gB: Tensor, lambda: number): { pA: Tensor; pB: Tensor } {
  const dt = computeDType(A.dtype, B.dtype, gA.dtype, gB.dtype);
  return { pA: preconditionA(B, gA, lambda, dt), pB: preconditionB(A, gB, lambda, dt) };
}

/** (BᵀB + λI)⁻¹·∇A in dt (f64 only when A, B and both gradients are). */
function preconditionA(B: Tensor, gA: Tensor, lambda: number, dt: 'f32' | 'f64'): Tensor {
  const BtB = matmul(B, B, { transA: true, beta: 1, out: scaledEye(B.shape[1], lambda, dt, B.device) });
  const pA = solve(BtB, gA.dtype === dt ? gA : gA.to(dt));
  BtB.dispose();
  return pA;
}

/** ∇B·(AAᵀ + λI)⁻¹ in dt. M = AAᵀ + λI is symmetric, (M⁻¹)ᵀ = M⁻¹: one r×r solve against I and a GEMM. */
function preconditionB(A: Tensor, gB: Tensor, lambda: number, dt: 'f32' | 'f64'): Tensor {
  const AAt = matmul(A, A, { transB: true, beta: 1, out: scaledEye(A.shape[0], lambda, dt, A.device) });
  const inv = solve(AAt, scaledEye(A.shape[0], 1, dt, A.device), { inPlace: true });
  const pB = matmul(gB, inv);  // computeDType(gB, inv) is dt: f64 only when gB (and so dt) is
  AAt.dispose(); inv.dispose();
  return pB;
}

function lambdaOf(x: unknown, what: string): number {
  const l = finiteNumber(x ?? 1e-6, `${what} lambda`);
  if (l < 0) throw new LoraValueError(`${what} lambda must be >= 0, got ${l}`);
  return l;
}

function pairs(layers: { A: Param; B: Param }[], what: string): Param[] {
  if (!Array.isArray(layers) || layers.length === 0) throw new LoraValueError(`${what}: expected a non-empty list of layers ({A, B})`);
  return layers.flatMap((l) => [l.A, l.B]);
}

/** Preconditioned gradient descent (the fused sgdStep on the preconditioned gradients, decoupled weight decay). */
export class LoraOneOptimizer extends Optimizer {
  readonly layers: { A: Param; B: Param }[];
  readonly lambda: number;

  constructor(layers: { A: Param; B: Param }[], o: LoraOneOptimOptions) {
    knownKeys(o, ['lr', 'lambda', 'weightDecay'], 'LoraOneOptimizer');
    super(pairs(layers, 'LoraOneOptimizer'), o.lr, o.weightDecay ?? 0);
    this.layers = layers;
    this.lambda = lambdaOf(o.lambda, 'LoraOneOptimizer');
  }

  protected hyper(): Record<string, number> {
    return { lambda: this.lambda };
  }

  step(): void {
    this.stepCount++;
    for (const [p, g] of preconditioned(this.layers, this.lambda)) this.update(p, g, this.groups[0]);
  }

  protected update(p: Param, grad: Tensor, g: OptimizerGroup): void {
    sgdStep(p.value, grad, null, { lr: g.lr, weightDecay: g.weightDecay });
  }
}

/** AdamW's step count that makes both bias corrections exactly 1 (βᵗ underflows to 0): Adam without correction. */
const NO_BIAS_CORRECTION = Number.MAX_SAFE_INTEGER;

/** LoRA-One's scaled AdamW (its LLM runs): Adam on the preconditioned gradients; see the file comment. */
export class LoraOneAdamW extends AdamW {
  readonly layers: { A: Param; B: Param }[];
  readonly lambda: number;
  readonly variant: LoraOneAdamWVariant;
  readonly biasCorrection: boolean;

  constructor(layers: { A: Param; B: Param }[], o: LoraOneAdamWOptions) {
    knownKeys(o, [...ADAMW_KEYS, 'lambda', 'variant', 'biasCorrection'], 'LoraOneAdamW');
    const { lambda, variant, biasCorrection, ...adamw } = o;
    super(pairs(layers, 'LoraOneAdamW'), adamw);
    this.layers = layers;
    this.lambda = lambdaOf(lambda, 'LoraOneAdamW');
    if (variant !== undefined && variant !== 'scaled-adamw' && variant !== 'adamw')
      throw new LoraValueError(`LoraOneAdamW: variant must be 'scaled-adamw' or 'adamw', got ${str(variant)}`);
    this.variant = variant ?? 'scaled-adamw';
    if (biasCorrection !== undefined && typeof biasCorrection !== 'boolean') throw new LoraValueError(`LoraOneAdamW: biasCorrection must be a boolean, got ${str(biasCorrection)}`);
    this.biasCorrection = biasCorrection ?? this.variant === 'adamw';
    if (!this.biasCorrection && this.betas.some((b) => Math.pow(b, NO_BIAS_CORRECTION) !== 0))
      throw new LoraValueError(`LoraOneAdamW: biasCorrection: false needs betas below 1 − 1e-14, got [${this.betas.join(', ')}]`);
  }

  protected hyper(): Record<string, number | number[] | string> {
    return { ...super.hyper(), lambda: this.lambda, variant: this.variant, biasCorrection: String(this.biasCorrection) };
  }

  step(): void {
    this.stepCount++;
    const g = this.groups[0];
    if (this.variant === 'adamw') {
      for (const [p, pg] of preconditioned(this.layers, this.lambda)) this.update(p, pg, g);
      return;
    }
    for (const l of this.layers) {
      if (!l.A.grad || !l.B.grad) continue;
      const dt = computeDType(l.A.value.dtype, l.B.value.dtype, l.A.grad.dtype, l.B.grad.dtype);
      const pA = preconditionA(l.B.value, l.A.grad, this.lambda, dt);
      this.scaledStep(l.A, pA, g);
      pA.dispose();
      // B's preconditioner from the A just stepped (AdamWr reads A's storage after its in-place update).
      const pB = preconditionB(l.A.value, l.B.grad, this.lambda, dt);
      this.scaledStep(l.B, pB, g);
      pB.dispose();
    }
  }

  /** Adam (bias correction as configured) without decay, then p ← (1 − lr·wd)·p: AdamWr's order. */
  private scaledStep(p: Param, grad: Tensor, g: OptimizerGroup): void {
    const { m, v } = this.slots(p, ['m', 'v']);
    adamwStep(p.value, grad, m, v, {
      lr: g.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, weightDecay: 0,
      step: this.biasCorrection ? this.stepCount : NO_BIAS_CORRECTION,
    });
    if (g.weightDecay !== 0) scaleInPlace(p.value, 1 - g.lr * g.weightDecay);
  }

  protected update(p: Param, grad: Tensor, g: OptimizerGroup): void {
    const { m, v } = this.slots(p, ['m', 'v']);
    adamwStep(p.value, grad, m, v, {
      lr: g.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, weightDecay: g.weightDecay,
      step: this.biasCorrection ? this.stepCount : NO_BIAS_CORRECTION,
    });
  }
}

/** Each param of each layer with both gradients and its preconditioned gradient, both from the pre-step (A, B). */
function* preconditioned(layers: { A: Param; B: Param }[], lambda: number): Generator<[Param, Tensor]> {
  for (const l of layers) {
    if (!l.A.grad || !l.B.grad) continue;
    const { pA, pB } = loraOnePrecondition(l.A.value, l.B.value, l.A.grad, l.B.grad, lambda);
    yield [l.A, pA];
    yield [l.B, pB];
    pA.dispose(); pB.dispose();
  }
}
