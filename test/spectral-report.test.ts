/**
 * The spectral report every SVD-based init returns (lib/init/spectrum.ts): the leading singular values, the relative
 * gaps that decide the split at r and 2r, the smallest gap among the directions used, the energy they capture, and
 * warnings naming an ill-determined split — checked on gradients of known spectrum (a diagonal G: its singular
 * values are its diagonal).
 */
import { GradientEstimator, Tensor, initAdapters, initLoraGA, initLoraOne, initPiSSA } from '../lib';
import { randTensor, relErr, withSpectrum } from './helpers/ref';

/** [out, in] f64 with S on the diagonal. */
function diag(out: number, inF: number, S: number[]): Tensor {
  const d = new Float64Array(out * inF);
  S.forEach((s, i) => { d[i * inF + i] = s; });
  return Tensor.from(d, [out, inF]);
}

const S = [10, 8, 6, 5, 3, 2, 1, 0.5];
const total = S.reduce((a, s) => a + s * s, 0);
const W = Tensor.fromFloat64(new Float64Array(12 * 10).map((_, i) => Math.sin(i + 1)), [12, 10], 'f64');

describe('LoRA-GA (r = 2: 2r = 4 directions used)', () => {
  test('σ₁…σ₂ᵣ₊₁, the gaps at r and 2r, the smallest gap among the 2r directions, the energy of the top 2r', () => {
    const rep = initLoraGA(W, diag(12, 10, S), { rank: 2, alpha: 4, svd: 'exact', precision: 'f64' }).report!;
    expect(rep.method).toBe('exact');
    expect(rep.sigma.length).toBe(5);
    rep.sigma.forEach((s, i) => expect(s).toBeCloseTo(S[i], 10));
    expect(rep.gapR).toBeCloseTo((8 - 6) / 8, 10);
    expect(rep.gap2R).toBeCloseTo((5 - 3) / 5, 10);
    expect(rep.minGap).toBeCloseTo((6 - 5) / 6, 10);
    expect(rep.energy).toBeCloseTo((100 + 64 + 36 + 25) / total, 10);
    expect(rep.warnings).toEqual([]);
  });

  test('a split within the gap tolerance warns, naming the directions and the gap; directions ArBr check every consecutive gap', () => {
    const G = diag(12, 10, S);
    const ab2r = initLoraGA(W, G, { rank: 2, alpha: 4, svd: 'exact', precision: 'f64', gapTolerance: 0.3 }).report!;
    expect(ab2r.warnings).toEqual([
      'G: σ2 and σ3 are within a relative gap of 2.50e-1 (< 0.3): the split after direction 2 is ill-determined, so the init is not stable under small changes of G (gap at r)',
    ]);
    const arbr = initLoraGA(W, G, { rank: 2, alpha: 4, svd: 'exact', precision: 'f64', gapTolerance: 0.19, direction: 'ArBr' }).report!;
    expect(arbr.warnings).toEqual([
      'G: σ3 and σ4 are within a relative gap of 1.67e-1 (< 0.19): the split after direction 3 is ill-determined, so the init is not stable under small changes of G (consecutive directions)',
    ]);
  });

  test('the gap tolerance is strict: a gap equal to it does not warn, one just below it does', () => {
    const G = diag(12, 10, S);
    const gap = initLoraGA(W, G, { rank: 2, alpha: 4, svd: 'exact', precision: 'f64' }).report!.gapR;
    const at = initLoraGA(W, G, { rank: 2, alpha: 4, svd: 'exact', precision: 'f64', gapTolerance: gap }).report!;
    expect(at.warnings).toEqual([]);
    const above = initLoraGA(W, G, { rank: 2, alpha: 4, svd: 'exact', precision: 'f64', gapTolerance: gap * (1 + 1e-12) }).report!;
    expect(above.warnings).toHaveLength(1);
  });

  test('a G with only 2r singular values (min(out, in) = 2r): σ has 2r values, no gap at 2r; a zero G warns', () => {
    const W4 = Tensor.fromFloat64(new Float64Array(4 * 4).map((_, i) => Math.cos(i)), [4, 4], 'f64');
    const r4 = initLoraGA(W4, diag(4, 4, [4, 3, 2, 1]), { rank: 2, alpha: 4, svd: 'exact', precision: 'f64' }).report!;
    expect(r4.sigma.length).toBe(4);
    expect(r4.gapR).toBeCloseTo(1 / 3, 10);
    expect(r4.gap2R).toBeNaN();
    expect(r4.minGap).toBeCloseTo(1 / 4, 10);
    expect(r4.energy).toBeCloseTo(1, 10);
    const z = initLoraGA(W4, Tensor.zeros([4, 4], 'f64'), { rank: 2, alpha: 4, svd: 'exact', precision: 'f64' }).report!;
    expect(z.energy).toBeNaN();
    expect(z.warnings).toContain('G is zero: every direction is arbitrary');
  });
});

