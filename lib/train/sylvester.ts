/**
 * Sylvester equation P·X + X·Q = C for square r×r P, Q, C, in float64 on the host.
 *
 * Symmetric P and Q (LoRA-Pro's BᵀB + δI and AAᵀ + δI) are solved by diagonalisation, with no limit on r:
 * P = U·diag(λ)·Uᵀ, Q = V·diag(μ)·Vᵀ turn the equation into (λᵢ + μⱼ)·Yᵢⱼ = (UᵀCV)ᵢⱼ, X = U·Y·Vᵀ: two r×r
 * eigendecompositions (LAPACK's SVD of a symmetric matrix gives its eigenvectors, see eigSym) and a few r×r
 * products, O(r³). Any other P, Q fall back to the vectorised (r²×r²) form solved by LU, O(r⁶), which is why that
 * path alone keeps a rank limit.
 */
import { Tensor } from '../tensor';
import { LoraShapeError, LoraValueError } from '../errors';
import { fmt } from '../ops/check';
import { solve } from '../ops/solve';
import { svd } from '../ops/svd';

/** Largest r for which the non-symmetric fallback builds its r²×r² system (r = 64 would be a 4096² LU per call). */
export const SYLVESTER_MAX_RANK = 48;

export function solveSylvester(P: Tensor, Q: Tensor, C: Tensor): Tensor {
  const r = P.shape[0];
  if (P.rank !== 2 || Q.rank !== 2 || C.rank !== 2 || P.shape[1] !== r || Q.shape[0] !== r || Q.shape[1] !== r ||
      C.shape[0] !== r || C.shape[1] !== r)
    throw new LoraShapeError(`solveSylvester: P ${fmt(P)}, Q ${fmt(Q)}, C ${fmt(C)} must all be r×r`);
  const p = P.toFloat64(), q = Q.toFloat64(), c = C.toFloat64();
  let x: Float64Array;
  if (isSymmetric(p, r) && isSymmetric(q, r)) {
    x = sylvesterSymmetric(symmetrize(p, r), symmetrize(q, r), c, r);
  } else {
    if (r > SYLVESTER_MAX_RANK)
      throw new LoraValueError(`solveSylvester: P or Q is not symmetric and rank ${r} > ${SYLVESTER_MAX_RANK} would need a ${r * r}² system (symmetric P and Q have no limit)`);
    x = sylvesterKronecker(p, q, c, r);
  }
  const X = Tensor.fromFloat64(x, [r, r], C.dtype === 'f64' ? 'f64' : 'f32');
  if (C.device === 'cpu') return X;
  const dev = X.toDevice(C.device);
  X.dispose();
  return dev;
}

/** Symmetric up to rounding: |Pᵢⱼ − Pⱼᵢ| ≤ 1e-12·max|P| (a GEMM's BᵀB is symmetric to a few ulps, not exactly). */
function isSymmetric(a: Float64Array, r: number): boolean {
  let big = 0;
  for (let i = 0; i < a.length; i++) big = Math.max(big, Math.abs(a[i]));
  for (let i = 0; i < r; i++) for (let j = i + 1; j < r; j++) if (Math.abs(a[i * r + j] - a[j * r + i]) > 1e-12 * big) return false;
  return true;
}

export function symmetrize(a: Float64Array, r: number): Float64Array {
  const s = new Float64Array(r * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) s[i * r + j] = 0.5 * (a[i * r + j] + a[j * r + i]);
  return s;
}

/**
 * Eigendecomposition of a symmetric r×r matrix (row-major): vectors V (column i = vᵢ, row-major r×r) and values.
 * The right singular vectors of a symmetric matrix are its eigenvectors whenever no two eigenvalues are ±λ of each
 * other (always so for the positive definite Gram matrices LoRA-Pro passes); the eigenvalue is the Rayleigh quotient
 * vᵢᵀ·S·vᵢ. If the residual ‖S·V − V·Λ‖ shows the ±λ case, the SVD of S + c·I (c ≥ ‖S‖, positive semidefinite, same
 * eigenvectors) is used instead.
 */
