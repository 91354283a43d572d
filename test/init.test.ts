/**
 * Init math on matrices with a known SVD (built from explicit orthonormal factors in float64): every LoRA-GA
 * direction × scale × convention against the formulas, PiSSA, plain LoRA, dtypes, the spectral report, async and
 * abort, and bad input.
 */
import {
  LORAGA_SCALES, LORAGA_SCALES_BY_CONVENTION, LoraAbortError, LoraDTypeError, LoraShapeError, LoraValueError, Tensor, initLora, initLoraGA, initLoraGAAsync,
  initLoraOne, initPiSSA, initPiSSAAsync, loraGAIndices, svd,
} from '../lib';
import type { LoraGAConvention, LoraGADirection, LoraGAScale } from '../lib';
import { maxRowErr, offsetInvariant, spectralFactors } from './helpers/compare';
import { randTensor } from './helpers/ref';

const out = 24, inF = 20, r = 3, alpha = 6, gamma = 4;
const sG = [10, 8, 6.5, 5, 4, 3, 2.2, 1.5, 1, 0.5];
const sW = [9, 7, 5.5, 4, 3, 2, 1];
const G = spectralFactors(out, inF, sG, 11);
const Wf = spectralFactors(out, inF, sW, 12);
const Gt = Tensor.fromFloat64(G.M, [out, inF], 'f32');
const Wt = Tensor.fromFloat64(Wf.M, [out, inF], 'f32');
const s = alpha / r;

/** Expected A (rows) and B as float64 from the known factors and the documented formulas. */
function expected(direction: LoraGADirection, scale: LoraGAScale, convention: LoraGAConvention, seed: number) {
  const idx = loraGAIndices(direction, r, convention, seed);
  const k = sG.length, kw = sW.length;
  const stable = out ** 0.25 / Math.sqrt(gamma);
  let fA = 1, fB = 1;
  if (scale === 'gd' || scale === 'gd_scale') fA = fB = 1 / s;
  if (scale === 'stable') { fB = stable; fA = convention === 'official' ? stable : 1; }
  if (scale === 'weightS') { let a = 0; for (let i = 0; i < r; i++) a += Math.sqrt(sW[i] / s); fA = fB = a / r; }
  if (scale === 'weight_svd') fB = sW[0] / sG[idx.b[0]]; // PEFT: B·σ₁(W)/S_B[0] (S_B already on B)
  const A = new Float64Array(r * inF), Bt = new Float64Array(r * out); // B stored transposed: row p = column p
  idx.a.forEach((c, p) => { for (let j = 0; j < inF; j++) A[p * inF + j] = G.V[j * k + c] * fA; });
  idx.b.forEach((c, p) => { for (let i = 0; i < out; i++) Bt[p * out + i] = G.U[i * k + c] * fB * (convention === 'peft' ? sG[c] : 1); });
  void kw;
  return { A, Bt };
}

function transposeT(B: Tensor): Tensor {
  const [m, n] = B.shape, b = B.toFloat64(), t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = b[i * n + j];
  return Tensor.fromFloat64(t, [n, m], 'f64');
}

describe('initLoraGA: every direction × scale of each convention matches the formulas (exact SVD)', () => {
  const cases: [LoraGADirection, LoraGAScale, LoraGAConvention][] = [];
  for (const d of ['ArBr', 'A2rBr', 'ArB2r', 'random'] as const)
    for (const cv of ['peft', 'official'] as const)
      for (const sc of LORAGA_SCALES_BY_CONVENTION[cv]) cases.push([d, sc, cv]);
  // f32 SVD of well-separated spectra: singular vectors to ~1e-5; 1e-4 leaves margin.
  test.each(cases)('%s / %s / %s', (direction, scale, convention) => {
    const res = initLoraGA(Wt, Gt, { rank: r, alpha, direction, scale, gamma, convention, svd: 'exact', seed: 5 });
    const e = expected(direction, scale, convention, 5);
    expect(res.A.shape).toEqual([r, inF]);
    expect(res.B.shape).toEqual([out, r]);
    expect(maxRowErr(res.A, e.A)).toBeLessThan(1e-4);
    expect(maxRowErr(transposeT(res.B), e.Bt)).toBeLessThan(1e-4);
    expect(offsetInvariant(res.W!, res.A, res.B, s, Wt)).toBeLessThan(1e-6); // f32 W' rounding only
    expect(res.report!.warnings).toEqual([]);
  });
});

