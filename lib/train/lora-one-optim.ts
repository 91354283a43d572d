/**
 * LoRA-One's preconditioned update (Zhang et al. 2025, after Riemannian-preconditioned LoRA, Zhang & Pilanci 2024):
 *   A ← A − η·(BᵀB + λI)⁻¹·∇A,     B ← B − η·∇B·(AAᵀ + λI)⁻¹
 * both preconditioners from the (A, B) before the step. The r×r systems are solved with `solve` on the tensors'
 * device. LoraOneOptimizer steps the preconditioned gradients with the fused sgdStep (optional decoupled weight decay
 * through its wd term), LoraOneAdamW with AdamW.
 */
import type { LoraOneAdamWOptions, LoraOneOptimOptions, OptimizerGroup } from '../../types/optimizers';
import type { Param } from '../../types/train';
import { Tensor } from '../tensor';
import { LoraValueError } from '../errors';
import { finiteNumber, knownKeys } from '../ops/check';
import { matmul } from '../ops/matmul';
import { solve } from '../ops/solve';
import { sgdStep } from '../ops/optim';
import { scaledEye } from './host';
import { ADAMW_KEYS, AdamW, Optimizer } from './optim';

// Both classes hold every A and B in one group (groups[0]), as the constructors build it.

export function loraOnePrecondition(A: Tensor, B: Tensor, gA: Tensor, gB: Tensor, lambda: number): { pA: Tensor; pB: Tensor } {
  const r = A.shape[0];
  const dt = A.dtype === 'f64' && B.dtype === 'f64' && gA.dtype === 'f64' && gB.dtype === 'f64' ? 'f64' : 'f32';
  const BtB = matmul(B, B, { transA: true, beta: 1, out: scaledEye(r, lambda, dt, B.device) });
  const AAt = matmul(A, A, { transB: true, beta: 1, out: scaledEye(r, lambda, dt, A.device) });
  const pA = solve(BtB, gA.dtype === dt ? gA : gA.to(dt), { inPlace: false });
  // ∇B·M⁻¹ with M symmetric: (M⁻¹)ᵀ = M⁻¹, so one r×r solve against I and a GEMM.
  const pB = matmul(gB, solve(AAt, scaledEye(r, 1, dt, A.device), { inPlace: true }), { dtype: dt });
  return { pA, pB };
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

/** LoRA-One's scaled AdamW (its LLM runs): AdamW whose moments are of the preconditioned gradients. */
export class LoraOneAdamW extends AdamW {
  readonly layers: { A: Param; B: Param }[];
  readonly lambda: number;

  constructor(layers: { A: Param; B: Param }[], o: LoraOneAdamWOptions) {
    knownKeys(o, [...ADAMW_KEYS, 'lambda'], 'LoraOneAdamW');
    const { lambda, ...adamw } = o;
    super(pairs(layers, 'LoraOneAdamW'), adamw);
    this.layers = layers;
    this.lambda = lambdaOf(lambda, 'LoraOneAdamW');
  }

  protected hyper(): Record<string, number | number[] | string> {
    return { ...super.hyper(), lambda: this.lambda };
  }

  step(): void {
    this.stepCount++;
    for (const [p, g] of preconditioned(this.layers, this.lambda)) this.update(p, g, this.groups[0]);
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