describe('energy: Σσᵢ² of the directions used over ‖M‖²_F, with M read in its own dtype', () => {
  test('an f64 M is not rounded to f32 on the way (its norm to float64 rounding)', () => {
    // Diagonal entries that float32 cannot hold: rounded, ‖M‖²_F would be off by ~1e-8 relative.
    const S64 = [10.1, 8.3, 6.7, 5.2, 3.3, 2.9, 1.1, 0.7];
    const want = (10.1 ** 2 + 8.3 ** 2 + 6.7 ** 2) / S64.reduce((a, x) => a + x * x, 0);
    const rep = initPiSSA(diag(12, 10, S64), { rank: 3, alpha: 6, svd: 'exact', precision: 'f64' }).report!;
    expect(Math.abs(rep.energy - want)).toBeLessThan(1e-14);
  });

  test('a bf16 or f16 M is read by value (not by its raw 16-bit words)', () => {
    // The values of S (10 … 0.5) are exact in bf16 and f16.
    for (const dt of ['bf16', 'f16'] as const) {
      const rep = initPiSSA(diag(12, 10, S).to(dt), { rank: 3, alpha: 6, svd: 'exact', precision: 'f64' }).report!;
      expect(rep.energy).toBeCloseTo((100 + 64 + 36) / total, 12);
    }
  });
});

describe('which gaps are judged, and how each warning is labelled', () => {
  const warnText = (i: number, g: number, tol: number, label: string) =>
    `G: σ${i} and σ${i + 1} are within a relative gap of ${g.toExponential(2)} (< ${tol}): the split after direction ${i} is ill-determined, so the init is not stable under small changes of G (${label})`;

  test('ArB2r (the default) judges the split after 2r on its own: a small gap there is named with its directions', () => {
    const S2 = [10, 8, 6, 5, 4.99, 2, 1, 0.5];
    const rep = initLoraGA(W, diag(12, 10, S2), { rank: 2, alpha: 4, svd: 'exact', precision: 'f64', gapTolerance: 0.01 }).report!;
    expect(rep.warnings).toEqual([warnText(4, (5 - 4.99) / 5, 0.01, 'gap at 2r')]);
  });

  test('ArBr judges every consecutive gap among the 2r directions; the split after r is one of them, reported once', () => {
    const S2 = [10, 5, 4.9, 2, 1, 0.5, 0.2, 0.1];
    const rep = initLoraGA(W, diag(12, 10, S2), { rank: 2, alpha: 4, svd: 'exact', precision: 'f64', gapTolerance: 0.1, direction: 'ArBr' }).report!;
    expect(rep.warnings).toEqual([warnText(2, (5 - 4.9) / 5, 0.1, 'consecutive directions')]);
  });

  test('ArBr: a consecutive gap equal to the tolerance does not end the search; the first one below it is reported', () => {
    const G = diag(12, 10, S);
    const s = initLoraGA(W, G, { rank: 2, alpha: 4, svd: 'exact', precision: 'f64' }).report!.sigma;
    const tol = (s[0] - s[1]) / s[0]; // the relative gap σ₁ → σ₂ exactly as the report measures it (0.2)
    const rep = initLoraGA(W, G, { rank: 2, alpha: 4, svd: 'exact', precision: 'f64', gapTolerance: tol, direction: 'ArBr' }).report!;
    // Gaps 0.2 (= tol), 0.25, then (6 − 5)/6 below tol.
    expect(rep.warnings).toEqual([warnText(3, (6 - 5) / 6, tol, 'consecutive directions')]);
  });

  test('a sketch holds more triplets than the 2r + 1 the report shows: gaps past the 2r used directions are not judged', async () => {
    // G = diag(S2) from one batch (X rows e_i, dY rows σᵢ·e_i), of rank 6 < the sketch size 8, so the sketch holds all
    // of it: σ₅ and σ₆ are within 5e-4 of each other, but only σ₁…σ₄ are used (r = 2).
    const S2 = [10, 8, 6, 4, 0.02, 0.01999], out = 12, inF = 10, T = S2.length;
    const X = new Float32Array(T * inF), dY = new Float32Array(T * out);
    S2.forEach((v, i) => { X[i * inF + i] = 1; dY[i * out + i] = v; });
    const est = new GradientEstimator().register('m', out, inF, { sketch: { size: 8 } });
    est.accumulate('m', Tensor.from(X, [T, inF]), Tensor.from(dY, [T, out]));
    est.nextPass();
    const rep = (await initAdapters({ m: W }, est, { rank: 2, alpha: 4, svd: 'sketch', direction: 'ArBr' })).modules.m.report!;
    expect(rep.method).toBe('sketch');
    expect(relErr(rep.sigma, S2.slice(0, 5))).toBeLessThan(1e-5);
    expect(rep.warnings).toEqual([]);
  });
});

