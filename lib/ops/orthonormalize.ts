/**
 * orthonormalize: A (m×n, m ≥ n) ← the Q of its thin QR, in place (the range finder's step of randomized SVD).
 * native.orthonormalize → csrc/binding/orthonormalize.cc → Backend::orthonormalize → csrc/cpu/orthonormalize.cc
 * (LAPACK gelqf + orglq on the row-major data, no transposes) | csrc/cuda/orthonormalize.cc (cuSOLVER geqrf + orgqr).
 */
import { native } from '../native';
import { Tensor } from '../tensor';
import { LoraShapeError } from '../errors';
import { fmt, matrix } from './check';

export function orthonormalize(A: Tensor): Tensor {
  matrix(A, 'orthonormalize A');
  if (A.shape[0] < A.shape[1]) throw new LoraShapeError(`orthonormalize: needs rows >= cols, got ${fmt(A)}`);
  native.orthonormalize(A, false);
  return A;
}