describe('initLoraGA details', () => {
  test('random direction: peft uses one seeded index set of r for A and B; official disjoint sets; all within the top 2r', () => {
    const p = loraGAIndices('random', 4, 'peft', 3), o = loraGAIndices('random', 4, 'official', 3);
    expect(p.a).toEqual(p.b);
    expect(new Set([...o.a, ...o.b]).size).toBe(8);
    for (const i of [...p.a, ...o.a, ...o.b]) expect(i >= 0 && i < 8).toBe(true);
    expect(loraGAIndices('random', 4, 'peft', 3)).toEqual(p); // seeded: reproducible
    const seeds = new Set(Array.from({ length: 8 }, (_, sd) => loraGAIndices('random', 4, 'official', sd).a.join()));
    expect(seeds.size).toBeGreaterThan(1); // and the seed matters
  });

  test('rsLora uses s = α/√r in the offset', () => {
    const res = initLoraGA(Wt, Gt, { rank: r, alpha, rsLora: true, svd: 'exact' });
    expect(res.scaling).toBeCloseTo(alpha / Math.sqrt(r), 12);
    expect(offsetInvariant(res.W!, res.A, res.B, res.scaling, Wt)).toBeLessThan(1e-6);
  });

  test('defaults are PEFT’s: ArB2r, stable, γ = 16, randomized SVD with q = 4r', () => {
    const d = initLoraGA(Wt, Gt, { rank: r, alpha });
    const x = initLoraGA(Wt, Gt, { rank: r, alpha, direction: 'ArB2r', scale: 'stable', gamma: 16, svd: 'randomized', oversample: 2 * r, powerIters: 4, seed: 0 });
    expect(Array.from(d.A.data)).toEqual(Array.from(x.A.data));
    expect(d.report!.method).toBe('randomized');
  });

  test.each(['bf16', 'f16', 'f64'] as const)('W in %s: A, B in f32 (f64 for f64) and W′ in that dtype; offset from the unrounded A, B in fp32', (dt) => {
    const W = Wt.to(dt), Gd = Gt.to(dt === 'f64' ? 'f64' : 'f32');
    const res = initLoraGA(W, Gd, { rank: r, alpha, svd: 'exact' });
    const ab = dt === 'f64' ? 'f64' : 'f32';
    expect([res.A.dtype, res.B.dtype, res.W!.dtype]).toEqual([ab, ab, dt]);
    // W′ is rounded once to the dtype: bf16 has 8 mantissa bits (rel. 2⁻⁸ ≈ 4e-3), f16 11 (≈ 5e-4), f64 ~1e-15.
    const tol = { bf16: 4e-3, f16: 5e-4, f64: 1e-12 }[dt];
    expect(offsetInvariant(res.W!, res.A, res.B, s, W)).toBeLessThan(tol);
  });

  test('randomized SVD (q = 4r, 4 power iterations) agrees with exact on a gapped spectrum and reports a small residual', () => {
    const ex = initLoraGA(Wt, Gt, { rank: r, alpha, svd: 'exact' });
    const rn = initLoraGA(Wt, Gt, { rank: r, alpha, svd: 'randomized', seed: 9 });
    expect(maxRowErr(rn.A, ex.A.toFloat64())).toBeLessThan(1e-3);
    expect(rn.report!.tripletResidual!).toBeLessThan(1e-3);
    expect(ex.report!.tripletResidual).toBeUndefined();
  });

  test('spectral report: σ₁…σ₂ᵣ₊₁, gaps at r and 2r, energy of the top 2r', () => {
    const rep = initLoraGA(Wt, Gt, { rank: r, alpha, svd: 'exact' }).report!;
    expect(rep.sigma.length).toBe(2 * r + 1);
    rep.sigma.forEach((v, i) => expect(v).toBeCloseTo(sG[i], 4));
    expect(rep.gapR).toBeCloseTo((sG[r - 1] - sG[r]) / sG[r - 1], 5);
    expect(rep.gap2R).toBeCloseTo((sG[2 * r - 1] - sG[2 * r]) / sG[2 * r - 1], 5);
    const tot = sG.reduce((a, b) => a + b * b, 0), top = sG.slice(0, 2 * r).reduce((a, b) => a + b * b, 0);
    expect(rep.energy).toBeCloseTo(top / tot, 5);
  });

  test('warns when the gap at r is too small for a stable split', () => {
    const sp = [10, 8, 6.5, 6.4999, 4, 3, 2.2, 1.5];
    const g = Tensor.fromFloat64(spectralFactors(out, inF, sp, 4).M, [out, inF], 'f64');
    const rep = initLoraGA(Wt.to('f64'), g, { rank: r, alpha, svd: 'exact' }).report!;
    expect(rep.gapR).toBeLessThan(1e-4);
    expect(rep.warnings.join('\n')).toMatch(/gap at r/);
  });

  test('async equals sync; an aborted signal rejects with LoraAbortError', async () => {
    const cfg = { rank: r, alpha, svd: 'exact' as const, direction: 'ArBr' as const };
    const a = await initLoraGAAsync(Wt, Gt, cfg), b = initLoraGA(Wt, Gt, cfg);
    expect(Array.from(a.A.data)).toEqual(Array.from(b.A.data));
    expect(Array.from(a.W!.data)).toEqual(Array.from(b.W!.data));
    const ac = new AbortController();
    ac.abort();
    await expect(initLoraGAAsync(Wt, Gt, cfg, { signal: ac.signal })).rejects.toThrow(LoraAbortError);
  });

  test('bad input: typed errors naming shapes; inputs untouched', () => {
    const before = Array.from(Wt.data);
    expect(() => initLoraGA(Wt, Tensor.zeros([out, inF + 1]), { rank: r, alpha })).toThrow(LoraShapeError);
    expect(() => initLoraGA(Wt, Gt, { rank: 11, alpha })).toThrow(/needs 2·r = 22/);
    expect(() => initLoraGA(Wt, Gt, { rank: 0, alpha })).toThrow(LoraValueError);
    expect(() => initLoraGA(Wt, Gt, { rank: r, alpha, direction: 'BrAr' as never })).toThrow(/direction/);
    expect(() => initLoraGA(Wt, Gt, { rank: r, alpha, scale: 'big' as never })).toThrow(/scale/);
    expect(() => initLoraGA(Wt, Gt, { rank: r, alpha, gamma: -1 })).toThrow(/gamma/);
    const bad = Gt.clone(); (bad.data as Float32Array)[3] = NaN;
    expect(() => initLoraGA(Wt, bad, { rank: r, alpha })).toThrow(/NaN/);
    expect(Array.from(Wt.data)).toEqual(before);
  });
});

