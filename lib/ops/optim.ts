/**
 * Fused optimizer steps, in place on the parameter and its state (one native pass per tensor; adamwStep can write
 * the new parameter to `out` instead, reading p only):
 *   adamwStep: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr·(m̂/(√v̂ + ε) + wd·p), m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)
 *   sgdStep:   buf ← μ·buf + (g + wd·p), p ← p − lr·buf   (no buf: p ← p − lr·(g + wd·p))
 * native.adamwStep / sgdStep → csrc/binding/optim.cc → Backend::adamwStep / sgdStep → csrc/cpu/optim.cc |
 * csrc/cuda/optim.cc + optim.cu, one update rule for both in csrc/core/optim_rules.h.
 * p and the state are f32 (or all f64); g may be any dtype (widened).
 */
import type { AdamWHyper, SgdHyper } from '../../types/ops/optim';
import { native } from '../native';
import { Tensor } from '../tensor';
import { LoraDTypeError, LoraShapeError, LoraValueError } from '../errors';
import { finiteNumber, fmt, live, noAlias, options, unitInterval } from './check';
import { str } from '../show';

function sameSize(p: Tensor, t: Tensor, what: string, op: string, stateDType: boolean): void {
  live(t, `${op} ${what}`);
  if (t.size !== p.size) throw new LoraShapeError(`${op}: ${what} ${fmt(t)} does not match parameter ${fmt(p)}`);
  if (stateDType && t.dtype !== p.dtype)
    throw new LoraDTypeError(`${op}: ${what} is ${t.dtype} but the parameter is ${p.dtype} (optimizer state must match)`);
}

function param(p: Tensor, op: string): Tensor {
  return live(p, `${op} p`, ['f32', 'f64']);
}


export function adamwStep(p: Tensor, g: Tensor, m: Tensor, v: Tensor, given: AdamWHyper): Tensor {
  const hp = options<AdamWHyper>(given, 'adamwStep', ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'step', 'out']);
  param(p, 'adamwStep');
  sameSize(p, g, 'g', 'adamwStep', false);
  sameSize(p, m, 'm', 'adamwStep', true);
  sameSize(p, v, 'v', 'adamwStep', true);
  const out = hp.out ?? null;
  if (out) sameSize(p, out, 'out', 'adamwStep', true);
  noAlias([p, m, v, out], [g], 'adamwStep');
  noAlias([p, out], [m, v], 'adamwStep');
  noAlias([out], [p], 'adamwStep');
  const lr = finiteNumber(hp.lr, 'adamwStep lr');
  const b1 = unitInterval(hp.beta1 ?? 0.9, 'adamwStep beta1'), b2 = unitInterval(hp.beta2 ?? 0.999, 'adamwStep beta2');
  const eps = finiteNumber(hp.eps ?? 1e-8, 'adamwStep eps'), wd = finiteNumber(hp.weightDecay ?? 0, 'adamwStep weightDecay');
  if (!Number.isSafeInteger(hp.step) || (hp.step as number) < 1) throw new LoraValueError(`adamwStep: step must be an integer >= 1, got ${str(hp.step)}`);
  native.adamwStep(p, g, m, v, lr, b1, b2, eps, wd, hp.step as number, out, false);
  return out ?? p;
}

export function sgdStep(p: Tensor, g: Tensor, buf: Tensor | null, given: SgdHyper): Tensor {
  const hp = options<SgdHyper>(given, 'sgdStep', ['lr', 'momentum', 'weightDecay']);
  param(p, 'sgdStep');
  sameSize(p, g, 'g', 'sgdStep', false);
  if (buf) sameSize(p, buf, 'buf', 'sgdStep', true);
  noAlias([p, buf], [g], 'sgdStep');
  const lr = finiteNumber(hp.lr, 'sgdStep lr');
  const mu = unitInterval(hp.momentum ?? 0, 'sgdStep momentum'), wd = finiteNumber(hp.weightDecay ?? 0, 'sgdStep weightDecay');
  native.sgdStep(p, g, buf, lr, mu, wd, false);
  return p;
}
