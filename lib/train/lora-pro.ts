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
import type { LoraProAdjustOptions, LoraProAdjusted, LoraProOptions, LoraProPair } from '../../types/optimizers';
import { Tensor } from '../tensor';
import { LoraShapeError, LoraValueError } from '../errors';
import { finiteNumber, fmt, knownKeys, matrix } from '../ops/check';
import { matmul } from '../ops/matmul';
import { solve } from '../ops/solve';
import { scaledEye } from './host';
import { solveSylvester } from './sylvester';
import { ADAMW_KEYS, AdamW } from './optim';

export function loraProAdjust(A: Tensor, B: Tensor, gA: Tensor, gB: Tensor, s: number, options: LoraProAdjustOptions = {}): LoraProAdjusted {
  matrix(A, 'loraProAdjust A', ['f32', 'f64']);
  matrix(B, 'loraProAdjust B', ['f32', 'f64']);
  matrix(gA, 'loraProAdjust gA');
  matrix(gB, 'loraProAdjust gB');
  const r = A.shape[0];
  if (B.shape[1] !== r || gA.shape[0] !== r || gA.shape[1] !== A.shape[1] || gB.shape[0] !== B.shape[0] || gB.shape[1] !== r)
    throw new LoraShapeError(`loraProAdjust: A ${fmt(A)}, B ${fmt(B)}, gA ${fmt(gA)}, gB ${fmt(gB)}: need A [r, in], B [out, r], gA like A, gB like B`);
  finiteNumber(s, 'loraProAdjust s');
  if (s === 0) throw new LoraValueError('loraProAdjust: scale s must be non-zero');
  const delta = finiteNumber(options.delta ?? 1e-8, 'loraProAdjust delta');
  const mode = options.x ?? 'sylvester';
  if (!['sylvester', 'zero', 'symmetry'].includes(mode)) throw new LoraValueError(`loraProAdjust: x must be 'sylvester', 'zero' or 'symmetry', got ${String(mode)}`);
  const dt = A.dtype === 'f64' && B.dtype === 'f64' && gA.dtype === 'f64' && gB.dtype === 'f64' ? 'f64' : 'f32';
  const inv2 = 1 / (s * s);

  const BtB = matmul(B, B, { transA: true, beta: 1, out: scaledEye(r, delta, dt, B.device) });  // BᵀB + δI
  const AAt = matmul(A, A, { transB: true, beta: 1, out: scaledEye(r, delta, dt, A.device) });  // AAᵀ + δI
  const T1 = solve(BtB, gA.dtype === dt ? gA : gA.to(dt));                            // (BᵀB)⁻¹·gAˡ      [r, in]
  const AAtInv = solve(AAt, scaledEye(r, 1, dt, A.device));                                     // (AAᵀ)⁻¹          [r, r]
  // [I − B(BᵀB)⁻¹Bᵀ]·gBˡ = gBˡ − B·((BᵀB)⁻¹·(Bᵀ·gBˡ))
  const Y = solve(BtB, matmul(B, gB, { transA: true, dtype: dt }));                  // [r, r]
  const Z = gB.to(dt);
  matmul(B, Y, { alpha: -1, beta: 1, out: Z });

  let X: Tensor;
  if (mode === 'sylvester') {
    const C = matmul(T1, A, { transB: true, alpha: -inv2, dtype: dt });              // −(1/s²)(BᵀB)⁻¹·gAˡ·Aᵀ
    X = solveSylvester(BtB, AAt, C);                                                 // (solve left both intact)
  } else if (mode === 'symmetry') {
    // X = −½·(1/s²)·(BᵀB)⁻¹·Bᵀ·gBˡ·AAᵀ (the official code's "symmetry" option)
    X = matmul(Y, AAt, { alpha: -0.5 * inv2, dtype: dt });
  } else {
    X = Tensor.zeros([r, r], dt, A.device);
  }

  const gAo = matmul(X, A, { dtype: dt });                     // X·A
  matmul(scaledEye(r, inv2, dt, A.device), T1, { beta: 1, out: gAo });    // + (1/s²)·T1
  const gBo = matmul(B, X, { alpha: -1, dtype: dt });          // −B·X
  matmul(Z, AAtInv, { alpha: inv2, beta: 1, out: gBo });        // + (1/s²)·Z·(AAᵀ)⁻¹
  return { gA: gAo, gB: gBo, X };
}

/**
 * LoRA-Pro's AdamW: an AdamW (groups, schedules, clipping, state dicts) whose step first adjusts every layer's
 * (gA, gB) with loraProAdjust; the AdamW moments are of the adjusted gradients.
 */
export class LoraProAdamW extends AdamW {
  readonly layers: LoraProPair[];
  private readonly adjust: LoraProAdjustOptions;

  constructor(layers: LoraProPair[], options: LoraProOptions) {
    knownKeys(options, [...ADAMW_KEYS, 'delta', 'x'], 'LoraProAdamW');
    if (!Array.isArray(layers) || layers.length === 0) throw new LoraValueError('LoraProAdamW: expected a non-empty list of layers ({A, B, scale})');
    const { delta, x, ...adamw } = options;
    super(layers.flatMap((l) => [l.A, l.B]), adamw);
    for (const l of layers) finiteNumber(l.scale, 'LoraProAdamW layer scale');
    this.layers = layers;
    if (delta !== undefined) finiteNumber(delta, 'LoraProAdamW delta');
    if (x !== undefined && !['sylvester', 'zero', 'symmetry'].includes(x)) throw new LoraValueError(`LoraProAdamW: x must be 'sylvester', 'zero' or 'symmetry', got ${String(x)}`);
    this.adjust = { delta, x };
  }

  protected hyper(): Record<string, number | number[] | string> {
    return { ...super.hyper(), delta: this.adjust.delta ?? 1e-8, x: this.adjust.x ?? 'sylvester' };
  }

  step(): void {
    this.stepCount++;
    const g = this.groups[0];
    for (const l of this.layers) {
      if (!l.A.grad || !l.B.grad) continue;
      const adj = loraProAdjust(l.A.value, l.B.value, l.A.grad, l.B.grad, l.scale, this.adjust);
      this.update(l.A, adj.gA, g);
      this.update(l.B, adj.gB, g);
      adj.gA.dispose(); adj.gB.dispose(); adj.X.dispose();
    }
  }
}
