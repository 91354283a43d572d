// Float64 measures of computed singular subspaces, from the stored values: orthonormality, principal angles and
// captured energy (the comparisons that stay meaningful where singular vectors are not unique).
import { Tensor, svd } from '../../lib';
import { refMatmul } from './ref';

/** ‖QᵀQ − I‖_max of the columns of a rows×cols array, or ‖QQᵀ − I‖_max of its rows. */
export function orthoError(Q: Float64Array, rows: number, cols: number, byRows = false): number {
  const G = byRows ? refMatmul(Q, rows, cols, Q, rows, cols, false, true) : refMatmul(Q, rows, cols, Q, rows, cols, true, false);
  const d = byRows ? rows : cols;
  let e = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) e = Math.max(e, Math.abs(G[i * d + j] - (i === j ? 1 : 0)));
  return e;
}

/** orthoError of a 2-D tensor's columns (U) or rows (Vt). */
export function orthoErrorOf(Q: Tensor, byRows = false): number {
  return orthoError(Q.toFloat64(), Q.shape[0], Q.shape[1], byRows);
}

/** The first k columns of a row-major rows×cols array. */
export function firstCols(a: Float64Array, rows: number, cols: number, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) for (let j = 0; j < k; j++) out[i * k + j] = a[i * cols + j];
  return out;
}

/** Smallest cosine of the principal angles between span(U1) and span(U2) (rows×k, orthonormal columns): min σ(U1ᵀU2). */
export function minPrincipalCos(U1: Float64Array, U2: Float64Array, rows: number, k: number): number {
  const C = refMatmul(U1, rows, k, U2, rows, k, true, false);
  return svd(Tensor.from(C, [k, k])).S.toFloat64()[k - 1];
}

/** Captured energy ‖U_kᵀ·M·V_k‖²_F / Σᵢ≤k σᵢ² of M (m×n, float64) with its exact σ: 1 is the best rank-k pair. */
export function captured(Mv: Float64Array, U: Tensor, Vt: Tensor, k: number, exactS: Float64Array): number {
  const [m, kk] = U.shape, n = Vt.shape[1];
  const u = firstCols(U.toFloat64(), m, kk, k), vt = Vt.toFloat64().slice(0, k * n);
  const P = refMatmul(refMatmul(u, m, k, Mv, m, n, true, false), k, n, vt, k, n, false, true);
  let e = 0, best = 0;
  for (const x of P) e += x * x;
  for (let i = 0; i < k; i++) best += exactS[i] ** 2;
  return e / best;
}
