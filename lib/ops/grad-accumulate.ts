/**
 * gradAccumulate: G += scale·dYᵀ·X, the one-step gradient of a Linear layer (W: [out, in]) streamed batch by batch.
 * G is the fp32 (or f64) accumulator; dY and X may be f32/f64/bf16/f16.
 * native.gradAccumulate → csrc/binding/grad_accumulate.cc → Backend::gradAccumulate →
 * csrc/composite/grad_accumulate.cc (one Backend::matmul: cblas_sgemm on the CPU, cuBLAS on the GPU).
 */
import type { GradAccumulateOptions } from '../../types/ops/grad-accumulate';
import { native } from '../native';
import { Tensor } from '../tensor';
import { LoraShapeError } from '../errors';
import { dims2, finiteNumber, fmt, live, matrix, noAlias, options, pending } from './check';

function prepare(G: Tensor, dY: Tensor, X: Tensor, given: GradAccumulateOptions | undefined) {
  const o = options<GradAccumulateOptions>(given, 'gradAccumulate', ['scale']);
  matrix(G, 'gradAccumulate G', ['f32', 'f64']);
  live(dY, 'gradAccumulate dY');
  live(X, 'gradAccumulate X');
  const [t1, out] = dims2(dY), [t2, inF] = dims2(X);
  if (t1 !== t2 || G.shape[0] !== out || G.shape[1] !== inF)
    throw new LoraShapeError(`gradAccumulate: G ${fmt(G)}, dY ${fmt(dY)}, X ${fmt(X)}: need G [out, in], dY [T, out], X [T, in] with the same T`);
  noAlias([G], [dY, X], 'gradAccumulate');
  return finiteNumber(o.scale ?? 1, 'gradAccumulate scale');
}

export function gradAccumulate(G: Tensor, dY: Tensor, X: Tensor, options?: GradAccumulateOptions): Tensor {
  const scale = prepare(G, dY, X, options);
  native.gradAccumulate(G, dY, X, scale, false);
  return G;
}

export function gradAccumulateAsync(G: Tensor, dY: Tensor, X: Tensor, options?: GradAccumulateOptions): Promise<Tensor> {
  const scale = prepare(G, dY, X, options);
  return pending(() => native.gradAccumulate(G, dY, X, scale, true), G);
}