function eigSym(S: Float64Array, r: number): { V: Float64Array; w: Float64Array } {
  // Entries whose squares under- or overflow would zero (or blow up) the norm and the residual below, so a wrong
  // decomposition would pass: solve a rescaled copy instead (the same eigenvectors, eigenvalues scaled back).
  let mx = 0;
  for (let i = 0; i < S.length; i++) mx = Math.max(mx, Math.abs(S[i]));
  if (mx > 0 && Number.isFinite(mx) && (mx < 1e-150 || mx > 1e150)) {
    const { V, w } = eigSym(S.map((v) => v / mx), r);
    return { V, w: w.map((v) => v * mx) };
  }
  let norm = 0;
  for (let i = 0; i < S.length; i++) norm += S[i] * S[i];
  norm = Math.sqrt(norm);
  for (const shift of [0, norm]) {
    const M = S.slice();
    for (let i = 0; i < r; i++) M[i * r + i] += shift;
    const { U, S: sv, Vt } = svd(Tensor.from(M, [r, r]), { method: 'exact' });
    const vt = Vt.toFloat64();
    U.dispose(); sv.dispose(); Vt.dispose();
    const V = new Float64Array(r * r), w = new Float64Array(r);
    for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) V[j * r + i] = vt[i * r + j];
    let res = 0;
    for (let i = 0; i < r; i++) {
      const Sv = new Float64Array(r);  // S·vᵢ
      for (let a = 0; a < r; a++) { let acc = 0; for (let b = 0; b < r; b++) acc += S[a * r + b] * V[b * r + i]; Sv[a] = acc; }
      let lam = 0;
      for (let a = 0; a < r; a++) lam += V[a * r + i] * Sv[a];
      w[i] = lam;
      for (let a = 0; a < r; a++) res += (Sv[a] - lam * V[a * r + i]) ** 2;
    }
    if (Math.sqrt(res) <= 1e-10 * Math.max(norm, Number.MIN_VALUE) * Math.sqrt(r) || norm === 0) return { V, w };
  }
  throw new LoraValueError('solveSylvester: the eigendecomposition of a symmetric coefficient did not converge');
}

/** P·X + X·Q = C for symmetric P, Q (row-major float64), by diagonalisation. */
export function sylvesterSymmetric(p: Float64Array, q: Float64Array, c: Float64Array, r: number): Float64Array {
  const P = eigSym(p, r), Q = eigSym(q, r);
  const F = mul(mul(P.V, c, r, true, false), Q.V, r, false, false);  // Uᵀ·C·V
  let scale = 0;
  for (let i = 0; i < r; i++) scale = Math.max(scale, Math.abs(P.w[i]), Math.abs(Q.w[i]));
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      const d = P.w[i] + Q.w[j];
      // λᵢ + μⱼ = 0 (to rounding): the equation is singular, X is not determined.
      if (Math.abs(d) <= 1e-14 * scale * r) throw new LoraValueError(`solveSylvester: P and −Q share the eigenvalue ${P.w[i]} (the equation is singular)`);
      F[i * r + j] /= d;
    }
  }
  return mul(mul(P.V, F, r, false, false), Q.V, r, false, true);       // U·Y·Vᵀ
}

/** a·b (r×r, row-major), either operand transposed. */
function mul(a: Float64Array, b: Float64Array, r: number, ta: boolean, tb: boolean): Float64Array {
  const o = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let k = 0; k < r; k++) {
      const aik = ta ? a[k * r + i] : a[i * r + k];
      if (aik === 0) continue;
      for (let j = 0; j < r; j++) o[i * r + j] += aik * (tb ? b[j * r + k] : b[k * r + j]);
    }
  }
  return o;
}

/** (P ⊗ I + I ⊗ Qᵀ)·vec(X) = vec(C) (row-major vec: x[i·r + j] = X[i, j]) by LU; exact for any P, Q. */
function sylvesterKronecker(p: Float64Array, q: Float64Array, c: Float64Array, r: number): Float64Array {
  const n = r * r;
  const K = new Float64Array(n * n);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      const row = (i * r + j) * n;
      for (let k = 0; k < r; k++) K[row + k * r + j] += p[i * r + k];  // (P·X)[i,j] = Σ_k P[i,k]·X[k,j]
      for (let l = 0; l < r; l++) K[row + i * r + l] += q[l * r + j];  // (X·Q)[i,j] = Σ_l X[i,l]·Q[l,j]
    }
  }
  const x = solve(Tensor.from(K, [n, n]), Tensor.from(c, [n, 1], { writable: true }), { inPlace: true });
  return x.data as Float64Array;
}
