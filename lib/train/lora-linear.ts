/**
 * LoraLinear (declared and documented in types/train.d.ts): y = x·Wᵀ + s·(drop(x)·Aᵀ)·Bᵀ (+ b). Without dropout both
 * passes are the fused ops (loraForward/loraBackward); with dropout the LoRA branch sees the masked input (a host
 * mask) and the passes are GEMMs. merge()/unmerge() add/subtract s·B·A in W in place.
 */
import type * as api from '../../types/train';
import type { ForwardOptions, LoraBackwardOpts, LoraLinearOptions, Param } from '../../types/train';
import { Tensor } from '../tensor';
import { LoraBackendError, LoraShapeError, LoraValueError } from '../errors';
import { dims2, finiteNumber, fmt, knownKeys, matrix } from '../ops/check';
import { matmul } from '../ops/matmul';
import { loraBackward, loraForward } from '../ops/lora';
import { param } from './param';
import { addBias, addMasked, addScaled, applyMask, biasGrad, dropoutMask } from './host';
import { checkBias } from './linear';
import { nonNegInt } from '../init/common';
import { transpose2d } from '../init/layout';
import { ForwardContexts } from './contexts';
import { str } from '../show';

const OPTIONS = ['alpha', 'rsLora', 'scale', 'dropout', 'seed', 'name', 'bias', 'trainBias'];

export function loraScale(rank: number, alpha: number, rsLora = false): number {
  return rsLora ? alpha / Math.sqrt(rank) : alpha / rank;
}

interface Saved { x: Tensor; xd: Tensor | null; h: Tensor; mask: Float32Array | null }

