/*
 * Fused optimizer steps, in place on the parameter and its state (one native pass per tensor):
 *   adamwStep: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr·(m̂/(√v̂ + ε) + wd·p), m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)
 *   sgdStep:   buf ← μ·buf + (g + wd·p), p ← p − lr·buf   (no buf: p ← p − lr·(g + wd·p))
 * p and the state are f32 (or all f64); g may be any dtype (widened).
 */
import type { Tensor } from '../tensor';

/** Hyper-parameters of one adamwStep. */
export interface AdamWHyper {
  lr: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay. Default 0. */
  weightDecay?: number;
  /** 1-based step count used for bias correction. */
  step: number;
  /**
   * Where the new parameter goes: p is then only read (it may be read-only, e.g. a TF.js tensor's memory), m and v
   * are still updated in place. Same dtype and size as p, not overlapping any operand. Default: p itself.
   */
  out?: Tensor;
}

/** Hyper-parameters of one sgdStep. */
export interface SgdHyper {
  lr: number;
  /** Default 0 (then buf may be null). */
  momentum?: number;
  /** Default 0. */
  weightDecay?: number;
}

/** One AdamW step on `p` (in place, or into `hp.out`), updating its moments `m` and `v` (in place). Returns p (or out). */
export declare function adamwStep(p: Tensor, g: Tensor, m: Tensor, v: Tensor, hp: AdamWHyper): Tensor;
/** One SGD step on `p` (in place); `buf` is the momentum buffer (null: plain SGD). Returns p. */
export declare function sgdStep(p: Tensor, g: Tensor, buf: Tensor | null, hp: SgdHyper): Tensor;