describe('initPiSSA', () => {
  test('s·B·A is the rank-r truncation of W; W′ = W − s·B·A; A = √S′·Vᵀ, B = U·√S′', () => {
    const res = initPiSSA(Wt, { rank: r, alpha });
    expect(offsetInvariant(res.W!, res.A, res.B, s, Wt)).toBeLessThan(1e-6);
    const k = sW.length, A = new Float64Array(r * inF), Bt = new Float64Array(r * out);
    for (let p = 0; p < r; p++) {
      const f = Math.sqrt(sW[p] / s);
      for (let j = 0; j < inF; j++) A[p * inF + j] = Wf.V[j * k + p] * f;
      for (let i = 0; i < out; i++) Bt[p * out + i] = Wf.U[i * k + p] * f;
    }
    expect(maxRowErr(res.A, A)).toBeLessThan(1e-4);
    expect(maxRowErr(transposeT(res.B), Bt)).toBeLessThan(1e-4);
    // The residual W′ has the remaining spectrum: its Frobenius² = Σ_{i>r} σᵢ².
    let f2 = 0; for (const v of res.W!.data) f2 += v * v;
    expect(f2).toBeCloseTo(sW.slice(r).reduce((a, b) => a + b * b, 0), 3);
    expect(res.report!.gapR).toBeCloseTo((sW[r - 1] - sW[r]) / sW[r - 1], 5);
  });

  test('randomized PiSSA ≈ exact on a gapped spectrum; async equals sync', async () => {
    const ex = initPiSSA(Wt, { rank: r, alpha }), rn = initPiSSA(Wt, { rank: r, alpha, svd: 'randomized', seed: 2 });
    expect(maxRowErr(rn.A, ex.A.toFloat64())).toBeLessThan(1e-3);
    const as = await initPiSSAAsync(Wt, { rank: r, alpha });
    expect(Array.from(as.B.data)).toEqual(Array.from(ex.B.data));
  });

  test('randomized PiSSA is the randomized SVD of W with k = r + 1 and the asked oversample and seed: s·B·A = its top-r part', () => {
    // A flat (Gaussian) spectrum and no power iterations: the rank-r part found depends strongly on the sketch, so
    // another oversample gives another s·B·A (differences of order 1e-1). Same sketch: only f64 rounding (< 1e-10).
    const M = randTensor([40, 30], 77, 'f64').t;
    const o = { method: 'randomized' as const, oversample: 3, powerIters: 0, seed: 5 };
    const res = initPiSSA(M, { rank: 2, alpha: 2, svd: 'randomized', precision: 'f64', oversample: 3, powerIters: 0, seed: 5 });
    const ref = svd(M, { k: 3, ...o });
    const U = ref.U.toFloat64(), S = ref.S.toFloat64(), Vt = ref.Vt.toFloat64();
    const A = res.A.toFloat64(), B = res.B.toFloat64(), sc = res.scaling;
    let d = 0, n = 0;
    for (let i = 0; i < 40; i++) for (let j = 0; j < 30; j++) {
      let want = 0, got = 0;
      for (let q = 0; q < 2; q++) { want += U[i * 3 + q] * S[q] * Vt[q * 30 + j]; got += sc * B[i * 2 + q] * A[q * 30 + j]; }
      d += (got - want) ** 2; n += want ** 2;
    }
    expect(Math.sqrt(d / n)).toBeLessThan(1e-10);
  });

  test('scaling: α/r by default (PEFT), α/√r with rsLora; s·B·A is the rank-r truncation either way', () => {
    expect(initPiSSA(Wt, { rank: r, alpha }).scaling).toBeCloseTo(alpha / r, 12);
    const rs = initPiSSA(Wt, { rank: r, alpha, rsLora: true });
    expect(rs.scaling).toBeCloseTo(alpha / Math.sqrt(r), 12);
    expect(offsetInvariant(rs.W!, rs.A, rs.B, alpha / Math.sqrt(r), Wt)).toBeLessThan(1e-6); // f32 W' rounding only
  });

  test('noReport: no spectral report', () => {
    expect(initPiSSA(Wt, { rank: r, alpha, noReport: true }).report).toBeUndefined();
    expect(initPiSSA(Wt, { rank: r, alpha }).report).toBeDefined();
  });
});

