/**
 * LoRA-Pro (Wang et al., "LoRA-Pro: Are Low-Rank Adapters Properly Optimized?", ICLR 2025). With W = W₀ + s·B·A,
 * one step on (A, B) moves W by s·(B·gA + gB·A), the "equivalent gradient". LoRA-Pro replaces (gA, gB) by the pair
 * whose equivalent gradient is closest (Frobenius) to the full gradient g, recovered from LoRA's own gradients
 * gAˡ = s·Bᵀg and gBˡ = s·g·Aᵀ (Theorems 2.1–2.2):
 *   gA = (1/s²)·(BᵀB)⁻¹·gAˡ + X·A
 *   gB = (1/s²)·[I − B(BᵀB)⁻¹Bᵀ]·gBˡ·(AAᵀ)⁻¹ − B·X
 * where X (r×r) is free; the paper picks the X closest to LoRA's own gradients, the solution of the Sylvester
 * equation  BᵀB·X + X·AAᵀ = −(1/s²)·(BᵀB)⁻¹·gAˡ·Aᵀ.  BᵀB and AAᵀ get δ·I (δ = 1e-8 as in the official code) so
 * B = 0 at init is fine. All products are GEMMs through the ops; the r×r systems go to `solve`.
 *
 * Two optimizers on top (LoraProAdamW's `variant`):
 * - 'full', the official repository's optimizer (lorapro_full_adjustment in its DeepSpeed ZeRO-2 stage): Adam
 *   moments of the m×n equivalent gradient of the adjusted gradients, the Adam direction D = m̂/(√v̂ + ε) taken as a
 *   full gradient, its LoRA gradients (s·BᵀD, s·D·Aᵀ) adjusted again (with the Sylvester X), then a plain SGD step
 *   A ← A − lr·(gA + wd·A), B likewise (the official trains with the Trainer's "sgd" optimizer: its weight decay is
 *   on A and B, not on W). Two m×n moments per layer: as much optimizer memory as full fine-tuning's Adam.
 * - 'efficient': AdamW whose moments are of the adjusted gradients themselves (A- and B-shaped; an earlier
 *   formulation of the paper, kept because its state is LoRA-sized).
 */
import type { LoraProAdjustOptions, LoraProAdjusted, LoraProOptions, LoraProPair, LoraProVariant } from '../../types/optimizers';
import type { Param } from '../../types/train';
import { Tensor } from '../tensor';
import { LoraShapeError, LoraValueError } from '../errors';
import { finiteNumber, fmt, knownKeys, matrix } from '../ops/check';
import { matmul } from '../ops/matmul';
import { solve } from '../ops/solve';
import { scaledEye } from './host';
import { adamwStep, sgdStep } from '../ops/optim';
import { sylvesterSymmetric, symmetrize } from './sylvester';
import { ADAMW_KEYS, AdamW } from './optim';
import { str } from '../show';

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
  if (!['sylvester', 'zero', 'symmetry'].includes(mode)) throw new LoraValueError(`loraProAdjust: x must be 'sylvester', 'zero' or 'symmetry', got ${str(mode)}`);
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
    // BᵀB + δI and AAᵀ + δI are symmetric in exact arithmetic; a GEMM leaves a few ulps of asymmetry, removed here
    // so the O(r³) symmetric solve applies at any rank.
    const x = sylvesterSymmetric(symmetrize(BtB.toFloat64(), r), symmetrize(AAt.toFloat64(), r), C.toFloat64(), r);
    X = onDevice(Tensor.fromFloat64(x, [r, r], dt), A.device);
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

function onDevice(t: Tensor, device: Tensor['device']): Tensor {
  if (device === 'cpu') return t;
  const d = t.toDevice(device);
  t.dispose();
  return d;
}

const VARIANTS: LoraProVariant[] = ['full', 'efficient'];

/**
 * LoRA-Pro's optimizer over every layer's A and B (one group): `variant` 'full' (default, the official
 * repository's) or 'efficient' (AdamW on the adjusted gradients); see the file comment.
 */
export class LoraProAdamW extends AdamW {
  readonly layers: LoraProPair[];
  readonly variant: LoraProVariant;
  private readonly adjust: LoraProAdjustOptions;
  private readonly byA = new Map<Param, LoraProPair>();

