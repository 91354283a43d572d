/** Small float64 dense linear algebra for the training tests (naive on purpose: the reference, not the code). */

/** x = a⁻¹·b by Gauss-Jordan with partial pivoting; a n×n, b n×m, row-major. */
export function refSolve(a: Float64Array, b: Float64Array, n: number, m: number): Float64Array {
  const A = a.slice(), X = b.slice();
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(A[i * n + c]) > Math.abs(A[p * n + c])) p = i;
    if (p !== c) {
      for (let j = 0; j < n; j++) [A[c * n + j], A[p * n + j]] = [A[p * n + j], A[c * n + j]];
      for (let j = 0; j < m; j++) [X[c * m + j], X[p * m + j]] = [X[p * m + j], X[c * m + j]];
    }
    const d = A[c * n + c];
    for (let j = 0; j < n; j++) A[c * n + j] /= d;
    for (let j = 0; j < m; j++) X[c * m + j] /= d;
    for (let i = 0; i < n; i++) {
      if (i === c) continue;
      const f = A[i * n + c];
      if (f === 0) continue;
      for (let j = 0; j < n; j++) A[i * n + j] -= f * A[c * n + j];
      for (let j = 0; j < m; j++) X[i * m + j] -= f * X[c * m + j];
    }
  }
  return X;
}

export function eye(n: number, lambda = 1): Float64Array {
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = lambda;
  return I;
}

export const add = (a: Float64Array, b: Float64Array, beta = 1) => a.map((v, i) => v + beta * b[i]);
export const scale = (a: Float64Array, f: number) => a.map((v) => v * f);
export const frob = (a: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * a[i]; return Math.sqrt(s); };

/** X with P·X + X·Q = C (k×k) by the naive vectorised (Kronecker) system: any P, Q. */
export function refSylvester(P: Float64Array, Q: Float64Array, C: Float64Array, k: number): Float64Array {
  const K = new Float64Array(k ** 4);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let l = 0; l < k; l++) {
    K[(i * k + j) * k * k + l * k + j] += P[i * k + l];
    K[(i * k + j) * k * k + i * k + l] += Q[l * k + j];
  }
  return refSolve(K, C, k * k, 1);
}
