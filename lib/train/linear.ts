/**
 * Linear (declared and documented in types/train.d.ts): a trainable y = x·Wᵀ + b for full fine-tuning, with
 * LoraLinear's forward/backward API so a trainer swaps one for the other. Every product is a native GEMM:
 *   y = x·Wᵀ (+ 1·bᵀ),   dX = dY·W,   dW = dYᵀ·x,   db = 1ᵀ·dY
 */
import type * as api from '../../types/train';
import type { ForwardOptions, LinearOptions, LoraBackwardOpts, Param } from '../../types/train';
import { Tensor } from '../tensor';
import { LoraShapeError } from '../errors';
import { dims2, fmt, knownKeys, live, matrix } from '../ops/check';
import { matmul } from '../ops/matmul';
import { param } from './param';
import { addBias, biasGrad } from './host';
import { ForwardContexts } from './contexts';

/** A bias vector [out] for a layer of `out` outputs, in a trainable dtype when it is to be trained. */
export function checkBias(b: unknown, out: number, trainable: boolean, what: string): Tensor {
  const t = live(b, `${what} bias`, trainable ? ['f32', 'f64'] : undefined);
  if (t.size !== out || t.rank !== 1) throw new LoraShapeError(`${what}: bias ${fmt(t)} must be [${out}]`);
  return t;
}

export type Linear = api.Linear;
export const Linear: typeof api.Linear = class Linear {
  readonly name: string;
  readonly weight: Param;
  readonly bias: Param | null;
  private readonly _saved = new ForwardContexts<Tensor>('Linear');

  constructor(W: Tensor, options: LinearOptions = {}) {
    knownKeys(options, ['bias', 'name'], 'Linear');
    matrix(W, 'Linear W', ['f32', 'f64']);
    this.name = options.name ?? 'linear';
    this.weight = param(W, `${this.name}.weight`);
    this.bias = options.bias ? param(checkBias(options.bias, W.shape[0], true, 'Linear'), `${this.name}.bias`) : null;
  }

  parameters(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  forward(x: Tensor, options: ForwardOptions = {}): Tensor {
    knownKeys(options, ['grad'], 'Linear.forward');
    live(x, 'Linear.forward x');
    const W = this.weight.value, [T, inF] = dims2(x);
    if (x.shape[x.rank - 1] !== W.shape[1]) throw new LoraShapeError(`Linear.forward: x ${fmt(x)} must be [..., ${W.shape[1]}] for W ${fmt(W)}`);
    const y = matmul(x.reshape([T, inF]), W, { transB: true });
    if (this.bias) addBias(y, this.bias.value);
    const yOut = y.reshape([...x.shape.slice(0, -1), W.shape[0]]);
    if (options.grad !== false) this._saved.push(yOut, x);
    return yOut;
  }

  backward(dY: Tensor, options?: LoraBackwardOpts & { needDx?: true }): Tensor;
  backward(dY: Tensor, options: LoraBackwardOpts & { needDx: false }): null;
  backward(dY: Tensor, options?: LoraBackwardOpts): Tensor | null;
  backward(dY: Tensor, options: LoraBackwardOpts = {}): Tensor | null {
    knownKeys(options, ['needDx', 'accumulate', 'output'], 'Linear.backward');
    const x = this._saved.take(options.output);
    live(dY, 'Linear.backward dY');
    const W = this.weight.value, [out, inF] = W.shape, T = x.size / inF;
    if (dY.size !== T * out || dY.shape[dY.rank - 1] !== out) throw new LoraShapeError(`Linear.backward: dY ${fmt(dY)} does not match y = [${T}, ${out}] for x ${fmt(x)}`);
    const dY2 = dY.reshape([T, out]), x2 = x.reshape([T, inF]);
    const acc = !!options.accumulate;
    const gW = acc ? this.weight.grad : null;
    this.weight.grad = matmul(dY2, x2, { transA: true, beta: gW ? 1 : 0, out: gW ?? Tensor.zeros([out, inF], W.dtype, W.device) });
    if (this.bias) this.bias.grad = biasGrad(dY2, out, acc ? this.bias.grad : null, this.bias.value.dtype === 'f64' ? 'f64' : 'f32');
    if (options.needDx === false) return null;
    return matmul(dY2, W).reshape(x.shape);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }
};
