/**
 * SGD, AdamW and LoRA+ (declared and documented in types/optimizers.d.ts), each update one fused native step per
 * tensor. Plain classes, not the typed-const pattern of Tensor: the contract's protected update() makes its class
 * types nominal, so test/types checks these against it member by member.
 */
import type { AdamWOptions, LoraPlusOptions, OptimizerGroup as Group, ParamGroup, SgdOptions } from '../../types/optimizers';
import type { Param } from '../../types/train';
import { Tensor } from '../tensor';
import { LoraValueError } from '../errors';
import { finiteNumber } from '../ops/check';
import { adamwStep, sgdStep } from '../ops/optim';

function groups(input: Param[] | ParamGroup[], lr: number, wd: number): Group[] {
  if (!Array.isArray(input) || input.length === 0) throw new LoraValueError('optimizer: expected a non-empty list of params or param groups');
  const list: ParamGroup[] = 'params' in (input[0] as object) ? (input as ParamGroup[]) : [{ params: input as Param[] }];
  return list.map((g, i) => ({
    params: g.params,
    lr: finiteNumber(g.lr ?? lr, `optimizer group ${i} lr`),
    weightDecay: finiteNumber(g.weightDecay ?? wd, `optimizer group ${i} weightDecay`),
  }));
}

export abstract class Optimizer {
  readonly groups: Group[];
  stepCount = 0;

  protected constructor(params: Param[] | ParamGroup[], lr: number, weightDecay: number) {
    this.groups = groups(params, finiteNumber(lr, 'optimizer lr'), finiteNumber(weightDecay, 'optimizer weightDecay'));
  }

  setLr(lr: number): void {
    const base = this.groups[0].lr;
    for (const g of this.groups) g.lr = base === 0 ? lr : (g.lr / base) * lr;
  }

  step(): void {
    this.stepCount++;
    for (const g of this.groups) for (const p of g.params) if (p.grad) this.update(p, p.grad, g);
  }

  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.grad = null;
  }

  protected abstract update(p: Param, grad: Tensor, g: Group): void;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  private readonly buf = new Map<Param, Tensor>();

  constructor(params: Param[] | ParamGroup[], o: SgdOptions) {
    super(params, o.lr, o.weightDecay ?? 0);
    this.momentum = finiteNumber(o.momentum ?? 0, 'SGD momentum');
  }

  protected update(p: Param, grad: Tensor, g: Group): void {
    let b: Tensor | null = null;
    if (this.momentum !== 0) {
      b = this.buf.get(p) ?? null;
      if (!b) {  // torch semantics: the first step's buffer is the gradient itself, i.e. μ·0 + g
        b = Tensor.zeros(p.value.shape, p.value.dtype === 'f64' ? 'f64' : 'f32', p.value.device);
        this.buf.set(p, b);
      }
    }
    sgdStep(p.value, grad, b, { lr: g.lr, momentum: this.momentum, weightDecay: g.weightDecay });
  }
}

export class AdamW extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  private readonly state = new Map<Param, { m: Tensor; v: Tensor }>();

  constructor(params: Param[] | ParamGroup[], o: AdamWOptions) {
    super(params, o.lr, o.weightDecay ?? 0);
    this.betas = o.betas ?? [0.9, 0.999];
    this.eps = finiteNumber(o.eps ?? 1e-8, 'AdamW eps');
  }

  protected update(p: Param, grad: Tensor, g: Group): void {
    let st = this.state.get(p);
    if (!st) {
      const dt = p.value.dtype === 'f64' ? 'f64' : 'f32';
      st = { m: Tensor.zeros(p.value.shape, dt, p.value.device), v: Tensor.zeros(p.value.shape, dt, p.value.device) };
      this.state.set(p, st);
    }
    adamwStep(p.value, grad, st.m, st.v, {
      lr: g.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, weightDecay: g.weightDecay, step: this.stepCount,
    });
  }
}

export function loraPlus(layers: { A: Param; B: Param }[], o: LoraPlusOptions): AdamW {
  const ratio = finiteNumber(o.ratio ?? 16, 'loraPlus ratio');
  return new AdamW([
    { params: layers.map((l) => l.A), lr: o.lr },
    { params: layers.map((l) => l.B), lr: o.lr * ratio },
  ], o);
}
