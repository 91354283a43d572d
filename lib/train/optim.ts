/**
 * The Optimizer base every optimizer extends (declared and documented in types/optimizers.d.ts), and SGD, AdamW,
 * LoRA+: parameter groups with their own base rate, schedules that scale each group's base rate (as PyTorch's
 * LambdaLR), clipping by the global gradient norm, and state dicts. Each update is one fused native step per tensor.
 * Plain classes, not the typed-const pattern of Tensor: the contract's protected members make its class types
 * nominal, so test/types checks these against it member by member.
 */
import type {
  AdamWOptions, LoraPlusOptions, OptimizerGroup as Group, OptimizerState, ParamGroup, SgdOptions,
} from '../../types/optimizers';
import type { Param } from '../../types/train';
import { Tensor } from '../tensor';
import { LoraShapeError, LoraValueError } from '../errors';
import { finiteNumber, fmt, knownKeys, live } from '../ops/check';
import { adamwStep, sgdStep } from '../ops/optim';
import { assign, gradNorm2, scaleInPlace } from './host';
import { showJson, str } from '../show';

function isParam(p: unknown): p is Param {
  return !!p && typeof p === 'object' && 'value' in p && 'grad' in p;
}

function groups(input: Param[] | ParamGroup[], lr: number, wd: number, what: string): Group[] {
  if (!Array.isArray(input) || input.length === 0) throw new LoraValueError(`${what}: expected a non-empty list of params or param groups`);
  const list: ParamGroup[] = isParam(input[0]) ? [{ params: input as Param[] }] : (input as ParamGroup[]);
  const seen = new Set<Param>();
  return list.map((g, i) => {
    knownKeys(g, ['params', 'lr', 'weightDecay'], `${what} group ${i}`);
    if (!Array.isArray(g.params) || g.params.length === 0) throw new LoraValueError(`${what} group ${i}: params must be a non-empty list of Params`);
    for (const p of g.params) {
      if (!isParam(p)) throw new LoraValueError(`${what} group ${i}: every param must be a Param ({value, grad})`);
      live(p.value, `${what} group ${i} param ${p.name ?? ''}`, ['f32', 'f64']);
      if (seen.has(p)) throw new LoraValueError(`${what}: param ${p.name ?? ''} is listed twice`);
      seen.add(p);
    }
    const base = finiteNumber(g.lr ?? lr, `${what} group ${i} lr`);
    return { params: g.params, lr: base, baseLr: base, weightDecay: finiteNumber(g.weightDecay ?? wd, `${what} group ${i} weightDecay`) };
  });
}

export abstract class Optimizer {
  readonly groups: Group[];
  stepCount = 0;
  /** Per-param state tensors by name (AdamW: m, v; SGD: buf), what stateDict() saves. */
  protected readonly state = new Map<Param, Record<string, Tensor>>();

  protected constructor(params: Param[] | ParamGroup[], lr: number, weightDecay: number) {
    const what = new.target.name;
    this.groups = groups(params, finiteNumber(lr, `${what} lr`), finiteNumber(weightDecay, `${what} weightDecay`), what);
  }

  get params(): Param[] {
    return this.groups.flatMap((g) => g.params);
  }

  setLrScale(factor: number): void {
    finiteNumber(factor, 'setLrScale factor');
    for (const g of this.groups) g.lr = g.baseLr * factor;
  }

  setLr(lr: number): void {
    finiteNumber(lr, 'setLr lr');
    const b0 = this.groups[0].baseLr;
    if (b0 === 0) throw new LoraValueError('setLr: the first group\'s base lr is 0, so the others have no rate to keep in proportion; use setLrScale or set groups[i].lr');
    for (const g of this.groups) g.lr = g === this.groups[0] ? lr : g.baseLr * (lr / b0);
  }

