/**
 * solve: x = a⁻¹·b for a square a (n×n) and b (n×m), by LU with partial pivoting (LAPACK gesv on the CPU).
 * native.solve → csrc/binding/solve.cc → Backend::solve → csrc/cpu/solve.cc | csrc/cuda/solve.cc.
 * Used for the r×r systems of LoRA-One's preconditioner and LoRA-Pro's adjustment. By default a and b are left
 * untouched (b's copy is solved); `inPlace` writes x into b instead. a is never written, and a failed solve (a
 * singular a) leaves b as it was.
 */
import type { SolveOptions } from '../../types/ops/solve';
import { native } from '../native';
import { Tensor } from '../tensor';
import { LoraBackendError, LoraDTypeError, LoraShapeError } from '../errors';
import { fmt, matrix, noAlias, options, pending } from './check';

function prepare(a: Tensor, b: Tensor, o: Partial<SolveOptions>) {
  matrix(a, 'solve a', ['f32', 'f64']);
  matrix(b, 'solve b', ['f32', 'f64']);
  if (a.shape[0] !== a.shape[1] || b.shape[0] !== a.shape[0])
    throw new LoraShapeError(`solve: a ${fmt(a)} must be square and b ${fmt(b)} must have as many rows as a`);
  if (a.dtype !== b.dtype) throw new LoraDTypeError(`solve: a is ${a.dtype} but b is ${b.dtype} (they must match)`);
  if (a.device !== b.device) throw new LoraBackendError(`solve: a is on ${a.device} but b on ${b.device}`);
  if (o.inPlace) noAlias([b], [a], 'solve');
  return o.inPlace ? b : b.clone();
}

export function solve(a: Tensor, b: Tensor, opts?: SolveOptions): Tensor {
  const x = prepare(a, b, options<SolveOptions>(opts, 'solve', ['inPlace']));
  native.solve(a, x, false);
  return x;
}

export function solveAsync(a: Tensor, b: Tensor, opts?: SolveOptions): Promise<Tensor> {
  const x = prepare(a, b, options<SolveOptions>(opts, 'solve', ['inPlace']));
  return pending(() => native.solve(a, x, true), x);
}
