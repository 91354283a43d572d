// The Rayleigh–Ritz step of the randomized and Krylov SVDs (csrc/composite/svd_gram.cc): the top-k SVD of the
// small projection B = Qᵀ·M from the eigendecomposition of B·Bᵀ in f64, with the exact SVD of B when B is f64 or
// too close to rank-deficient. Pinned against float64 SVDs of the same stored M: which path each case takes (its
// accuracy signature), that the Gram is f64, and that the fallback keeps U and V orthonormal where σ vanish.
import { Tensor, svd } from '../lib';
import { withSpectrum } from './helpers/ref';
import { orthoErrorOf } from './helpers/subspace';

const m = 300, n = 200;
const methods = ['randomized', 'krylov'] as const;
const opts = (k: number, method: (typeof methods)[number]) => ({ k, method, oversample: method === 'krylov' ? 0 : k, powerIters: 4, seed: 1 });

/** Largest relative error of the computed σ against a float64 SVD of the same stored values, over σᵢ ≥ floor·σ₁. */
function sigmaError(M: Tensor, S: Tensor, k: number, floor = 0): number {
  const exact = svd(M.to('f64'), { k }).S.toFloat64(), s = S.toFloat64();
  let e = 0;
  for (let i = 0; i < k; i++) if (exact[i] > floor * exact[0]) e = Math.max(e, Math.abs(s[i] / exact[i] - 1));
  return e;
}

/** σᵢ = 10^(−i·decades/15), i < 20: σ₁₆/σ₁ = 10^(−decades), the range of 16 triplets, in a rank-20 M. */
const graded = (decades: number) => Array.from({ length: 20 }, (_, i) => 10 ** ((-i * decades) / 15));

describe('the Rayleigh–Ritz step by the f64 Gram (svd_gram.cc)', () => {
  test.each(methods)('%s: σ₁₆/σ₁ = 1e-3 and 3e-5 take the Gram path: Vᵀ orthonormal to 1e-7, beyond an f32 SVD of B', (method) => {
    // Vᵀ = Λ^-½·Wᵀ·B formed in f64 and rounded once: measured ≈ 1e-8 (both methods, both spectra), where the exact
    // f32 SVD of B (the fallback, and what this step replaced) leaves ≈ 5e-7. So this fails if the threshold (λ ratio
    // 1e-10, σ ratio 1e-5) sent either there. Neither sits on the threshold (3e-5 is λ ratio 1e-9).
    for (const decades of [3, 4.5]) {
      const M = Tensor.fromFloat64(withSpectrum(m, n, graded(decades), 5), [m, n], 'f32');
      const res = svd(M, opts(16, method));
      expect(orthoErrorOf(res.Vt, true)).toBeLessThan(1e-7);
      expect(orthoErrorOf(res.U)).toBeLessThan(2e-6);
      // Measured ≤ 1.8e-6 at 3 decades, ≤ 9e-5 at 4.5 (there f32 products of M bound what any Rayleigh–Ritz step
      // gives for the smallest σ).
      expect(sigmaError(M, res.S, 16)).toBeLessThan(decades === 3 ? 1e-5 : 2e-4);
    }
  });

  test.each(methods)('%s: σ₁₆/σ₁ = 1e-7, 1e-8 and 1e-10 (below the 1e-5 threshold) fall back: U and Vᵀ orthonormal to f32 rounding', (method) => {
    // Here λ₁₆ is at or below the Gram's rounding: Bᵀ·wᵢ/σᵢ measured 7e-4 to 0.3 from orthonormal. The exact SVD's Vᵀ
    // is orthonormal regardless.
    for (const decades of [7, 8, 10]) {
      const M = Tensor.fromFloat64(withSpectrum(m, n, graded(decades), 5), [m, n], 'f32');
      const res = svd(M, opts(16, method));
      expect(orthoErrorOf(res.Vt, true)).toBeLessThan(2e-6);
      expect(orthoErrorOf(res.U)).toBeLessThan(2e-6);
      // σ down to 1e-4·σ₁ to 1e-4 (f32 products of M bound what any Rayleigh–Ritz step can give below that).
      expect(sigmaError(M, res.S, 16, 1e-4)).toBeLessThan(1e-4);
    }
  });

  test.each(methods)('%s: a rank-3 M asked for 6 triplets: σ₄…₆ ≈ 0 and U, Vᵀ still orthonormal (no 1/σ of a zero σ)', (method) => {
    const M = Tensor.fromFloat64(withSpectrum(m, n, [3, 2, 1], 5), [m, n], 'f32');
    const res = svd(M, opts(6, method));
    const s = res.S.toFloat64();
    expect(Array.from(s).every(Number.isFinite)).toBe(true);
    for (let i = 3; i < 6; i++) expect(s[i]).toBeLessThan(1e-6 * s[0]);
    expect(sigmaError(M, res.S, 3)).toBeLessThan(1e-6);
    expect(orthoErrorOf(res.Vt, true)).toBeLessThan(2e-6);
    expect(orthoErrorOf(res.U)).toBeLessThan(5e-6);
  });

  test('the Gram is f64: σ of a 1/i spectrum at κ = 65 to 1e-5 (an f32 Gram: ε₃₂·l·κ² ≈ 3e-2)', () => {
    const M = Tensor.fromFloat64(withSpectrum(m, n, Array.from({ length: n }, (_, i) => 1 / (i + 1)), 5), [m, n], 'f32');
    const res = svd(M, opts(65, 'randomized'));
    expect(sigmaError(M, res.S, 65)).toBeLessThan(1e-5); // measured 1.8e-6
  });

  test('an f64 M keeps the exact SVD of B: Vᵀ orthonormal to f64 rounding (the Gram path: 3e-13 here)', () => {
    // Rank 40 with σ from 1 to 1e-4: a 50-column range finder holds the range exactly, so the errors are the
    // Rayleigh–Ritz step's own. Measured: σ 4e-14, Vᵀ 3e-15 from orthonormal (through the Gram: 3e-13).
    const spectrum = Array.from({ length: 40 }, (_, i) => 10 ** ((-4 * i) / 39));
    const M = Tensor.fromFloat64(withSpectrum(m, n, spectrum, 6), [m, n], 'f64');
    const res = svd(M, { k: 40, method: 'randomized', oversample: 10, powerIters: 2, seed: 1 });
    expect(sigmaError(M, res.S, 40)).toBeLessThan(1e-11);
    expect(orthoErrorOf(res.Vt, true)).toBeLessThan(3e-14);
  });
});