  clipGradNorm(maxNorm: number): number {
    finiteNumber(maxNorm, 'clipGradNorm maxNorm');
    if (maxNorm < 0) throw new LoraValueError(`clipGradNorm: maxNorm must be >= 0, got ${maxNorm}`);
    const grads = this.params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
    let total2 = 0;
    for (const g of grads) total2 += gradNorm2(g);
    const total = Math.sqrt(total2);
    if (!Number.isFinite(total)) return total;  // left as they are: the caller sees the norm and skips the step
    // torch.nn.utils.clip_grad_norm_: coefficient max/(norm + 1e-6), applied only when it is below 1.
    const coef = maxNorm / (total + 1e-6);
    if (coef < 1) {
      // All or nothing: a read-only (borrowed) gradient is refused before any gradient is scaled.
      const ro = grads.find((g) => !g.writable);
      if (ro) throw new LoraValueError(`clipGradNorm: a gradient ${fmt(ro)} is read-only (borrowed memory); give grads loraga can write (clone() it)`);
      for (const g of grads) scaleInPlace(g, coef);
    }
    return total;
  }

  step(): void {
    this.stepCount++;
    for (const g of this.groups) for (const p of g.params) if (p.grad) this.update(p, p.grad, g);
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  stateDict(): OptimizerState {
    const state: Record<string, Tensor> = {};
    this.params.forEach((p, i) => {
      for (const [k, t] of Object.entries(this.state.get(p) ?? {})) state[`${i}.${k}`] = t;
    });
    return {
      kind: this.constructor.name,
      stepCount: this.stepCount,
      groups: this.groups.map((g) => ({ lr: g.lr, baseLr: g.baseLr, weightDecay: g.weightDecay, params: g.params.length })),
      hyper: this.hyper(),
      state,
    };
  }

  loadStateDict(s: OptimizerState): void {
    const what = `${this.constructor.name}.loadStateDict`;
    if (!s || typeof s !== 'object') throw new LoraValueError(`${what}: expected an OptimizerState`);
    if (s.kind !== this.constructor.name) throw new LoraValueError(`${what}: the state is of a ${str(s.kind)}`);
    if (!Number.isInteger(s.stepCount) || s.stepCount < 0) throw new LoraValueError(`${what}: stepCount must be a non-negative integer`);
    if (!Array.isArray(s.groups) || s.groups.length !== this.groups.length || s.groups.some((g, i) => g.params !== this.groups[i].params.length))
      throw new LoraValueError(`${what}: the state's groups (${showJson(s.groups?.map?.((g) => g.params))} params) do not match this optimizer's (${showJson(this.groups.map((g) => g.params.length))})`);
    const mine = this.hyper();
    for (const k of new Set([...Object.keys(mine), ...Object.keys(s.hyper ?? {})]))
      if (showJson(mine[k]) !== showJson(s.hyper?.[k])) throw new LoraValueError(`${what}: ${k} is ${showJson(s.hyper?.[k])} in the state but ${showJson(mine[k])} here`);
    // Every group's rates are checked before anything changes: a refused load leaves the optimizer as it was.
    const rates = s.groups.map((g, i) => ({
      lr: finiteNumber(g.lr, `${what} group ${i} lr`),
      baseLr: finiteNumber(g.baseLr, `${what} group ${i} baseLr`),
      weightDecay: finiteNumber(g.weightDecay, `${what} group ${i} weightDecay`),
    }));
    const params = this.params;
    const next = new Map<Param, Record<string, Tensor>>();
    const dropNext = () => { for (const st of next.values()) for (const t of Object.values(st)) t.dispose(); };
    try {
      for (const [key, t] of Object.entries(s.state ?? {})) {
        const m = /^(\d+)\.(\w+)$/.exec(key);
        const p = m ? params[Number(m[1])] : undefined;
        if (!m || !p) throw new LoraValueError(`${what}: unexpected state entry '${key}'`);
        live(t, `${what} ${key}`);
        const shape = this.stateShape(p, m[2]);
        if (t.size !== shape.reduce((a, b) => a * b, 1)) throw new LoraShapeError(`${what}: ${key} ${fmt(t)} does not match param ${m[1]}'s state [${shape.join(', ')}]`);
        // A copy in the param's state dtype, on its device: the caller's tensors stay theirs.
        const own = Tensor.zeros(shape, p.value.dtype === 'f64' ? 'f64' : 'f32', p.value.device);
        assign(own, t);
        (next.get(p) ?? next.set(p, {}).get(p)!)[m[2]] = own;
      }
    } catch (e) {
      dropNext();  // the copies made so far
      throw e;
    }
    rates.forEach((r, i) => Object.assign(this.groups[i], r));
    for (const st of this.state.values()) for (const t of Object.values(st)) t.dispose();
    this.state.clear();
    for (const [p, st] of next) this.state.set(p, st);
    this.stepCount = s.stepCount;
  }

  /** The hyperparameters a state must have been saved with (loadStateDict refuses another optimizer's). */
  protected hyper(): Record<string, number | number[] | string> {
    return {};
  }

  /** The shape of p's state tensor `name`: p's own, unless an optimizer keeps state of another shape. */
  protected stateShape(p: Param, name: string): readonly number[] {
    void name;  // the base keeps every state tensor in p's shape, whatever its name
    return p.value.shape;
  }

  /** The state tensors of `p` named `names`, zero-filled in p's state dtype (shape from stateShape) on first use. */
  protected slots(p: Param, names: string[]): Record<string, Tensor> {
    let st = this.state.get(p);
    if (!st) {
      const dt = p.value.dtype === 'f64' ? 'f64' : 'f32';
      st = {};
      for (const n of names) st[n] = Tensor.zeros(this.stateShape(p, n), dt, p.value.device);
      this.state.set(p, st);
    }
    return st;
  }

  protected abstract update(p: Param, grad: Tensor, g: Group): void;
}

export class SGD extends Optimizer {
  readonly momentum: number;