describe('precision: the SVD runs in the precision asked for, whatever the dtype of G', () => {
  // G [5, 2] f32: its σ² are the eigenvalues of the 2×2 GᵀG, in closed form (float64, from G's exact f32 values).
  const G = Tensor.from(new Float32Array([0.3, -1.7, 2.1, 0.4, -0.9, 1.3, 1.1, 0.8, -0.2, 2.5]), [5, 2]);
  const g = G.toFloat64();
  let a = 0, b = 0, c = 0;
  for (let i = 0; i < 5; i++) { a += g[2 * i] ** 2; b += g[2 * i] * g[2 * i + 1]; c += g[2 * i + 1] ** 2; }
  const mid = (a + c) / 2, half = Math.sqrt(((a - c) / 2) ** 2 + b * b);
  const want = [Math.sqrt(mid + half), Math.sqrt(mid - half)];

  test("'f64' factors an f32 G in float64: σ within 1e-13 of the closed form", () => {
    const rep = initLoraOne(G, { rank: 1, alpha: 1, svd: 'exact', precision: 'f64' }).report!;
    expect(rep.sigma.length).toBe(2);
    expect(relErr(rep.sigma, want)).toBeLessThan(1e-13);
  });

  test("'f32' factors in float32, an f64 G too: every σ is a float32 number, within float32 rounding of the closed form", () => {
    for (const M of [G, G.to('f64')]) {
      const sigma = initLoraOne(M, { rank: 1, alpha: 1, svd: 'exact', precision: 'f32' }).report!.sigma;
      expect(sigma.map((v) => Math.fround(v))).toEqual(sigma);
      expect(relErr(sigma, want)).toBeLessThan(1e-6);
    }
  });
});

describe('LoRA-One (r directions used, the gap at r)', () => {
  test('the report is of G with r directions (σ₁…σᵣ₊₁); noReport leaves it out; a tiny gap at r warns', () => {
    const rep = initLoraOne(diag(12, 10, S), { rank: 3, alpha: 4, svd: 'exact', precision: 'f64' }).report!;
    expect(rep.sigma.length).toBe(4);
    expect(rep.gapR).toBeCloseTo((6 - 5) / 6, 10);
    expect(rep.minGap).toBeCloseTo((6 - 5) / 6, 10);
    expect(rep.energy).toBeCloseTo((100 + 64 + 36) / total, 10);
    expect(initLoraOne(diag(12, 10, S), { rank: 3, alpha: 4, svd: 'exact', noReport: true }).report).toBeUndefined();
    const w = initLoraOne(diag(12, 10, [10, 8, 6, 5.999, 1]), { rank: 3, alpha: 4, svd: 'exact', precision: 'f64' }).report!.warnings;
    expect(w.length).toBe(1);
    expect(w[0]).toMatch(/^G: σ3 and σ4 are within a relative gap of 1\.67e-4 \(< 0\.001\): .*\(gap at r\)$/);
    const full = initLoraOne(diag(3, 3, [3, 2, 1]), { rank: 3, alpha: 4, svd: 'exact', precision: 'f64' }).report!;
    expect({ n: full.sigma.length, gapR: full.gapR }).toEqual({ n: 3, gapR: NaN });
  });

  test('randomized (the default) finds the same top directions as exact on a gapped spectrum', () => {
    const G = diag(40, 30, [50, 20, 10, 1, 0.5, 0.2, 0.1]);
    const r = initLoraOne(G, { rank: 2, alpha: 4 }), e = initLoraOne(G, { rank: 2, alpha: 4, svd: 'exact' });
    expect(r.report!.method).toBe('randomized');
    const a = r.A.toFloat64(), b = e.A.toFloat64();
    // Rows of A agree up to sign.
    for (let i = 0; i < 2; i++) {
      let dot = 0;
      for (let j = 0; j < 30; j++) dot += a[i * 30 + j] * b[i * 30 + j];
      let na = 0, nb = 0;
      for (let j = 0; j < 30; j++) { na += a[i * 30 + j] ** 2; nb += b[i * 30 + j] ** 2; }
      expect(Math.abs(dot) / Math.sqrt(na * nb)).toBeGreaterThan(0.999);
    }
  });
});