describe('scale names by convention', () => {
  test("each convention lists and accepts its own scale names: PEFT's stable/weight_svd/gd_scale/unit, the official stable/weightS/gd/unit", () => {
    expect(LORAGA_SCALES_BY_CONVENTION).toEqual({ peft: ['stable', 'weight_svd', 'gd_scale', 'unit'], official: ['stable', 'weightS', 'gd', 'unit'] });
    for (const scale of ['stable', 'weight_svd', 'gd_scale', 'unit'] as const)
      expect(initLoraGA(Wt, Gt, { rank: r, alpha, scale, convention: 'peft', svd: 'exact', noReport: true }).A.shape).toEqual([r, inF]);
  });

  test("LORAGA_SCALES is every scale name, both conventions' (each once)", () => {
    const both = new Set([...LORAGA_SCALES_BY_CONVENTION.peft, ...LORAGA_SCALES_BY_CONVENTION.official]);
    expect([...LORAGA_SCALES].sort()).toEqual([...both].sort());
    expect(LORAGA_SCALES).toHaveLength(both.size);
  });
});

describe('which gaps LoRA-GA judges, by direction', () => {
  test("A2rBr judges the splits after r and 2r (between its B and A blocks, and after A), not the gaps inside a block", () => {
    // σ₁ ≈ σ₂ inside the B block (relative gap 1e-3): which of the two is first does not change span(B), so no
    // warning; the splits after r = 3 (6 → 5) and 2r = 6 (3 → 2.2) are well gapped.
    const S2 = [10, 9.99, 6, 5, 4, 3, 2.2];
    const G2 = Tensor.fromFloat64(spectralFactors(out, inF, S2, 13).M, [out, inF], 'f64');
    const rep = initLoraGA(Wt, G2, { rank: r, alpha, direction: 'A2rBr', svd: 'exact', precision: 'f64', gapTolerance: 0.01 }).report!;
    expect(rep.minGap).toBeCloseTo(0.001, 10);
    expect(rep.warnings).toEqual([]);
    // ArBr interleaves A and B over all 2r directions: the same close pair is judged there.
    const ab = initLoraGA(Wt, G2, { rank: r, alpha, direction: 'ArBr', svd: 'exact', precision: 'f64', gapTolerance: 0.01 }).report!;
    expect(ab.warnings).toHaveLength(1);
    expect(ab.warnings[0]).toMatch(/split after direction 1 .*\(consecutive directions\)$/);
  });
});

