/**
 * orthonormalize: A (m×n, m ≥ n) ← an orthonormal basis of its columns, in place (the range finder's step of
 * randomized SVD). native.orthonormalize → csrc/binding/orthonormalize.cc → Backend::orthonormalize (Householder:
 * csrc/cpu/orthonormalize.cc, LAPACK gelqf + orglq on the row-major data | csrc/cuda/orthonormalize.cc, cuSOLVER
 * geqrf + orgqr) or Backend::orthonormalizeCholQr (CholeskyQR2: csrc/composite/cholesky_qr.cc).
 */
import type { OrthonormalizeOptions } from '../../types/ops/orthonormalize';
import { native } from '../native';
import { Tensor } from '../tensor';
import { LoraShapeError, LoraValueError } from '../errors';
import { fmt, matrix, options } from './check';
import { showJson } from '../show';

export function orthonormalize(A: Tensor, opts?: OrthonormalizeOptions): Tensor {
  const o = options<OrthonormalizeOptions>(opts, 'orthonormalize', ['method']);
  matrix(A, 'orthonormalize A');
  const method = o.method ?? 'householder';
  if (method !== 'householder' && method !== 'cholqr2')
    throw new LoraValueError(`orthonormalize: method must be 'householder' or 'cholqr2', got ${showJson(method)}`);
  if (A.shape[0] < A.shape[1]) throw new LoraShapeError(`orthonormalize: needs rows >= cols, got ${fmt(A)}`);
  native.orthonormalize(A, method === 'cholqr2', false);
  return A;
}
