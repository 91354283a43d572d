/**
 * solve: x = a⁻¹·b for a square a (n×n) and b (n×m), by LU with partial pivoting (LAPACK gesv on the CPU).
 * native.solve → csrc/binding/solve.cc → Backend::solve → csrc/cpu/solve.cc | csrc/cuda/solve.cc.
 * Used for the r×r systems of LoRA-One's preconditioner and LoRA-Pro's adjustment. By default a and b are left
 * untouched (copies are solved); `inPlace` overwrites a with its LU factors and b with x, saving the copies.
 */
import type { SolveOptions } from '../../types/ops/solve';
import { native } from '../native';
import { Tensor } from '../tensor';
import { LoraBackendError, LoraDTypeError, LoraShapeError, LoraValueError } from '../errors';
import { fmt, matrix, pending } from './check';

function prepare(a: Tensor, b: Tensor, o: SolveOptions) {
  matrix(a, 'solve a', ['f32', 'f64']);
  matrix(b, 'solve b', ['f32', 'f64']);
  if (a.shape[0] !== a.shape[1] || b.shape[0] !== a.shape[0])
    throw new LoraShapeError(`solve: a ${fmt(a)} must be square and b ${fmt(b)} must have as many rows as a`);
  if (a.dtype !== b.dtype) throw new LoraDTypeError(`solve: a is ${a.dtype} but b is ${b.dtype} (they must match)`);
  if (a.device !== b.device) throw new LoraBackendError(`solve: a is on ${a.device} but b on ${b.device}`);
  if (o.inPlace && a.device !== 'cpu' && a._deviceHandle === b._deviceHandle)
    throw new LoraValueError('solve: a and b overlap in memory');
  if (o.inPlace && a.device === 'cpu' && a.data.buffer === b.data.buffer) {
    const x = a.data, y = b.data;
    if (x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength)
      throw new LoraValueError('solve: a and b overlap in memory');
  }
  return o.inPlace ? { a, b } : { a: a.clone(), b: b.clone() };
}

export function solve(a: Tensor, b: Tensor, options: SolveOptions = {}): Tensor {
  const w = prepare(a, b, options);
  try {
    native.solve(w.a, w.b, false);
  } finally {
    if (!options.inPlace) w.a.dispose();
  }
  return w.b;
}

export async function solveAsync(a: Tensor, b: Tensor, options: SolveOptions = {}): Promise<Tensor> {
  const w = prepare(a, b, options);
  try {
    return await pending([w.a, w.b], () => native.solve(w.a, w.b, true), w.b);
  } finally {
    if (!options.inPlace) w.a.dispose();
  }
}
