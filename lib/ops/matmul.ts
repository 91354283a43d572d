/**
 * matmul: out = alpha·op(a)·op(b) + beta·out.
 * native.matmul → csrc/binding/matmul.cc → Backend::matmul → csrc/cpu/matmul.cc (cblas_?gemm) |
 * csrc/cuda/matmul.cc (cuBLAS).
 */
import type { MatmulOptions } from '../../types/ops/matmul';
import { computeDType } from '../dtype';
import { native } from '../native';
import { Tensor } from '../tensor';
import { checkOut, finiteNumber, fmt, matrix, noAlias, options, pending } from './check';
import { LoraShapeError } from '../errors';

function prepare(a: Tensor, b: Tensor, given: MatmulOptions | undefined) {
  const o = options<MatmulOptions>(given, 'matmul', ['transA', 'transB', 'alpha', 'beta', 'out', 'dtype']);
  matrix(a, 'matmul a');
  matrix(b, 'matmul b');
  const ta = !!o.transA, tb = !!o.transB;
  const alpha = finiteNumber(o.alpha ?? 1, 'matmul alpha'), beta = finiteNumber(o.beta ?? 0, 'matmul beta');
  const [m, k] = ta ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = tb ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (k !== kb)
    throw new LoraShapeError(`matmul: inner dimensions differ: op(a) is [${m}, ${k}] (a ${fmt(a)}${ta ? 'ᵀ' : ''}), op(b) is [${kb}, ${n}] (b ${fmt(b)}${tb ? 'ᵀ' : ''})`);
  if (beta !== 0 && !o.out) throw new LoraShapeError('matmul: beta ≠ 0 accumulates into out, so out is required');
  checkOut(o.out, 'matmul out', m, n);
  const out = o.out ?? Tensor.zeros([m, n], o.dtype ?? computeDType(a.dtype, b.dtype), a.device);
  noAlias([out], [a, b], 'matmul');
  return { ta, tb, alpha, beta, out };
}

export function matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor {
  const p = prepare(a, b, options);
  native.matmul(a, b, p.out, p.ta, p.tb, p.alpha, p.beta, false);
  return p.out;
}

export function matmulAsync(a: Tensor, b: Tensor, options?: MatmulOptions): Promise<Tensor> {
  const p = prepare(a, b, options);
  return pending(() => native.matmul(a, b, p.out, p.ta, p.tb, p.alpha, p.beta, true), p.out);
}