  constructor(layers: LoraProPair[], options: LoraProOptions) {
    knownKeys(options, [...ADAMW_KEYS, 'delta', 'x', 'variant'], 'LoraProAdamW');
    if (!Array.isArray(layers) || layers.length === 0) throw new LoraValueError('LoraProAdamW: expected a non-empty list of layers ({A, B, scale})');
    const { delta, x, variant, ...adamw } = options;
    super(layers.flatMap((l) => [l.A, l.B]), adamw);
    for (const l of layers) {
      finiteNumber(l.scale, 'LoraProAdamW layer scale');
      if (l.scale === 0) throw new LoraValueError('LoraProAdamW: a layer scale must be non-zero');
      this.byA.set(l.A, l);
    }
    this.layers = layers;
    if (delta !== undefined) finiteNumber(delta, 'LoraProAdamW delta');
    if (x !== undefined && !['sylvester', 'zero', 'symmetry'].includes(x)) throw new LoraValueError(`LoraProAdamW: x must be 'sylvester', 'zero' or 'symmetry', got ${str(x)}`);
    if (variant !== undefined && !VARIANTS.includes(variant)) throw new LoraValueError(`LoraProAdamW: variant must be 'full' or 'efficient', got ${str(variant)}`);
    this.variant = variant ?? 'full';
    this.adjust = { delta, x };
  }

  protected hyper(): Record<string, number | number[] | string> {
    return { ...super.hyper(), delta: this.adjust.delta ?? 1e-8, x: this.adjust.x ?? 'sylvester', variant: this.variant };
  }

  /** 'full' keeps each layer's m×n moments (wm, wv: [out, in]) under its A. */
  protected stateShape(p: Param, name: string): readonly number[] {
    const l = this.byA.get(p);
    if (this.variant === 'full' && l && (name === 'wm' || name === 'wv')) return [l.B.value.shape[0], l.A.value.shape[1]];
    return super.stateShape(p, name);
  }

  step(): void {
    this.stepCount++;
    const g = this.groups[0];
    for (const l of this.layers) {
      if (!l.A.grad || !l.B.grad) continue;
      if (this.variant === 'full') {
        this.fullStep(l, g.lr, g.weightDecay);
        continue;
      }
      const adj = loraProAdjust(l.A.value, l.B.value, l.A.grad, l.B.grad, l.scale, this.adjust);
      this.update(l.A, adj.gA, g);
      this.update(l.B, adj.gB, g);
      adj.gA.dispose(); adj.gB.dispose(); adj.X.dispose();
    }
  }

  private fullStep(l: LoraProPair, lr: number, wd: number): void {
    const A = l.A.value, B = l.B.value, s = l.scale;
    const dt = A.dtype === 'f64' && B.dtype === 'f64' && l.A.grad!.dtype === 'f64' && l.B.grad!.dtype === 'f64' ? 'f64' : 'f32';
    // 1. The equivalent gradient of the projected gradients, s·(B·gA⁰ + gB⁰·A): it does not depend on X, so X = 0.
    const p0 = loraProAdjust(A, B, l.A.grad!, l.B.grad!, s, { ...this.adjust, x: 'zero' });
    const E = matmul(B, p0.gA, { alpha: s, dtype: dt });
    matmul(p0.gB, A, { alpha: s, beta: 1, out: E });
    p0.gA.dispose(); p0.gB.dispose(); p0.X.dispose();
    // 2. Adam on E. D = m̂/(√v̂ + ε) comes out of the fused step applied to zeros with lr = −1 (one native pass).
    const { wm, wv } = this.slots(l.A, ['wm', 'wv']);
    const D = Tensor.zeros(wm.shape, wm.dtype as 'f32' | 'f64', A.device);
    adamwStep(D, E, wm, wv, { lr: -1, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, weightDecay: 0, step: this.stepCount });
    E.dispose();
    // 3. D as a full gradient: LoRA's gradients of it, adjusted (with the chosen X), 4. an SGD step with weight decay.
    const gA = matmul(B, D, { transA: true, alpha: s, dtype: dt });
    const gB = matmul(D, A, { transB: true, alpha: s, dtype: dt });
    D.dispose();
    const adj = loraProAdjust(A, B, gA, gB, s, this.adjust);
    gA.dispose(); gB.dispose();
    sgdStep(A, adj.gA, null, { lr, weightDecay: wd });
    sgdStep(B, adj.gB, null, { lr, weightDecay: wd });
    adj.gA.dispose(); adj.gB.dispose(); adj.X.dispose();
  }
}
