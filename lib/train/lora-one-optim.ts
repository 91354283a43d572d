/**
 * LoRA-One's preconditioned update (Zhang et al. 2025, after Riemannian-preconditioned LoRA, Zhang & Pilanci 2024):
 *   A ← A − η·(BᵀB + λI)⁻¹·∇A,     B ← B − η·∇B·(AAᵀ + λI)⁻¹
 * both preconditioners from the (A, B) before the step. The r×r systems are solved with `solve` on the tensors'
 * device; the update itself is the fused sgdStep (optional decoupled weight decay through its wd term).
 */
import type { LoraOneOptimOptions } from '../../types/optimizers';
import type { Param } from '../../types/train';
import { Tensor } from '../tensor';
import { LoraValueError } from '../errors';
import { finiteNumber } from '../ops/check';
import { matmul } from '../ops/matmul';
import { solve } from '../ops/solve';
import { sgdStep } from '../ops/optim';
import { scaledEye } from './host';

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

export class LoraOneOptimizer {
  readonly layers: { A: Param; B: Param }[];
  lr: number;
  readonly lambda: number;
  readonly weightDecay: number;
  stepCount = 0;

  constructor(layers: { A: Param; B: Param }[], o: LoraOneOptimOptions) {
    if (!Array.isArray(layers) || layers.length === 0) throw new LoraValueError('LoraOneOptimizer: expected a non-empty list of layers ({A, B})');
    this.layers = layers;
    this.lr = finiteNumber(o.lr, 'LoraOneOptimizer lr');
    this.lambda = finiteNumber(o.lambda ?? 1e-6, 'LoraOneOptimizer lambda');
    if (this.lambda < 0) throw new LoraValueError(`LoraOneOptimizer lambda must be >= 0, got ${this.lambda}`);
    this.weightDecay = finiteNumber(o.weightDecay ?? 0, 'LoraOneOptimizer weightDecay');
  }

  step(): void {
    this.stepCount++;
    for (const l of this.layers) {
      if (!l.A.grad || !l.B.grad) continue;
      const { pA, pB } = loraOnePrecondition(l.A.value, l.B.value, l.A.grad, l.B.grad, this.lambda);
      sgdStep(l.A.value, pA, null, { lr: this.lr, weightDecay: this.weightDecay });
      sgdStep(l.B.value, pB, null, { lr: this.lr, weightDecay: this.weightDecay });
    }
  }

  zeroGrad(): void {
    for (const l of this.layers) { l.A.grad = null; l.B.grad = null; }
  }
}