test('a G with a single singular value has no gap to measure: minGap is NaN', () => {
  const rep = initLoraOne(diag(1, 3, [2]), { rank: 1, alpha: 1, svd: 'exact', precision: 'f64' }).report!;
  expect({ sigma: rep.sigma, gapR: rep.gapR, minGap: rep.minGap }).toEqual({ sigma: [2], gapR: NaN, minGap: NaN });
});

describe("the warning when a randomized SVD cannot resolve a split (Wedin's bound residual / gap ≥ 1)", () => {
  const G = Tensor.randn([120, 80], 'f32', 'cpu', 5), W = Tensor.randn([120, 80], 'f32', 'cpu', 6);
  // The README's statement, from the report's own numbers: residual = tripletResidual·σ₁, gap = σᵢ − σᵢ₊₁, warn when
  // residual / gap ≥ 1 (sin θ ≤ that bound guarantees nothing).
  const wedin = (name: string, S: number[], res2: number, splits: number[]) =>
    splits
      .filter((i) => (res2 * S[0]) / (S[i - 1] - S[i]) >= 1)
      .map((i) => `${name}: randomized SVD cannot resolve the split after direction ${i}: residual ${(res2 * S[0]).toExponential(2)} ≥ gap σ${i} − σ${i + 1} = ${(S[i - 1] - S[i]).toExponential(2)} (bound sin θ ≤ ${((res2 * S[0]) / (S[i - 1] - S[i])).toFixed(2)}): use svd 'exact' or more power iterations`);
  const resolveWarnings = (w: string[]) => w.filter((x) => x.includes('cannot resolve'));

  test('a crude randomized SVD of a flat G (no oversampling, no power iteration): a warning per split it cannot resolve, with its numbers', () => {
    const res = initLoraGA(W, G, { rank: 4, alpha: 8, svd: 'randomized', oversample: 0, powerIters: 0 });
    const { sigma, tripletResidual } = res.report!;
    const expected = wedin('G', sigma, tripletResidual!, [4, 8]);
    expect(expected).toHaveLength(2);  // measured: bounds 7.3 and 11.7
    expect(resolveWarnings(res.report!.warnings)).toEqual(expected);
  });

  test('an accurate randomized SVD (residual 5e-6 of σ₁) and the exact SVD (no residual): no such warning', () => {
    const ok = initLoraGA(W, G, { rank: 4, alpha: 8, svd: 'randomized', oversample: 40, powerIters: 8 });
    expect(ok.report!.tripletResidual).toBeLessThan(1e-4);
    expect(resolveWarnings(ok.report!.warnings)).toEqual([]);
    const exact = initLoraGA(W, G, { rank: 4, alpha: 8, svd: 'exact' });
    expect(exact.report!.tripletResidual).toBeUndefined();
    expect(resolveWarnings(exact.report!.warnings)).toEqual([]);
  });

  test('PiSSA uses r directions of W: only the split after r is judged', () => {
    const p = initPiSSA(W, { rank: 4, alpha: 8, svd: 'randomized', oversample: 0, powerIters: 0 });
    expect(resolveWarnings(p.report!.warnings)).toEqual(wedin('W', p.report!.sigma, p.report!.tripletResidual!, [4]));
    expect(resolveWarnings(p.report!.warnings)).toHaveLength(1);
  });
});

/**
 * max over the r directions PiSSA used of ‖W·vᵢ − σᵢuᵢ‖ / σ₁, in float64, with the triplets read back from f64
 * A = √(S/s)·Vᵀ and B = U·√(S/s): vᵢ = Aᵢ/‖Aᵢ‖, uᵢ = Bᵢ/‖Bᵢ‖, σᵢ = s·‖Aᵢ‖·‖Bᵢ‖ (‖Wᵀuᵢ − σᵢvᵢ‖ is zero to rounding by
 * construction of a randomized SVD's triplets).
 */