export type LoraLinear = api.LoraLinear;
export const LoraLinear: typeof api.LoraLinear = class LoraLinear {
  // In the order the constructor sets them.
  readonly rank: number;
  readonly scale: number;
  readonly dropout: number;
  readonly name: string;
  private _seed: number;
  readonly W: Tensor;
  readonly A: Param;
  readonly B: Param;
  readonly bias: Param | null;
  readonly trainBias: boolean;
  initial: { A: Tensor; B: Tensor } | null = null;
  training = true;
  private _merged = false;
  private readonly _saved = new ForwardContexts<Saved>('LoraLinear');
  private _draws = 0;

  constructor(W: Tensor, A: Tensor, B: Tensor, options: LoraLinearOptions = {}) {
    knownKeys(options, OPTIONS, 'LoraLinear');
    matrix(W, 'LoraLinear W');
    matrix(A, 'LoraLinear A', ['f32', 'f64']);
    matrix(B, 'LoraLinear B', ['f32', 'f64']);
    const [out, inF] = W.shape, r = A.shape[0];
    if (A.shape[1] !== inF || B.shape[0] !== out || B.shape[1] !== r)
      throw new LoraShapeError(`LoraLinear: W ${fmt(W)}, A ${fmt(A)}, B ${fmt(B)}: need W [out, in], A [r, in], B [out, r]`);
    this.rank = r;
    this.scale = options.scale !== undefined
      ? finiteNumber(options.scale, 'LoraLinear scale')
      : loraScale(r, finiteNumber(options.alpha ?? r, 'LoraLinear alpha'), !!options.rsLora);
    const p = options.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new LoraValueError(`LoraLinear dropout: expected a probability in [0, 1), got ${str(p)}`);
    this.dropout = p;
    this.name = options.name ?? 'lora';
    this._seed = nonNegInt(options.seed, 'LoraLinear seed', 0);  // as every seed in loraga: '7' or 1.5 would be another
    this.W = W;
    this.A = param(A, `${this.name}.lora_A`);
    this.B = param(B, `${this.name}.lora_B`);
    this.trainBias = !!options.trainBias;
    if (this.trainBias && !options.bias) throw new LoraValueError('LoraLinear: trainBias needs a bias');
    this.bias = options.bias ? param(checkBias(options.bias, out, this.trainBias, 'LoraLinear'), `${this.name}.bias`) : null;
  }

  static fromInit(W: Tensor, init: { A: Tensor; B: Tensor; W?: Tensor | null; scaling: number; fanInFanOut?: boolean },
                  options: Omit<LoraLinearOptions, 'scale' | 'alpha' | 'rsLora'> = {}): LoraLinear {
    knownKeys(options, OPTIONS.filter((k) => !['scale', 'alpha', 'rsLora'].includes(k)), 'LoraLinear.fromInit');
    // A fan-in-fan-out init hands W (and W') back [in, out]; the layer computes with [out, in].
    const base = init.fanInFanOut ? transpose2d(init.W ?? W) : init.W ?? W;
    // The layer trains its own copies: the init result stays what the init returned (it is the reference for
    // exporting against the original base, and the caller may use it again).
    const layer = new LoraLinear(base, init.A.clone(), init.B.clone(), { ...options, scale: init.scaling });
    if (init.W) layer.initial = { A: init.A.clone(), B: init.B.clone() };
    return layer;
  }

  get merged(): boolean {
    return this._merged;
  }

  parameters(): Param[] {
    return this.trainBias ? [this.A, this.B, this.bias as Param] : [this.A, this.B];
  }

  seedDropout(seed: number, draws = 0): void {
    if (!Number.isSafeInteger(draws) || draws < 0) throw new LoraValueError(`seedDropout: draws must be a non-negative integer, got ${str(draws)}`);
    this._seed = nonNegInt(seed, 'seedDropout seed');
    this._draws = draws;
  }

  get dropoutState(): { seed: number; draws: number } {
    return { seed: this._seed, draws: this._draws };
  }

  forward(x: Tensor, options: ForwardOptions = {}): Tensor {
    knownKeys(options, ['grad'], 'LoraLinear.forward');
    const grad = options.grad !== false;
    if (this._merged) {  // s·B·A already lives in W: plain Linear (inference)
      const [T, inF] = dims2(x);
      const y = matmul(x.reshape([T, inF]), this.W, { transB: true });
      if (this.bias) addBias(y, this.bias.value);
      return y.reshape([...x.shape.slice(0, -1), this.W.shape[0]]);
    }
    const A = this.A.value, B = this.B.value;
    if (!(this.training && this.dropout > 0)) {
      const { y, h } = loraForward(x, this.W, A, B, this.scale, { saveH: grad });
      if (this.bias) addBias(y, this.bias.value);
      if (grad) this._saved.push(y, { x, xd: null, h: h as Tensor, mask: null });
      return y;
    }
    if (x.device !== 'cpu') throw new LoraBackendError('LoraLinear: dropout is implemented for host tensors only');
    const [T, inF] = dims2(x);
    const x2 = x.reshape([T, inF]);
    const mask = dropoutMask(x.size, this.dropout, (this._seed + 0x9e3779b9 * ++this._draws) >>> 0);
    const xd = applyMask(x2, mask);
    const y = matmul(x2, this.W, { transB: true });            // x·Wᵀ
    const h = matmul(xd, A, { transB: true });                  // drop(x)·Aᵀ   [T, r]
    matmul(h, B, { transB: true, alpha: this.scale, beta: 1, out: y });
    if (this.bias) addBias(y, this.bias.value);
    const yOut = y.reshape([...x.shape.slice(0, -1), this.W.shape[0]]);
    if (grad) this._saved.push(yOut, { x, xd, h, mask });
    return yOut;
  }

  backward(dY: Tensor, options?: LoraBackwardOpts & { needDx?: true }): Tensor;
  backward(dY: Tensor, options: LoraBackwardOpts & { needDx: false }): null;
  backward(dY: Tensor, options?: LoraBackwardOpts): Tensor | null;
  backward(dY: Tensor, options: LoraBackwardOpts = {}): Tensor | null {
    knownKeys(options, ['needDx', 'accumulate', 'output'], 'LoraLinear.backward');
    if (this._merged) throw new LoraValueError('LoraLinear.backward: the layer is merged; unmerge() before training');
    const sv = this._saved.take(options.output);
    const A = this.A.value, B = this.B.value, s = this.scale;
    const needDx = options.needDx !== false;
    let dX: Tensor | null;
    let dA: Tensor, dB: Tensor;
    if (!sv.mask) {
      const r = loraBackward(dY, sv.x, this.W, A, B, s, { h: sv.h, needDx });
      dX = r.dX; dA = r.dA; dB = r.dB;
    } else {
      const [T, out] = dims2(dY);
      const dY2 = dY.reshape([T, out]);
      const r = loraBackward(dY2, sv.xd as Tensor, this.W, A, B, s, { h: sv.h, needDx: false });
      dA = r.dA; dB = r.dB;
      dX = null;
      if (needDx) {
        dX = matmul(dY2, this.W);                                   // dY·W
        const g = matmul(dY2, B);                                   // dY·B  [T, r]
        addMasked(dX, matmul(g, A, { alpha: s }), sv.mask);         // + mask ⊙ s·(dY·B)·A
        dX = dX.reshape(sv.x.shape);
      }
    }
    // accumulate adds to each gradient that exists; one that is null (never set, or reset on its own, e.g. a frozen A)
    // starts from this batch's, and the other keeps what it accumulated (as Linear does for weight and bias).
    if (options.accumulate && this.A.grad) addScaled(this.A.grad, dA);
    else this.A.grad = dA;
    if (options.accumulate && this.B.grad) addScaled(this.B.grad, dB);
    else this.B.grad = dB;
    if (this.trainBias) {
      const b = this.bias as Param, out = this.W.shape[0];
      b.grad = biasGrad(dY.reshape([dY.size / out, out]), out, options.accumulate ? b.grad : null, b.value.dtype === 'f64' ? 'f64' : 'f32');
    }
    return dX;
  }

  zeroGrad(): void {
    this.A.grad = null;
    this.B.grad = null;
    if (this.bias) this.bias.grad = null;
  }

  merge(): void {
    if (this._merged) return;
    this._saved.clear();  // W changes under the open forwards' gradients
    matmul(this.B.value, this.A.value, { alpha: this.scale, beta: 1, out: this.W });
    this._merged = true;
  }

  unmerge(): void {
    if (!this._merged) return;
    matmul(this.B.value, this.A.value, { alpha: -this.scale, beta: 1, out: this.W });
    this._merged = false;
  }

  effectiveWeight(): Tensor {
    const out = this.W.to(this.W.dtype === 'f64' ? 'f64' : 'f32');
    if (!this._merged) matmul(this.B.value, this.A.value, { alpha: this.scale, beta: 1, out });
    return out;
  }
};
