// The randomized SVD re-orthonormalises by CholeskyQR (composite/cholesky_qr.cc): these tests pin its accuracy
// against float64 references on flat, decaying and rank-deficient inputs, and the Householder fallback on blocks too
// ill-conditioned for a Cholesky factorisation.
import { Tensor, matmul, orthonormalize, svd } from '../lib';
import { refMatmul, withSpectrum } from './helpers/ref';
import { captured, firstCols, minPrincipalCos, orthoErrorOf } from './helpers/subspace';

/** ‖(I − QQᵀ)A‖_F / ‖A‖_F: how much of A's column space Q misses. */
function missedSpan(Q: Tensor, A: Float64Array, m: number, n: number): number {
  const k = Q.shape[1], q = Q.toFloat64();
  const P = refMatmul(q, m, k, refMatmul(q, m, k, A, m, n, true, false), k, n);
  let num = 0, den = 0;
  for (let i = 0; i < A.length; i++) { num += (A[i] - P[i]) ** 2; den += A[i] ** 2; }
  return Math.sqrt(num / den);
}

/** m×n with singular values 10^(−j·log10(κ)/(n−1)), j < n: condition number κ. */
function withCondition(m: number, n: number, kappa: number, seed: number): Float64Array {
  return withSpectrum(m, n, Array.from({ length: n }, (_, j) => Math.pow(kappa, -j / (n - 1))), seed);
}

describe("orthonormalize method 'cholqr2'", () => {
  // CholeskyQR2 is orthonormal to a few ε while κ stays under the fallback threshold (0.25/√ε: ≈ 700 in f32); above
  // it the Householder fallback takes over. Either way the result must be orthonormal and span A's columns, so one
  // tolerance covers the whole range: f32 ‖QᵀQ − I‖ ≤ 2e-6 (≈ 16ε), f64 ≤ 1e-13.
  test.each([1, 10, 300, 3e3, 1e5, 1e7])('f32 and f64 blocks of condition %d: orthonormal, same span', (kappa) => {
    const m = 400, n = 40;
    const A = withCondition(m, n, kappa, 5);
    for (const [dt, tol, spanTol] of [['f32', 2e-6, 1e-5], ['f64', 1e-13, 1e-12]] as const) {
      const Q = orthonormalize(Tensor.fromFloat64(A, [m, n], dt), { method: 'cholqr2' });
      expect(orthoErrorOf(Q)).toBeLessThan(tol);
      // Span: relative to A's norm, directions of A weighted by σⱼ; f32 rounding of A itself is ~1e-7.
      expect(missedSpan(Q, A, m, n)).toBeLessThan(spanTol);
    }
  });

  test('a rank-deficient block (rank 5 of 30 columns, not positive definite) falls back and stays orthonormal', () => {
    const m = 200, n = 30;
    const A = withSpectrum(m, n, [5, 4, 3, 2, 1], 8);
    const Q = orthonormalize(Tensor.fromFloat64(A, [m, n], 'f32'), { method: 'cholqr2' });
    expect(Q.isFinite()).toBe(true);
    expect(orthoErrorOf(Q)).toBeLessThan(2e-6);
    expect(missedSpan(Q, A, m, n)).toBeLessThan(1e-5);
  });

  test('a zero block falls back to Householder (an orthonormal basis, no NaN)', () => {
    const Q = orthonormalize(Tensor.zeros([50, 6]), { method: 'cholqr2' });
    expect(orthoErrorOf(Q)).toBeLessThan(1e-6);
  });

  test('bf16 storage is orthonormalised in f32 and rounded once', () => {
    const m = 128, n = 8;
    const Q = orthonormalize(Tensor.fromFloat64(withCondition(m, n, 10, 9), [m, n], 'bf16'), { method: 'cholqr2' });
    expect(Q.dtype).toBe('bf16');
    expect(orthoErrorOf(Q)).toBeLessThan(3e-2); // bf16 has 8 bits of mantissa: entries rounded by ≤ 2⁻⁹ relative
  });

  test('an unknown method is a LoraValueError', () => {
    expect(() => orthonormalize(Tensor.zeros([4, 2]), { method: 'gram-schmidt' as never })).toThrow(/householder.*cholqr2/);
  });
});