function usedResidual(W: Tensor, res: { A: Tensor; B: Tensor; scaling: number }, r: number): number {
  const [m, n] = W.shape;
  const w = W.toFloat64(), A = res.A.toFloat64(), B = res.B.toFloat64();
  const nrm = (f: (j: number) => number, len: number) => Math.sqrt(Array.from({ length: len }, (_, j) => f(j) ** 2).reduce((a, b) => a + b, 0));
  let worst = 0, s1 = 0;
  for (let q = 0; q < r; q++) {
    const na = nrm((j) => A[q * n + j], n), nb = nrm((i) => B[i * r + q], m), sigma = res.scaling * na * nb;
    if (q === 0) s1 = sigma;
    let e = 0;
    for (let i = 0; i < m; i++) {
      let mv = 0;
      for (let j = 0; j < n; j++) mv += w[i * n + j] * A[q * n + j] / na;
      e += (mv - sigma * B[i * r + q] / nb) ** 2;
    }
    worst = Math.max(worst, Math.sqrt(e));
  }
  return worst / s1;
}

describe('the report on a zero W; the triplet residual of the directions used, in the precision of the SVD', () => {
  test('PiSSA of a zero W: the gaps are 0 (not NaN), the split is flagged and W is named zero', () => {
    const rep = initPiSSA(Tensor.zeros([6, 5]), { rank: 2, alpha: 2 }).report!;
    expect(rep.sigma).toEqual([0, 0, 0]);
    expect(rep.gapR).toBe(0);
    expect(rep.minGap).toBe(0);
    expect(rep.warnings).toEqual([
      'W: σ2 and σ3 are within a relative gap of 0.00e+0 (< 0.001): the split after direction 2 is ill-determined, so the init is not stable under small changes of W (gap at r)',
      'W is zero: every direction is arbitrary',
    ]);
  });

  test('an f32 W factored in f64 (precision f64): the triplet residual max ‖W·vᵢ − σᵢuᵢ‖ / σ₁ is computed in f64', () => {
    // The f64 triplets are read back from f64 A = √(S/s)·Vᵀ and B = U·√(S/s): vᵢ = Aᵢ/‖Aᵢ‖, uᵢ = Bᵢ/‖Bᵢ‖, σᵢ = s·‖Aᵢ‖·‖Bᵢ‖.
    // A flat (Gaussian) spectrum and no power iterations make the residual large (~1e-1); computed in f64 it matches
    // the float64 reference to rounding (1e-10 relative), while W·V formed in f32 would be off by ~1e-7 relative.
    const W = randTensor([40, 30], 9).t;
    const res = initPiSSA(W, { rank: 2, alpha: 2, svd: 'randomized', precision: 'f64', powerIters: 0, seed: 1, dtype: 'f64' });
    const want = usedResidual(W, res, 2);
    expect(want).toBeGreaterThan(1e-3);
    expect(Math.abs(res.report!.tripletResidual! - want) / want).toBeLessThan(1e-10);
  });

  test('the triplet residual is the worst of the r directions PiSSA uses, not of the (r + 1)-th it factors for the gap at r', () => {
    // W with σ = 100, 50, then a flat tail (1 … 0.5): one power iteration finds the two leading triplets to a residual
    // ~1e-5 of σ₁, while the third, inside the flat tail, is off by ~2e-3 of σ₁ (measured with svd() on the same call).
    // The report must give the former: the float64 reference from A and B, to 1e-6 relative (f64 SVD and adapters).
    const [m, n] = [40, 30];
    const S = [100, 50, ...Array.from({ length: 28 }, (_, i) => 1 - i / 56)];
    const W = Tensor.fromFloat64(withSpectrum(m, n, S, 7), [m, n], 'f64');
    const res = initPiSSA(W, { rank: 2, alpha: 2, svd: 'randomized', precision: 'f64', powerIters: 1, seed: 0, dtype: 'f64' });
    const want = usedResidual(W, res, 2);
    expect(want).toBeLessThan(1e-4);
    expect(Math.abs(res.report!.tripletResidual! - want) / want).toBeLessThan(1e-6);
  });

  test('a zero W factored by the randomized SVD: every triplet is exact, so the residual is 0 (not 0/0)', () => {
    const rep = initPiSSA(Tensor.zeros([6, 5]), { rank: 2, alpha: 2, svd: 'randomized' }).report!;
    expect(rep.sigma).toEqual([0, 0, 0]);
    expect(rep.tripletResidual).toBe(0);
  });
});

