// svd method 'krylov' (csrc/composite/block_krylov.cc): randomized block Krylov, the basis
// [M·Ω, (M·Mᵀ)·M·Ω, …, (M·Mᵀ)^p·M·Ω] kept whole, then an exact SVD of its projection. Pinned against float64
// references: captured energy on flat spectra (where it must beat the randomized SVD's power iterations from no more
// products of M), subspaces on decaying ones, exhaustion of the Krylov space on rank-deficient and zero matrices, and
// the subspace a float64 Householder implementation of the same algorithm finds.
import { Tensor, initLoraGA, initLoraOne, initPiSSA, matmul, orthonormalize, svd, svdBatched } from '../lib';
import { LoraValueError } from '../lib/errors';
import { refMatmul, withSpectrum } from './helpers/ref';
import { captured, firstCols, minPrincipalCos, orthoErrorOf } from './helpers/subspace';

const m = 300, n = 200;

/** max over i < k of ‖M·vᵢ − σᵢ·uᵢ‖ / σ₁ in float64 from the stored M. */
function tripletResidual(Mv: Float64Array, rows: number, cols: number, res: { U: Tensor; S: Tensor; Vt: Tensor }): number {
  const k = res.S.size, u = res.U.toFloat64(), s = res.S.toFloat64(), vt = res.Vt.toFloat64();
  let worst = 0;
  for (let i = 0; i < k; i++) {
    let r2 = 0;
    for (let a = 0; a < rows; a++) {
      let acc = 0;
      for (let b = 0; b < cols; b++) acc += Mv[a * cols + b] * vt[i * cols + b];
      r2 += (acc - s[i] * u[a * k + i]) ** 2;
    }
    worst = Math.max(worst, Math.sqrt(r2));
  }
  return worst / (s[0] || 1);
}

// LoRA-GA's use: 2r directions (+1 for the gap at 2r), r = 8.
const r = 8, k = 2 * r + 1;
const krylov = { k, method: 'krylov' as const, oversample: 0, powerIters: 4, seed: 3 };
const randomized = { k, method: 'randomized' as const, oversample: 2 * r - 1, powerIters: 4, seed: 3 };