describe('initPiSSA of a fan-in-fan-out W', () => {
  test('fanInFanOut: W [in, out] gives the A, B of its transpose, W′ back in [in, out], and the result says fanInFanOut', () => {
    const Wffo = Tensor.fromFloat64(transposeT(Wt).toFloat64(), [inF, out], 'f32');
    const res = initPiSSA(Wffo, { rank: r, alpha, fanInFanOut: true });
    const ref = initPiSSA(Wt, { rank: r, alpha });
    expect(res.fanInFanOut).toBe(true);
    expect(res.A.shape).toEqual([r, inF]);
    expect(res.B.shape).toEqual([out, r]);
    expect(res.W!.shape).toEqual([inF, out]);
    // The same f32 matrix transposed: the same exact SVD up to f32 rounding (~1e-6); 1e-4 leaves margin.
    expect(maxRowErr(res.A, ref.A.toFloat64())).toBeLessThan(1e-4);
    expect(maxRowErr(transposeT(res.W!), ref.W!.toFloat64())).toBeLessThan(1e-4);
    expect(ref.fanInFanOut).toBeUndefined();
  });
});

describe('initLoraOne', () => {
  test('its own name in the messages for a non-finite G, a bad alpha, SVD option or dtype', () => {
    const bad = Gt.clone(); (bad.data as Float32Array)[5] = NaN;
    expect(() => initLoraOne(bad, { rank: r, alpha })).toThrow(new LoraValueError('initLoraOne G: [24, 20] f32 contains NaN or Inf'));
    expect(() => initLoraOne(Gt, { rank: r, alpha: 0 })).toThrow(new LoraValueError('initLoraOne alpha: expected a positive finite number, got 0'));
    expect(() => initLoraOne(Gt, { rank: r, alpha, svd: 'sketch' as never })).toThrow(/^initLoraOne svd: expected one of exact, randomized/);
    expect(() => initLoraOne(Gt, { rank: r, alpha, dtype: 'f8' as never })).toThrow(new LoraDTypeError('initLoraOne dtype: unknown dtype "f8"'));
  });

  test('adapters are f64 for an f64 G and f32 otherwise (bf16 included), unless dtype says', () => {
    expect(initLoraOne(Gt, { rank: r, alpha }).A.dtype).toBe('f32');
    expect(initLoraOne(Gt, { rank: r, alpha }).B.dtype).toBe('f32');
    expect(initLoraOne(Gt.to('f64'), { rank: r, alpha }).A.dtype).toBe('f64');
    expect(initLoraOne(Gt.to('bf16'), { rank: r, alpha }).B.dtype).toBe('f32');
    expect(initLoraOne(Gt, { rank: r, alpha, dtype: 'f64' }).A.dtype).toBe('f64');
  });

  test('scaling: rsLoRA α/√r by default (the official runs), α/r with rsLora: false', () => {
    expect(initLoraOne(Gt, { rank: r, alpha }).scaling).toBeCloseTo(alpha / Math.sqrt(r), 12);
    expect(initLoraOne(Gt, { rank: r, alpha, rsLora: true }).scaling).toBeCloseTo(alpha / Math.sqrt(r), 12);
    expect(initLoraOne(Gt, { rank: r, alpha, rsLora: false }).scaling).toBeCloseTo(alpha / r, 12);
  });
});

describe('initLora', () => {
  test('A ~ U(−1/√in, 1/√in) (kaiming_uniform_, a = √5), B = 0, W unchanged (null), seeded', () => {
    const res = initLora(64, 400, { rank: 8, alpha: 16, seed: 3 });
    const a = res.A.data, bound = 1 / Math.sqrt(400);
    let mean = 0, sq = 0, mx = 0;
    for (const v of a) { mean += v; sq += v * v; mx = Math.max(mx, Math.abs(v)); }
    mean /= a.length; sq /= a.length;
    expect(mx).toBeLessThanOrEqual(bound);
    expect(mx).toBeGreaterThan(0.95 * bound);
    expect(Math.abs(mean)).toBeLessThan(0.1 * bound); // 3200 samples: σ_mean ≈ 0.01·bound
    expect(sq / (bound * bound / 3)).toBeCloseTo(1, 1); // variance of U(−b, b) is b²/3
    expect(res.B.shape).toEqual([64, 8]);
    expect(Array.from(res.B.data).every((v) => v === 0)).toBe(true);
    expect(res.W).toBeNull();
    expect(res.scaling).toBe(2);
    expect(Array.from(initLora(64, 400, { rank: 8, alpha: 16, seed: 3 }).A.data)).toEqual(Array.from(a));
    expect(Array.from(initLora(64, 400, { rank: 8, alpha: 16, seed: 4 }).A.data)).not.toEqual(Array.from(a));
    expect(initLora(4, 4, { rank: 2, alpha: 4, rsLora: true, dtype: 'bf16' }).A.dtype).toBe('bf16');
  });
});