describe("the report of a sketched G (initAdapters svd 'sketch'): energy and error from the probes, and the splits the sketch cannot resolve", () => {
  /** A sketched G = diag(S2) [12, 10] from one batch per pass (X rows e_i, dY rows σᵢ·e_i), r = 2 (2r = 4 used). */
  async function sketchedReport(S2: number[], sketch: { size: number; passes: number; probes: number }) {
    const out = 12, inF = 10, T = S2.length;
    const X = new Float32Array(T * inF), dY = new Float32Array(T * out);
    S2.forEach((v, i) => { X[i * inF + i] = 1; dY[i * out + i] = v; });
    const est = new GradientEstimator().register('m', out, inF, { sketch });
    for (let p = 0; p < sketch.passes; p++) est.accumulate('m', Tensor.from(X, [T, inF]), Tensor.from(dY, [T, out])).nextPass();
    const f = est.sketch('m', 4);  // what initAdapters draws from: 2r triplets
    const rep = (await initAdapters({ m: W }, est, { rank: 2, alpha: 4, svd: 'sketch' })).modules.m.report!;
    return { f, rep };
  }
  const cannotResolve = (i: number, err: number, gap: number) =>
    `G: the sketch cannot resolve the split after direction ${i}: estimated error ${err.toExponential(2)} ≥ gap σ${i} − σ${i + 1} = ${gap.toExponential(2)}: use a larger sketch size or more passes`;

  test('energy: the sketch’s Σᵢ≤2r σᵢ² over the probes’ ‖G‖²_F, below 1 when the tail holds energy', async () => {
    // Top four σ² = 294 of ‖G‖²_F = 294 + 6·36 = 510: true energy 0.576. 400 probes: the estimate of ‖G‖²_F has
    // relative spread √(2/400) ≈ 0.07, and the flat tail biases the sketch's σ little with 3 passes: within 0.1.
    const S2 = [10, 9, 8, 7, 6, 6, 6, 6, 6, 6];
    const { f, rep } = await sketchedReport(S2, { size: 6, passes: 3, probes: 400 });
    expect(rep.energy).toBeCloseTo(f.energyEstimate, 6);  // the sketch's σ rounded to f32 on one side
    expect(rep.energy).toBeLessThan(1);
    expect(Math.abs(rep.energy - 294 / 510)).toBeLessThan(0.1);
  });

  test("a split closer than the estimated error ‖G − Ĝ‖_F (Wedin's bound) warns with its numbers; wider ones do not", async () => {
    // σ₄ − σ₅ = 0.1 while ‖G − G₄‖_F = √(9.9² + 5) ≈ 10.2: the split after 4 = 2r is not resolved. The splits after 1
    // and 2 = r have gaps 20 and 40, far above the error: no warning. (Relative gaps all ≥ 1e-2: no gap warning.)
    const S2 = [100, 80, 40, 10, 9.9, 1, 1, 1, 1, 1];
    const { f, rep } = await sketchedReport(S2, { size: 6, passes: 2, probes: 400 });
    expect(rep.method).toBe('sketch');
    expect(rep.passes).toBe(2);
    expect(rep.errorEstimate).toBe(f.errorEstimate);
    const err = f.errorEstimate * f.normEstimate, s = rep.sigma;  // the absolute error ‖G − Ĝ‖_F
    // 400 probes: the estimate of the squared error has relative spread ≈ 0.07, so the norm is within 1.5× of 10.2.
    expect(err).toBeGreaterThan(10.2 / 1.5);
    expect(err).toBeLessThan(10.2 * 1.5);
    expect(s[0] - s[1]).toBeGreaterThan(err);
    expect(s[1] - s[2]).toBeGreaterThan(err);
    expect(rep.warnings).toEqual([cannotResolve(4, err, s[3] - s[4])]);
  });

  test('a zero G: the estimated error 0 is not below the gaps 0, so neither split is resolved (besides G being zero)', async () => {
    const { f, rep } = await sketchedReport([0], { size: 6, passes: 1, probes: 10 });
    expect([f.errorEstimate, f.normEstimate]).toEqual([0, 0]);
    expect(rep.sigma).toEqual([0, 0, 0, 0, 0]);
    expect(rep.warnings).toContain('G is zero: every direction is arbitrary');
    expect(rep.warnings.filter((w) => w.includes('sketch cannot resolve'))).toEqual([cannotResolve(2, 0, 0), cannotResolve(4, 0, 0)]);
  });
});
