/**
 * Sylvester equation P·X + X·Q = C for small square P (r×r), Q (r×r), via its vectorised form
 *   (P ⊗ I + I ⊗ Qᵀ)·vec(X) = vec(C)      (row-major vec: x[i·r + j] = X[i, j])
 * solved by our LU `solve` in float64. This is r²×r² (r = 32 → 1024², ~0.7 GFLOP), fine for LoRA ranks up to 32;
 * we chose it over Bartels–Stewart (needs a Schur decomposition we do not have) because it reuses `solve` and is
 * exact for any P, Q whose spectra do not overlap with opposite sign — always true for LoRA-Pro, where P = BᵀB + δI
 * and Q = AAᵀ + δI are positive definite, so every eigenvalue of the Kronecker sum is ≥ 2δ > 0.
 */
import { Tensor } from '../tensor';
import { LoraShapeError, LoraValueError } from '../errors';
import { fmt } from '../ops/check';
import { solve } from '../ops/solve';

/** Largest r for which solveSylvester builds its r²×r² system (r = 64 would already be a 4096² LU per call). */
export const SYLVESTER_MAX_RANK = 48;

export function solveSylvester(P: Tensor, Q: Tensor, C: Tensor): Tensor {
  const r = P.shape[0];
  if (P.rank !== 2 || Q.rank !== 2 || C.rank !== 2 || P.shape[1] !== r || Q.shape[0] !== r || Q.shape[1] !== r ||
      C.shape[0] !== r || C.shape[1] !== r)
    throw new LoraShapeError(`solveSylvester: P ${fmt(P)}, Q ${fmt(Q)}, C ${fmt(C)} must all be r×r`);
  if (r > SYLVESTER_MAX_RANK)
    throw new LoraValueError(`solveSylvester: rank ${r} > ${SYLVESTER_MAX_RANK} would need a ${r * r}² system; use x: 'zero' or 'symmetry'`);
  const p = P.toFloat64(), q = Q.toFloat64(), n = r * r;
  const K = new Float64Array(n * n);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      const row = (i * r + j) * n;
      for (let k = 0; k < r; k++) K[row + k * r + j] += p[i * r + k];  // (P·X)[i,j] = Σ_k P[i,k]·X[k,j]
      for (let l = 0; l < r; l++) K[row + i * r + l] += q[l * r + j];  // (X·Q)[i,j] = Σ_l X[i,l]·Q[l,j]
    }
  }
  const x = solve(Tensor.from(K, [n, n]), Tensor.from(C.toFloat64(), [n, 1], { writable: true }), { inPlace: true });
  // The r²×r² system is built and solved on the host in float64 (r×r in, r×r out); X goes back to C's device.
  const X = Tensor.fromFloat64(x.data as Float64Array, [r, r], C.dtype === 'f64' ? 'f64' : 'f32');
  if (C.device === 'cpu') return X;
  const dev = X.toDevice(C.device);
  X.dispose();
  return dev;
}