describe("svd method 'krylov' vs an exact float64 SVD", () => {
  test.each([11, 12, 13])('flat spectrum (Gaussian, seed %d): more captured rank-2r energy than the randomized SVD with twice the columns', (seed) => {
    // The same passes over M (10; randomized: 11) with blocks of 2r + 1 columns instead of 4r: block Krylov keeps the
    // whole space the iterations visit. Measured on 4 matrices × 4 seeds: Krylov 0.993–0.997, randomized 0.983–0.990,
    // never less than 0.005 apart; the test asks 0.003 (and ≥ 0.99 outright).
    const flat = Tensor.randn([m, n], 'f64', 'cpu', seed).toFloat64();
    const exact = svd(Tensor.fromFloat64(flat, [m, n], 'f64'), { k: 2 * r }).S.toFloat64();
    const M = Tensor.fromFloat64(flat, [m, n], 'f32');
    const kr = svd(M, krylov), rs = svd(M, randomized);
    const eK = captured(flat, kr.U, kr.Vt, 2 * r, exact), eR = captured(flat, rs.U, rs.Vt, 2 * r, exact);
    expect(eK).toBeGreaterThan(0.99);
    expect(eK).toBeGreaterThan(eR + 0.003);
    expect(eK).toBeLessThan(1 + 1e-5);
    // U and V orthonormal to f32 rounding (a few ε), and uᵢ, σᵢ, vᵢ a consistent triplet: M·vᵢ = σᵢ·uᵢ up to the
    // part of M outside the basis, which on a flat spectrum is not small; checked on the decaying ones below.
    expect(orthoErrorOf(kr.U)).toBeLessThan(2e-6);
    expect(orthoErrorOf(kr.Vt, true)).toBeLessThan(2e-6);
  });

  const decaying: [string, number[], number][] = [
    // σᵢ = 1/i: the 5-block basis (85 columns) holds the top 17 directions to f32 rounding.
    ['power law 1/i', Array.from({ length: n }, (_, i) => 1 / (i + 1)), 0.99999],
    // 0.7^i: later blocks are ill-conditioned (κ ≫ 700, the CholeskyQR threshold) and take the Householder path.
    ['exponential 0.7^i', Array.from({ length: n }, (_, i) => 0.7 ** i), 0.99999],
  ];
  test.each(decaying)('%s: energy, top-r subspace and triplet residuals as the exact SVD', (_name, spectrum, minEnergy) => {
    const Mv = withSpectrum(m, n, spectrum, 13);
    const exact = svd(Tensor.fromFloat64(Mv, [m, n], 'f64'), { k: 40 });
    const res = svd(Tensor.fromFloat64(Mv, [m, n], 'f32'), krylov);
    expect(captured(Mv, res.U, res.Vt, 2 * r, exact.S.toFloat64())).toBeGreaterThan(minEnergy);
    expect(orthoErrorOf(res.U)).toBeLessThan(2e-6);
    expect(orthoErrorOf(res.Vt, true)).toBeLessThan(2e-6);
    const cos = minPrincipalCos(firstCols(res.U.toFloat64(), m, k, r), firstCols(exact.U.toFloat64(), m, 40, r), m, r);
    expect(cos).toBeGreaterThan(1 - 1e-5);
    // σ to f32 rounding of M (relative to σ₁), and ‖M·vᵢ − σᵢuᵢ‖ ≤ 1e-5·σ₁ for all 17 triplets.
    const s = res.S.toFloat64(), e = exact.S.toFloat64();
    for (let i = 0; i < k; i++) expect(Math.abs(s[i] - e[i])).toBeLessThan(1e-5 * e[0]);
    expect(tripletResidual(Mv, m, n, res)).toBeLessThan(1e-5);
  });

  test('rank-deficient (rank 10 < the 85-column basis): the Krylov space runs out, the result is the exact rank-10 SVD', () => {
    // Block 1 already holds range(M); block 2 is rounding noise inside it: the iteration stops with the blocks so far
    // (an orthonormal basis), and the 7 directions beyond the rank get σ ≈ 0 with orthonormal vectors.
    const spectrum = Array.from({ length: 10 }, (_, i) => 10 - i);
    const Mv = withSpectrum(m, n, spectrum, 14);
    const res = svd(Tensor.fromFloat64(Mv, [m, n], 'f32'), krylov);
    expect(res.U.isFinite() && res.S.isFinite() && res.Vt.isFinite()).toBe(true);
    expect(orthoErrorOf(res.U)).toBeLessThan(2e-6);
    expect(orthoErrorOf(res.Vt, true)).toBeLessThan(2e-6);
    const s = res.S.toFloat64();
    for (let i = 0; i < 10; i++) expect(Math.abs(s[i] - spectrum[i])).toBeLessThan(1e-5 * 10);
    for (let i = 10; i < k; i++) expect(s[i]).toBeLessThan(1e-5 * 10);
    expect(tripletResidual(Mv, m, n, res)).toBeLessThan(1e-5);
  });

  test('a zero matrix: σ = 0 and orthonormal U and V (the first block is Householder\'s basis of nothing), no NaN', () => {
    const res = svd(Tensor.zeros([60, 40]), { k: 5, method: 'krylov', powerIters: 4, oversample: 0 });
    expect(Array.from(res.S.toFloat64())).toEqual([0, 0, 0, 0, 0]);
    expect(orthoErrorOf(res.U)).toBeLessThan(1e-6);
    expect(res.U.isFinite() && res.Vt.isFinite()).toBe(true);
  });

  test('an exactly rank-2 matrix (exact zeros elsewhere): the second block is nothing new and is not kept (σ not doubled)', () => {
    // M·Mᵀ·Q₀ lies exactly in span(Q₀): after Gram–Schmidt the block is zero, and any basis made of it (Householder's
    // of a zero block is e₁, e₂, …) would repeat directions already in Q₀, counting their energy twice in B = Qᵀ·M.
    const M = Tensor.zeros([20, 10]);
    M.data[0] = 3;
    M.data[10 + 1] = 2;
    const res = svd(M, { k: 3, method: 'krylov', oversample: 0, powerIters: 3 });
    const s = res.S.toFloat64();
    expect(Math.abs(s[0] - 3)).toBeLessThan(1e-6);
    expect(Math.abs(s[1] - 2)).toBeLessThan(1e-6);
    expect(s[2]).toBeLessThan(1e-6);
    expect(orthoErrorOf(res.U)).toBeLessThan(1e-6);
    expect(orthoErrorOf(res.Vt, true)).toBeLessThan(1e-6);
  });

  test.each([
    // An embedding's gradient from a batch with 32 distinct tokens has 32 non-zero rows: range(M) is used up after
    // exactly 4 blocks of 8, and every product after that is rounding noise inside those 32 coordinates — a block as
    // well conditioned as a random one. Normalised, it repeated directions of Q (σ up to 2.2× the exact before the
    // test on what the second projection leaves).
    ['32 non-zero rows, blocks of 8', 200, 300, 32, 8, 4],
    ['16 non-zero rows, blocks of 8', 200, 300, 16, 8, 4],
    // Blocks of one column: the fuzz's case (3×3 with a zero row, k = 1); a 1×1 Gram matrix is never ill-conditioned.
    ['2 non-zero rows of 3, one column a block', 3, 3, 2, 1, 2],
    ['3 non-zero rows of 50, one column a block', 50, 40, 3, 1, 4],
  ] as const)('the space running out at a block boundary (%s): the noise block is not kept, σ ≤ exact σ, U and V orthonormal', (_name, rows, cols, nonZero, kk, iters) => {
    for (const dtype of ['f32', 'f64'] as const) {
      const g = Tensor.randn([rows, cols], 'f64', 'cpu', 23).toFloat64().map((x, i) => (i < nonZero * cols ? x : 0));
      const exact = svd(Tensor.fromFloat64(g, [rows, cols], 'f64'), { k: kk }).S.toFloat64();
      const res = svd(Tensor.fromFloat64(g, [rows, cols], dtype), { k: kk, method: 'krylov', oversample: 0, powerIters: iters, seed: 5 });
      const s = res.S.toFloat64(), tol = dtype === 'f32' ? 2e-6 : 1e-13;  // a few ε of the storage dtype
      // A Rayleigh–Ritz value from an orthonormal basis never exceeds the exact one; here the basis holds range(M),
      // so they agree.
      for (let i = 0; i < kk; i++) expect(Math.abs(s[i] - exact[i])).toBeLessThan(tol * exact[0]);
      expect(orthoErrorOf(res.U)).toBeLessThan(tol);
      expect(orthoErrorOf(res.Vt, true)).toBeLessThan(tol);
      expect(tripletResidual(g, rows, cols, res)).toBeLessThan(tol * 10);
    }
  });

  test('scale: M·10⁻³⁰ … M·10³⁰ stored in f32 give the same σ times the scale and orthonormal U (M·Mᵀ·Qᵢ squares the scale)', () => {
    // The fuzz's 2×4 M with entries ~1e-30: M·Mᵀ·Q₀ (~1e-60) underflowed f32, the iteration stopped at Q₀ and σ₁
    // came out 18 % low; entries ~1e25 overflowed it (a LoraValueError). Past 2^±40 the iteration runs in f64.
    const Mv = withSpectrum(120, 80, Array.from({ length: 80 }, (_, i) => 1 / (i + 1)), 31);
    const o = { k: 6, method: 'krylov' as const, oversample: 0, powerIters: 4, seed: 1 };
    const ref = svd(Tensor.fromFloat64(Mv, [120, 80], 'f32'), o).S.toFloat64();
    for (const scale of [1e-30, 1e-20, 1e-13, 1e13, 1e25, 1e30]) {
      const res = svd(Tensor.fromFloat64(Mv.map((x) => x * scale), [120, 80], 'f32'), o);
      const s = res.S.toFloat64();
      for (let i = 0; i < 6; i++) expect([scale, i, Math.abs(s[i] / scale - ref[i]) / ref[0] < 1e-5]).toEqual([scale, i, true]);
      expect(orthoErrorOf(res.U)).toBeLessThan(2e-6);
      expect(orthoErrorOf(res.Vt, true)).toBeLessThan(2e-6);
    }
  });

  test('a basis that fills min(m, n) (4 blocks of 10 for 40 columns) gives the exact singular values', () => {
    const Mv = Tensor.randn([60, 40], 'f64', 'cpu', 21).toFloat64();
    const exact = svd(Tensor.fromFloat64(Mv, [60, 40], 'f64'), { k: 10 }).S.toFloat64();
    const res = svd(Tensor.fromFloat64(Mv, [60, 40], 'f32'), { k: 10, method: 'krylov', oversample: 0, powerIters: 3 });
    const s = res.S.toFloat64();
    for (let i = 0; i < 10; i++) expect(Math.abs(s[i] - exact[i])).toBeLessThan(1e-5 * exact[0]);
    // More blocks than fit are not taken (powerIters 50 stops at 4 blocks): the same answer, still orthonormal.
    const capped = svd(Tensor.fromFloat64(Mv, [60, 40], 'f32'), { k: 10, method: 'krylov', oversample: 0, powerIters: 50 });
    for (let i = 0; i < 10; i++) expect(Math.abs(capped.S.toFloat64()[i] - exact[i])).toBeLessThan(1e-5 * exact[0]);
    expect(orthoErrorOf(capped.U)).toBeLessThan(2e-6);
  });

  test('the subspace of a float64 Householder implementation of the same algorithm (the algorithm, not just an accurate SVD)', () => {
    // Reference: blocks Q₀ = qr(M·Ω), Qᵢ₊₁ = qr((I − QQᵀ)·M·Mᵀ·Qᵢ) in float64, then the SVD of Qᵀ·M. Two blocks
    // (powerIters 1) on a slowly decaying spectrum (1/√i) find a top-16 subspace far from the exact one (smallest
    // cosine 0.34), so only the same Krylov space gives the same answer (measured: 1 − cos = 5e-7).
    const opts = { ...krylov, powerIters: 1 };
    const Mv = withSpectrum(m, n, Array.from({ length: n }, (_, i) => 1 / Math.sqrt(i + 1)), 15);
    const M64 = Tensor.fromFloat64(Mv, [m, n], 'f64');
    const b = k;
    const blocks: Float64Array[] = [orthonormalize(matmul(M64, Tensor.randn([n, b], 'f64', 'cpu', krylov.seed))).toFloat64()];
    for (let i = 0; i < opts.powerIters; i++) {
      const last = Tensor.fromFloat64(blocks[blocks.length - 1], [m, b], 'f64');
      const y = matmul(M64, matmul(M64, last, { transA: true })).toFloat64();
      for (let pass = 0; pass < 2; pass++)
        for (const q of blocks) {
          const c = refMatmul(q, m, b, y, m, b, true, false);
          const qc = refMatmul(q, m, b, c, b, b);
          for (let j = 0; j < y.length; j++) y[j] -= qc[j];
        }
      blocks.push(orthonormalize(Tensor.fromFloat64(y, [m, b], 'f64')).toFloat64());
    }
    const width = b * blocks.length, Q = new Float64Array(m * width);
    blocks.forEach((q, i) => { for (let a = 0; a < m; a++) for (let j = 0; j < b; j++) Q[a * width + i * b + j] = q[a * b + j]; });
    const Qt = Tensor.fromFloat64(Q, [m, width], 'f64');
    const ref = svd(matmul(Qt, M64, { transA: true }), { k: 2 * r });
    const Uref = matmul(Qt, ref.U).toFloat64();
    const res = svd(Tensor.fromFloat64(Mv, [m, n], 'f32'), opts);
    expect(minPrincipalCos(firstCols(res.U.toFloat64(), m, k, 2 * r), Uref, m, 2 * r)).toBeGreaterThan(1 - 1e-5);
    const exact = svd(M64, { k: 2 * r });
    expect(minPrincipalCos(firstCols(exact.U.toFloat64(), m, 2 * r, 2 * r), Uref, m, 2 * r)).toBeLessThan(0.9);
  });

  test('bf16 storage is factored in f32; the same seed gives the same result; svdBatched runs the same per matrix', () => {
    const Mv = withSpectrum(m, n, Array.from({ length: n }, (_, i) => 1 / (i + 1)), 16);
    const bf = Tensor.fromFloat64(Mv, [m, n], 'bf16');
    const one = svd(bf, krylov), again = svd(bf, krylov);
    expect(one.U.dtype).toBe('f32');
    expect(Array.from(again.S.toFloat64())).toEqual(Array.from(one.S.toFloat64()));
    const { seed, ...common } = krylov;
    const batch = svdBatched([bf, Tensor.fromFloat64(Mv, [m, n], 'f32')], { ...common, seeds: [seed, seed] });
    const s0 = batch[0].S.toFloat64(), s1 = one.S.toFloat64();
    // A batch may run BLAS single-threaded (another summation order): equal to f32 rounding, not bit for bit.
    for (let i = 0; i < k; i++) expect(Math.abs(s0[i] - s1[i])).toBeLessThan(1e-5 * s1[0]);
  });

  test('an unknown method names the three', () => {
    expect(() => svd(Tensor.zeros([4, 4]), { method: 'lanczos' as never })).toThrow(LoraValueError);
    expect(() => svd(Tensor.zeros([4, 4]), { method: 'lanczos' as never })).toThrow(/'exact', 'randomized' or 'krylov', got lanczos/);
  });
});