describe('randomized SVD accuracy (CholeskyQR range finder) vs an exact float64 SVD', () => {
  const m = 300, n = 200;
  // LoRA-GA's settings: 2r directions from q = 4r columns and 4 power iterations (PEFT: svd_lowrank(q = 4r, niter = 4)).
  const r = 8, k = 2 * r;
  const opts = { k: k + 1, method: 'randomized' as const, oversample: 2 * r - 1, powerIters: 4, seed: 3 };
  const cases: [string, Float64Array, number, number | null][] = [
    // Flat (Gaussian, Marchenko–Pastur): no gap anywhere, so vectors are not comparable, energy is. Halko et al.'s
    // bound with q = 2k, 4 iterations leaves a few % on such spectra; PEFT's svd_lowrank measures the same (bench).
    ['flat (Gaussian)', Tensor.randn([m, n], 'f64', 'cpu', 11).toFloat64(), 0.97, null],
    // Power law σᵢ = 1/i: (σ₃₃/σ₁₆)^9 ≈ 2e-3, so energy within 1e-4 and the top-r subspace to cos ≥ 1 − 1e-4.
    ['power law 1/i', withSpectrum(m, n, Array.from({ length: n }, (_, i) => 1 / (i + 1)), 12), 0.9999, 0.9999],
    // Fast exponential decay 0.7^i: the range finder's blocks reach κ ≈ 0.7^-32 ≈ 9e4, past the CholeskyQR
    // threshold: the fallback path must give the same accuracy.
    ['exponential 0.7^i', withSpectrum(m, n, Array.from({ length: n }, (_, i) => 0.7 ** i), 13), 0.9999, 0.9999],
    // Rank 10 < q: Y = M·Ω is rank-deficient (Cholesky fails), the fallback keeps an orthonormal basis and the
    // rank-10 part is captured exactly (k = 16 > 10: energy over the 10 nonzero σ).
    ['rank-deficient (rank 10)', withSpectrum(m, n, Array.from({ length: 10 }, (_, i) => 10 - i), 14), 0.99999, 0.99999],
  ];
  test.each(cases)('%s: captured rank-2r energy and top-r principal angles', (_name, Mv, minEnergy, minCos) => {
    const exact = svd(Tensor.fromFloat64(Mv, [m, n], 'f64'), { k: Math.min(n, 40) });
    const eS = exact.S.toFloat64();
    const M = Tensor.fromFloat64(Mv, [m, n], 'f32');
    const res = svd(M, opts);
    expect(res.U.isFinite() && res.Vt.isFinite()).toBe(true);
    expect(orthoErrorOf(res.U)).toBeLessThan(2e-6);
    const e = captured(Mv, res.U, res.Vt, k, eS);
    expect(e).toBeGreaterThan(minEnergy);
    expect(e).toBeLessThan(1 + 1e-5);
    // Principal angles of the top-r left subspace: only meaningful where there is a gap at r (not on a flat spectrum,
    // whose subspaces the float64 Householder comparison below covers instead).
    if (minCos === null) return;
    const cos = minPrincipalCos(firstCols(res.U.toFloat64(), m, k + 1, r), firstCols(exact.U.toFloat64(), m, 40, r), m, r);
    expect(cos).toBeGreaterThan(minCos);
  });

  test('same subspaces as the Householder range finder in float64 (span(M(MᵀM)^q Ω) does not depend on the QR)', () => {
    // The power iterations' spans are fixed by M, Ω and q alone; CholeskyQR vs Householder only changes rounding.
    const Mv = withSpectrum(m, n, Array.from({ length: n }, (_, i) => 1 / Math.sqrt(i + 1)), 15);
    const l = k + 1 + opts.oversample;
    const M64 = Tensor.fromFloat64(Mv, [m, n], 'f64');
    let Q = orthonormalize(matmul(M64, Tensor.randn([n, l], 'f64', 'cpu', opts.seed)));
    for (let i = 0; i < opts.powerIters; i++) {
      const Z = orthonormalize(matmul(M64, Q, { transA: true }));
      Q = orthonormalize(matmul(M64, Z));
    }
    const ref = svd(matmul(Q, M64, { transA: true }), { k });
    const Uref = matmul(Q, ref.U).toFloat64();
    const res = svd(Tensor.fromFloat64(Mv, [m, n], 'f32'), opts);
    // σ₁₆ and σ₁₇ of 1/√i differ by 3%: the rank-16 subspace is determined to ~1e-7/0.03 in f32.
    expect(minPrincipalCos(firstCols(res.U.toFloat64(), m, k + 1, k), Uref, m, k)).toBeGreaterThan(1 - 1e-5);
  });
});
