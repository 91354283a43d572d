/**
 * Sylvester equation P·X + X·Q = C for small square P (r×r), Q (r×r), via its vectorised form
 *   (P ⊗ I + I ⊗ Qᵀ)·vec(X) = vec(C)      (row-major vec: x[i·r + j] = X[i, j])
 * solved by our LU `solve` in float64. This is r²×r² (r = 32 → 1024², ~0.7 GFLOP), fine for LoRA ranks up to 32;
 * we chose it over Bartels–Stewart (needs a Schur decomposition we do not have) because it reuses `solve` and is
 * exact for any P, Q whose spectra do not overlap with opposite sign — always true for LoRA-Pro, where P = BᵀB + δI
 * and Q = AAᵀ + δI are positive definite, so every eigenvalue of the Kronecker sum is ≥ 2δ > 0.
 */
import { Tensor } from '../tensor';
/** Largest r for which solveSylvester builds its r²×r² system (r = 64 would already be a 4096² LU per call). */
export declare const SYLVESTER_MAX_RANK = 48;
export declare function solveSylvester(P: Tensor, Q: Tensor, C: Tensor): Tensor;
