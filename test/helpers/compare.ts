/** Sign-invariant comparison of adapters, as ../shared/reference/README.md prescribes. */
import { Tensor } from '../../lib';

/** min over rows i of |cos(A_i, ref_i)|. */
export function minRowCos(A: Tensor, ref: Tensor): number {
  const [r, n] = ref.shape, a = A.toFloat64(), b = ref.toFloat64();
  let worst = Infinity;
  for (let i = 0; i < r; i++) {
    let d = 0, na = 0, nb = 0;
    for (let j = 0; j < n; j++) { d += a[i * n + j] * b[i * n + j]; na += a[i * n + j] ** 2; nb += b[i * n + j] ** 2; }
    worst = Math.min(worst, Math.abs(d) / Math.sqrt(na * nb || 1e-300));
  }
  return worst;
}

/** max over columns j of min(‖B_j − ref_j‖, ‖B_j + ref_j‖)/‖ref_j‖. */
export function maxColErr(B: Tensor, ref: Tensor): number {
  const [m, r] = ref.shape, a = B.toFloat64(), b = ref.toFloat64();
  let worst = 0;
  for (let j = 0; j < r; j++) {
    let ep = 0, em = 0, nb = 0;
    for (let i = 0; i < m; i++) {
      ep += (a[i * r + j] - b[i * r + j]) ** 2; em += (a[i * r + j] + b[i * r + j]) ** 2; nb += b[i * r + j] ** 2;
    }
    worst = Math.max(worst, Math.sqrt(Math.min(ep, em) / (nb || 1e-300)));
  }
  return worst;
}

/** ‖W' + s·B·A − W‖_F / ‖W‖_F in float64. */
export function offsetInvariant(Wp: Tensor, A: Tensor, B: Tensor, s: number, W: Tensor): number {
  const [m, n] = W.shape, r = A.shape[0];
  const wp = Wp.toFloat64(), a = A.toFloat64(), b = B.toFloat64(), w = W.toFloat64();
  let num = 0, den = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let ba = 0;
    for (let p = 0; p < r; p++) ba += b[i * r + p] * a[p * n + j];
    num += (wp[i * n + j] + s * ba - w[i * n + j]) ** 2;
    den += w[i * n + j] ** 2;
  }
  return Math.sqrt(num / den);
}

/** ‖X − Y‖_F / ‖Y‖_F of two products B·A (sign- and rotation-invariant comparison of the adapter's update). */
export function productErr(A: Tensor, B: Tensor, Ar: Tensor, Br: Tensor): number {
  const [m, r] = B.shape, n = A.shape[1];
  const a = A.toFloat64(), b = B.toFloat64(), ar = Ar.toFloat64(), br = Br.toFloat64();
  let num = 0, den = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let x = 0, y = 0;
    for (let p = 0; p < r; p++) { x += b[i * r + p] * a[p * n + j]; y += br[i * r + p] * ar[p * n + j]; }
    num += (x - y) ** 2; den += y * y;
  }
  return Math.sqrt(num / den);
}

/**
 * ‖W'_ours − W'_ref‖/‖W'_ref‖ after flipping each of our A rows and B columns to the reference's sign: ours is
 * W − s·B·A, and B·A changes with those signs, so only the sign-aligned offset is comparable.
 */
export function alignedBaseErr(res: { A: Tensor; B: Tensor; W: Tensor | null }, Aref: Tensor, Bref: Tensor, Wref: Tensor, s: number): number {
  const [r, n] = Aref.shape, m = Bref.shape[0];
  const a = res.A.toFloat64(), b = res.B.toFloat64(), ar = Aref.toFloat64(), br = Bref.toFloat64();
  const sa = new Float64Array(r), sb = new Float64Array(r);
  for (let p = 0; p < r; p++) {
    let da = 0, db = 0;
    for (let j = 0; j < n; j++) da += a[p * n + j] * ar[p * n + j];
    for (let i = 0; i < m; i++) db += b[i * r + p] * br[i * r + p];
    sa[p] = da < 0 ? -1 : 1; sb[p] = db < 0 ? -1 : 1;
  }
  // W'_aligned = W'_ours + s·B·A − s·(B·diag(sb))·(diag(sa)·A)
  const wp = res.W!.toFloat64(), wr = Wref.toFloat64();
  let num = 0, den = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let corr = 0;
    for (let p = 0; p < r; p++) corr += b[i * r + p] * a[p * n + j] * (1 - sa[p] * sb[p]);
    const v = wp[i * n + j] + s * corr;
    num += (v - wr[i * n + j]) ** 2; den += wr[i * n + j] ** 2;
  }
  return Math.sqrt(num / den);
}

/** max over rows i of min(‖A_i − ref_i‖, ‖A_i + ref_i‖)/‖ref_i‖ (ref as float64 [r, n]). */
export function maxRowErr(A: Tensor, ref: Float64Array): number {
  const [r, n] = A.shape, a = A.toFloat64();
  let worst = 0;
  for (let i = 0; i < r; i++) {
    let ep = 0, em = 0, nb = 0;
    for (let j = 0; j < n; j++) { const x = a[i * n + j], y = ref[i * n + j]; ep += (x - y) ** 2; em += (x + y) ** 2; nb += y * y; }
    worst = Math.max(worst, Math.sqrt(Math.min(ep, em) / (nb || 1e-300)));
  }
  return worst;
}

/** M = U·diag(s)·Vᵀ with random orthonormal U [m, k], V [n, k] (Gram–Schmidt in float64), returning the factors. */
export function spectralFactors(m: number, n: number, s: number[], seed: number): { M: Float64Array; U: Float64Array; V: Float64Array } {
  const k = s.length;
  const ortho = (rows: number, sd: number): Float64Array => {
    let x = sd >>> 0;
    const rnd = () => { x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0; return x / 4294967296 - 0.5; };
    const Q = new Float64Array(rows * k).map(rnd);
    for (let j = 0; j < k; j++) {
      for (let rep = 0; rep < 2; rep++) for (let p = 0; p < j; p++) {
        let d = 0;
        for (let i = 0; i < rows; i++) d += Q[i * k + j] * Q[i * k + p];
        for (let i = 0; i < rows; i++) Q[i * k + j] -= d * Q[i * k + p];
      }
      let nrm = 0;
      for (let i = 0; i < rows; i++) nrm += Q[i * k + j] ** 2;
      for (let i = 0; i < rows; i++) Q[i * k + j] /= Math.sqrt(nrm);
    }
    return Q;
  };
  const U = ortho(m, seed * 7 + 1), V = ortho(n, seed * 7 + 3);
  const M = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let p = 0; p < k; p++) acc += U[i * k + p] * s[p] * V[j * k + p];
    M[i * n + j] = acc;
  }
  return { M, U, V };
}