  constructor(params: Param[] | ParamGroup[], o: SgdOptions) {
    knownKeys(o, ['lr', 'momentum', 'weightDecay'], 'SGD');
    super(params, o.lr, o.weightDecay ?? 0);
    this.momentum = finiteNumber(o.momentum ?? 0, 'SGD momentum');
  }

  protected hyper(): Record<string, number> {
    return { momentum: this.momentum };
  }

  protected update(p: Param, grad: Tensor, g: Group): void {
    // torch semantics: the first step's buffer is the gradient itself, i.e. μ·0 + g.
    const b = this.momentum !== 0 ? this.slots(p, ['buf']).buf : null;
    sgdStep(p.value, grad, b, { lr: g.lr, momentum: this.momentum, weightDecay: g.weightDecay });
  }
}

export const ADAMW_KEYS = ['lr', 'betas', 'eps', 'weightDecay'] as const;

export class AdamW extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;

  constructor(params: Param[] | ParamGroup[], o: AdamWOptions) {
    knownKeys(o, ADAMW_KEYS, new.target.name);
    super(params, o.lr, o.weightDecay ?? 0);
    const b = o.betas ?? [0.9, 0.999];
    if (!Array.isArray(b) || b.length !== 2) throw new LoraValueError(`${new.target.name} betas: expected [beta1, beta2]`);
    this.betas = [finiteNumber(b[0], 'AdamW beta1'), finiteNumber(b[1], 'AdamW beta2')];
    this.eps = finiteNumber(o.eps ?? 1e-8, 'AdamW eps');
  }

  protected hyper(): Record<string, number | number[] | string> {
    return { betas: this.betas, eps: this.eps };
  }

  protected update(p: Param, grad: Tensor, g: Group): void {
    const { m, v } = this.slots(p, ['m', 'v']);
    adamwStep(p.value, grad, m, v, {
      lr: g.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, weightDecay: g.weightDecay, step: this.stepCount,
    });
  }
}

export function loraPlus(layers: { A: Param; B: Param }[], o: LoraPlusOptions): AdamW {
  knownKeys(o, [...ADAMW_KEYS, 'ratio'], 'loraPlus');
  if (!Array.isArray(layers) || layers.length === 0) throw new LoraValueError('loraPlus: expected a non-empty list of layers ({A, B})');
  const { ratio: r, ...adamw } = o;
  const ratio = finiteNumber(r ?? 16, 'loraPlus ratio');
  return new AdamW([
    { params: layers.map((l) => l.A), lr: o.lr },
    { params: layers.map((l) => l.B), lr: o.lr * ratio },
  ], adamw);
}
