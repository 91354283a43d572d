/**
 * The LoRA layer ops, W frozen:
 *   forward  y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ            (x [..., in], W [out, in], A [r, in], B [out, r])
 *   backward dX = dY·W + s·(dY·B)·A,  dA = s·(dY·B)ᵀ·x,  dB = s·dYᵀ·(x·Aᵀ)
 * native.loraForward/loraBackward → csrc/binding/lora.cc → Backend::loraForward/loraBackward →
 * csrc/composite/lora.cc (GEMMs), or fused on the GPU: csrc/cuda/lora.cc + lora.cu.
 */
import type { LoraBackwardOptions, LoraBackwardResult, LoraForwardOptions, LoraForwardResult } from '../../types/ops/lora';
import { computeDType } from '../dtype';
import { native } from '../native';
import { Tensor } from '../tensor';
import { LoraShapeError } from '../errors';
import { checkOut, dims2, finiteNumber, fmt, live, matrix, noAlias, options, pending } from './check';

function layer(op: string, x: Tensor, W: Tensor, A: Tensor, B: Tensor) {
  live(x, `${op} x`);
  matrix(W, `${op} W`);
  matrix(A, `${op} A`);
  matrix(B, `${op} B`);
  const [T, inF] = dims2(x);
  const out = W.shape[0], r = A.shape[0];
  if (x.shape[x.rank - 1] !== W.shape[1] || A.shape[1] !== W.shape[1] || B.shape[0] !== out || B.shape[1] !== r)
    throw new LoraShapeError(`${op}: x ${fmt(x)}, W ${fmt(W)}, A ${fmt(A)}, B ${fmt(B)}: need x [..., in], W [out, in], A [r, in], B [out, r]`);
  return { T, inF, out, r };
}

function prepareForward(x: Tensor, W: Tensor, A: Tensor, B: Tensor, s: number, given: LoraForwardOptions | undefined) {
  const o = options<LoraForwardOptions>(given, 'loraForward', ['out', 'dtype', 'saveH']);
  const { T, out, r } = layer('loraForward', x, W, A, B);
  finiteNumber(s, 'loraForward scale');
  checkOut(o.out, 'loraForward out', T, out);
  const y = o.out ?? Tensor.zeros([...x.shape.slice(0, -1), out], o.dtype ?? computeDType(x.dtype, W.dtype, A.dtype, B.dtype), x.device);
  const h = o.saveH === false ? null : Tensor.zeros([T, r], computeDType(x.dtype, A.dtype), x.device);
  noAlias([y, h], [x, W, A, B], 'loraForward');
  return { y, h };
}

export function loraForward(x: Tensor, W: Tensor, A: Tensor, B: Tensor, s: number, opts?: LoraForwardOptions): LoraForwardResult {
  const r = prepareForward(x, W, A, B, s, opts);
  native.loraForward(x, W, A, B, s, r.y, r.h, false);
  return r;
}

export function loraForwardAsync(x: Tensor, W: Tensor, A: Tensor, B: Tensor, s: number, opts?: LoraForwardOptions): Promise<LoraForwardResult> {
  const r = prepareForward(x, W, A, B, s, opts);
  return pending(() => native.loraForward(x, W, A, B, s, r.y, r.h, true), r);
}

function prepareBackward(dY: Tensor, x: Tensor, W: Tensor, A: Tensor, B: Tensor, s: number, given: LoraBackwardOptions | undefined) {
  const o = options<LoraBackwardOptions>(given, 'loraBackward', ['h', 'needDx', 'dx', 'dA', 'dB']);
  const { T, inF, out, r } = layer('loraBackward', x, W, A, B);
  live(dY, 'loraBackward dY');
  const [Ty, outY] = dims2(dY);
  if (Ty !== T || outY !== out) throw new LoraShapeError(`loraBackward: dY ${fmt(dY)} does not match y = [${T}, ${out}] for x ${fmt(x)}`);
  finiteNumber(s, 'loraBackward scale');
  const h = o.h ?? null;
  if (h) checkOut(h, 'loraBackward h', T, r);
  checkOut(o.dx, 'loraBackward dx', T, inF);
  checkOut(o.dA, 'loraBackward dA', r, inF);
  checkOut(o.dB, 'loraBackward dB', out, r);
  const gt = computeDType(A.dtype, B.dtype);
  const dX = o.needDx === false ? null : o.dx ?? Tensor.zeros(x.shape, computeDType(x.dtype, dY.dtype, W.dtype), x.device);
  const dA = o.dA ?? Tensor.zeros([r, inF], gt, x.device);
  const dB = o.dB ?? Tensor.zeros([out, r], gt, x.device);
  noAlias([dX, dA, dB], [dY, x, W, A, B, ...(h ? [h] : [])], 'loraBackward');
  return { h, res: { dX, dA, dB } as LoraBackwardResult };
}

export function loraBackward(dY: Tensor, x: Tensor, W: Tensor, A: Tensor, B: Tensor, s: number, opts?: LoraBackwardOptions): LoraBackwardResult {
  const p = prepareBackward(dY, x, W, A, B, s, opts);
  native.loraBackward(dY, x, W, A, B, s, p.h, p.res.dX, p.res.dA, p.res.dB, false);
  return p.res;
}

export function loraBackwardAsync(dY: Tensor, x: Tensor, W: Tensor, A: Tensor, B: Tensor, s: number, opts?: LoraBackwardOptions): Promise<LoraBackwardResult> {
  const p = prepareBackward(dY, x, W, A, B, s, opts);
  const { dX, dA, dB } = p.res;
  return pending(() => native.loraBackward(dY, x, W, A, B, s, p.h, dX, dA, dB, true), p.res);
}
