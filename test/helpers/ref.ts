/** Float64 references and seeded random data for the tests (deliberately naive: clarity over speed). */
import { DType, Tensor } from '../../lib';

/** Mulberry32: small, seeded, reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randn(n: number, seed: number, scale = 1): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - r(), v = r();
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** A random tensor of `dtype`, and its values as float64 exactly as stored (after bf16/f16 rounding). */
export function randTensor(shape: number[], seed: number, dtype: DType = 'f32', scale = 1): { t: Tensor; v: Float64Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = Tensor.fromFloat64(randn(n, seed, scale), shape, dtype);
  return { t, v: t.toFloat64() };
}

/** Row-major float64 C = op(A)·op(B). */
export function refMatmul(A: Float64Array, ar: number, ac: number, B: Float64Array, br: number, bc: number,
                          ta = false, tb = false): Float64Array {
  const m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc;
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const a = ta ? A[p * ac + i] : A[i * ac + p];
      for (let j = 0; j < n; j++) C[i * n + j] += a * (tb ? B[j * bc + p] : B[p * bc + j]);
    }
  }
  return C;
}

export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

export function transpose(A: Float64Array, rows: number, cols: number): Float64Array {
  const T = new Float64Array(A.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) T[j * rows + i] = A[i * cols + j];
  return T;
}

/** A matrix with prescribed singular values: U·diag(s)·Vᵀ with random orthonormal U, V (Gram-Schmidt). */
export function withSpectrum(m: number, n: number, s: number[], seed: number): Float64Array {
  const k = s.length;
  const ortho = (rows: number, seed2: number): Float64Array => {
    const Q = randn(rows * k, seed2); // column j = Q[i*k + j]
    for (let j = 0; j < k; j++) {
      for (let p = 0; p < j; p++) {
        let d = 0;
        for (let i = 0; i < rows; i++) d += Q[i * k + j] * Q[i * k + p];
        for (let i = 0; i < rows; i++) Q[i * k + j] -= d * Q[i * k + p];
      }
      let nrm = 0;
      for (let i = 0; i < rows; i++) nrm += Q[i * k + j] ** 2;
      nrm = Math.sqrt(nrm);
      for (let i = 0; i < rows; i++) Q[i * k + j] /= nrm;
    }
    return Q;
  };
  const U = ortho(m, seed), V = ortho(n, seed + 1);
  const M = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let p = 0; p < k; p++) acc += U[i * k + p] * s[p] * V[j * k + p];
    M[i * n + j] = acc;
  }
  return M;
}
