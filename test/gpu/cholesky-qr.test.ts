// CholeskyQR2 (gram/cholesky/triangularSolveRight on cuBLAS SYRK/TRSM and cuSOLVER potrf) and the randomized SVD built
// on it, on the CUDA backend: the same properties and bounds as test/randomized-svd-accuracy.test.ts on the CPU.
import { DType, Tensor, orthonormalize, svd } from '../../lib';
import { refMatmul, withSpectrum } from '../helpers/ref';
import { describeGpu } from './cuda';

const gpu = (t: Tensor) => t.toDevice('cuda');

function orthoError(q: Float64Array, m: number, n: number): number {
  const G = refMatmul(q, m, n, q, m, n, true, false);
  let e = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) e = Math.max(e, Math.abs(G[i * n + j] - (i === j ? 1 : 0)));
  return e;
}

function missedSpan(q: Float64Array, A: Float64Array, m: number, n: number): number {
  const P = refMatmul(q, m, n, refMatmul(q, m, n, A, m, n, true, false), n, n);
  let num = 0, den = 0;
  for (let i = 0; i < A.length; i++) { num += (A[i] - P[i]) ** 2; den += A[i] ** 2; }
  return Math.sqrt(num / den);
}

describeGpu("CUDA orthonormalize 'cholqr2'", () => {
  const m = 400, n = 40;
  // κ up to 300: the Cholesky path; 1e5, 1e7: past the threshold, the cuSOLVER Householder fallback.
  const cases: [DType, number][] = [];
  for (const dt of ['f32', 'f64'] as DType[]) for (const kappa of [1, 300, 1e5, 1e7]) cases.push([dt, kappa]);
  test.each(cases)('%s, condition %d: orthonormal and spans A', (dt, kappa) => {
    const A = withSpectrum(m, n, Array.from({ length: n }, (_, j) => Math.pow(kappa, -j / (n - 1))), 5);
    const Q = orthonormalize(gpu(Tensor.fromFloat64(A, [m, n], dt)), { method: 'cholqr2' });
    expect(Q.device).toBe('cuda');
    const q = Q.toFloat64();
    expect(orthoError(q, m, n)).toBeLessThan(dt === 'f64' ? 1e-13 : 2e-6);
    expect(missedSpan(q, A, m, n)).toBeLessThan(dt === 'f64' ? 1e-12 : 1e-5);
  });

  test('rank-deficient block (not positive definite): falls back, orthonormal, no NaN', () => {
    const A = withSpectrum(200, 30, [5, 4, 3, 2, 1], 8);
    const q = orthonormalize(gpu(Tensor.fromFloat64(A, [200, 30], 'f32')), { method: 'cholqr2' }).toFloat64();
    expect(q.every(Number.isFinite)).toBe(true);
    expect(orthoError(q, 200, 30)).toBeLessThan(2e-6);
  });
});

describeGpu('CUDA randomized SVD (CholeskyQR range finder): captured energy vs exact float64', () => {
  const m = 300, n = 200, r = 8, k = 2 * r;
  const opts = { k: k + 1, method: 'randomized' as const, oversample: 2 * r - 1, powerIters: 4, seed: 3 };
  const cases: [string, Float64Array, number][] = [
    ['flat (Gaussian)', Tensor.randn([m, n], 'f64', 'cpu', 11).toFloat64(), 0.97],
    ['power law 1/i', withSpectrum(m, n, Array.from({ length: n }, (_, i) => 1 / (i + 1)), 12), 0.9999],
    ['exponential 0.7^i (fallback path)', withSpectrum(m, n, Array.from({ length: n }, (_, i) => 0.7 ** i), 13), 0.9999],
    ['rank-deficient (rank 10)', withSpectrum(m, n, Array.from({ length: 10 }, (_, i) => 10 - i), 14), 0.99999],
  ];
  test.each(cases)('%s', (_name, Mv, minEnergy) => {
    const eS = svd(Tensor.fromFloat64(Mv, [m, n], 'f64'), { k }).S.toFloat64();
    const res = svd(gpu(Tensor.fromFloat64(Mv, [m, n], 'f32')), opts);
    const U = res.U.toFloat64(), Vt = res.Vt.toFloat64(), kk = k + 1;
    const u = new Float64Array(m * k);
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) u[i * k + j] = U[i * kk + j];
    const P = refMatmul(refMatmul(u, m, k, Mv, m, n, true, false), k, n, Vt.slice(0, k * n), k, n, false, true);
    let e = 0, best = 0;
    for (const x of P) e += x * x;
    for (let i = 0; i < k; i++) best += eS[i] ** 2;
    expect(e / best).toBeGreaterThan(minEnergy);
    expect(e / best).toBeLessThan(1 + 1e-5);
    // Same algorithm, same Gaussian draw as the CPU backend: the same singular values to f32 rounding.
    const cpu = svd(Tensor.fromFloat64(Mv, [m, n], 'f32'), opts).S.toFloat64(), g = res.S.toFloat64();
    for (let i = 0; i < k; i++) expect(Math.abs(g[i] - cpu[i]) / cpu[0]).toBeLessThan(1e-4);
  });
});