describe("initLoraGA svd: 'krylov'", () => {
  test('captures more of a flat G\'s top-2r energy than the default randomized SVD; the report says krylov and measures residuals', () => {
    const G = Tensor.randn([m, n], 'f32', 'cpu', 31), W = Tensor.randn([m, n], 'f32', 'cpu', 32);
    const kr = initLoraGA(W, G, { rank: r, alpha: 2 * r, svd: 'krylov' });
    const rs = initLoraGA(W, G, { rank: r, alpha: 2 * r });
    expect(kr.report?.method).toBe('krylov');
    expect(kr.report?.tripletResidual).toBeGreaterThan(0);
    // report.energy: the captured share of ‖G‖²_F in the 2r directions used (G's own σ over its Frobenius norm).
    expect(kr.report!.energy).toBeGreaterThan(rs.report!.energy);
  });
});

describe("the inits' krylov default: no oversampling (its blocks are as wide as the directions used)", () => {
  const G = Tensor.randn([60, 40], 'f32', 'cpu', 41), W = Tensor.randn([60, 40], 'f32', 'cpu', 42), rank = 3;
  const bits = (res: { A: Tensor; B: Tensor }) => [Array.from(res.A.data), Array.from(res.B.data)];
  test.each([
    ['initLoraGA', (o: object) => initLoraGA(W, G, { rank, alpha: 2 * rank, svd: 'krylov', ...o }), 2 * rank],
    ['initPiSSA', (o: object) => initPiSSA(W, { rank, alpha: 2 * rank, svd: 'krylov', ...o }), rank],
    ['initLoraOne', (o: object) => initLoraOne(G, { rank, alpha: 2 * rank, svd: 'krylov', ...o }), 3 * rank],
  ] as const)('%s: the default is oversample 0, not the randomized SVD\'s default', (_, init, randomizedDefault) => {
    const dflt = bits(init({}));
    expect(dflt).toEqual(bits(init({ oversample: 0 })));
    expect(dflt).not.toEqual(bits(init({ oversample: randomizedDefault })));
  });
});
