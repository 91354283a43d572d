/**
 * Numerical edge cases of the inits and the SVD (issue 13): a zero gradient, repeated singular values, NaN/Inf in
 * gradients, and extreme scales. What each does is documented in README ("Degenerate gradients", the dtype notes);
 * these tests hold the library to it.
 */
import {
  LoraValueError, Tensor, initAdapters, initLoraGA, initLoraOne, initPiSSA, matmul, orthonormalize, svd,
} from '../lib';
import type { LoraInitResult } from '../types/init';

/** max |W' + s·B·A − W| / max |W|: the init must leave the layer's output unchanged at step 0. */
function offsetError(W: Tensor, r: LoraInitResult): number {
  const back = matmul(r.B.to('f64'), r.A.to('f64'), { alpha: r.scaling, beta: 1, out: r.W.to('f64') }).toFloat64();
  const w = W.toFloat64();
  let err = 0, scale = 0;
  for (let i = 0; i < w.length; i++) { err = Math.max(err, Math.abs(back[i] - w[i])); scale = Math.max(scale, Math.abs(w[i])); }
  return err / scale;
}

/** G = U·diag(σ)·Vᵀ with random orthonormal U [m, p], V [n, p]. */
function withSpectrum(m: number, n: number, sigma: number[], seed: number): Tensor {
  const p = sigma.length;
  const U = orthonormalize(Tensor.randn([m, p], 'f64', 'cpu', seed)), V = orthonormalize(Tensor.randn([n, p], 'f64', 'cpu', seed + 1));
  const US = U.toFloat64();
  for (let i = 0; i < m; i++) for (let j = 0; j < p; j++) US[i * p + j] *= sigma[j];
  return matmul(Tensor.from(US, [m, p]), V, { transB: true });
}

describe('a zero gradient (documented: not an error for LoRA-GA; B = 0 so the adapter starts as a no-op)', () => {
  for (const svdMethod of ['exact', 'randomized'] as const)
    for (const dt of ['f32', 'f64', 'bf16'] as const)
      test(`initLoraGA, G = 0, ${dt}, ${svdMethod} SVD: B is zero, W' = W exactly, the report says G is zero`, () => {
        const W = Tensor.randn([12, 9], dt, 'cpu', 1);
        const r = initLoraGA(W, Tensor.zeros([12, 9], dt), { rank: 2, alpha: 4, svd: svdMethod });
        expect([r.A.isFinite(), r.B.isFinite(), r.W.isFinite()]).toEqual([true, true, true]);
        expect(Array.from(r.B.toFloat64()).every((v) => v === 0)).toBe(true);
        expect(Array.from(r.W.toFloat64())).toEqual(Array.from(W.toFloat64()));
        expect(r.report!.warnings).toContain('G is zero: every direction is arbitrary');
        expect(r.report!.energy).toBeNaN();
      });

  test('initAdapters over a model with one zero gradient: that module is a no-op adapter, the others are not', async () => {
    const W = { a: Tensor.randn([10, 8], 'f32', 'cpu', 1), b: Tensor.randn([10, 8], 'f32', 'cpu', 2) };
    const G = { a: Tensor.zeros([10, 8]), b: Tensor.randn([10, 8], 'f32', 'cpu', 3) };
    const { modules } = await initAdapters(W, G, { rank: 2, alpha: 4 });
    expect(Array.from(modules.a.B.toFloat64()).every((v) => v === 0)).toBe(true);
    expect(Array.from(modules.b.B.toFloat64()).some((v) => v !== 0)).toBe(true);
  });

  test('initPiSSA of a zero W: B·A = 0, W\' = W = 0; initLoraOne of a zero G: LoraValueError', () => {
    const r = initPiSSA(Tensor.zeros([8, 6]), { rank: 2, alpha: 4, svd: 'exact' });
    expect(Array.from(matmul(r.B, r.A).toFloat64()).every((v) => v === 0)).toBe(true);
    expect(Array.from(r.W.toFloat64()).every((v) => v === 0)).toBe(true);
    expect(() => initLoraOne(Tensor.zeros([8, 6]), { rank: 2, alpha: 4 })).toThrow(/zero; there is no direction/);
  });
});

describe('repeated singular values: the init is still valid and the spectral report warns', () => {
  // σ = 3, 3, 2, 2, 2, 2, 1, 0.5 with r = 2: ties inside the top 2r (σ₁ = σ₂, σ₃ = σ₄) and across the split at 2r
  // (σ₄ = σ₅): ArB2r warns at 2r, ArBr (interleaved) also at the ties among the directions it uses.
  const sigma = [3, 3, 2, 2, 2, 2, 1, 0.5];
  for (const svdMethod of ['exact', 'randomized'] as const)
    for (const direction of ['ArB2r', 'ArBr'] as const)
      test(`${direction}, ${svdMethod}: W' + s·B·A = W, A's rows orthogonal, a gap warning names the split`, () => {
        const G = withSpectrum(16, 12, sigma, 5), W = Tensor.randn([16, 12], 'f32', 'cpu', 9);
        const r = initLoraGA(W, G, { rank: 2, alpha: 4, svd: svdMethod, direction, powerIters: 8 });
        expect(offsetError(W, r)).toBeLessThan(1e-6);
        // A's rows are distinct right singular vectors (scaled alike): orthogonal whatever the tie
        const A = r.A.toFloat64(), n = 12;
        const dot = (i: number, j: number) => { let s = 0; for (let k = 0; k < n; k++) s += A[i * n + k] * A[j * n + k]; return s; };
        expect(Math.abs(dot(0, 1)) / Math.sqrt(dot(0, 0) * dot(1, 1))).toBeLessThan(1e-4);
        expect(r.report!.warnings.some((w) => /relative gap/.test(w))).toBe(true);
      });

  test('a spectrum of one repeated value (G = c·Q, Q orthonormal columns): every split warns, the init is valid', () => {
    const G = withSpectrum(10, 6, [1, 1, 1, 1, 1, 1], 3), W = Tensor.randn([10, 6], 'f64', 'cpu', 4);
    const r = initLoraGA(W, G, { rank: 2, alpha: 4, svd: 'exact' });
    expect(offsetError(W, r)).toBeLessThan(1e-12);
    expect(r.report!.warnings.filter((w) => /relative gap/.test(w)).length).toBe(2);  // at r and at 2r
  });
});

describe('NaN/Inf in gradients: an error that names the module', () => {
  for (const bad of [NaN, Infinity, -Infinity])
    test(`initAdapters with ${bad} in one module's G: LoraValueError starting "module '<name>'"`, async () => {
      const W = { 'model.layers.0.q_proj': Tensor.randn([6, 5], 'f32', 'cpu', 1), 'model.layers.0.v_proj': Tensor.randn([6, 5], 'f32', 'cpu', 2) };
      const Gv = Tensor.randn([6, 5], 'f32', 'cpu', 3);
      (Gv.data as Float32Array)[7] = bad;
      const G = { 'model.layers.0.q_proj': Tensor.randn([6, 5], 'f32', 'cpu', 4), 'model.layers.0.v_proj': Gv };
      const p = initAdapters(W, G, { rank: 1, alpha: 2 });
      await expect(p).rejects.toThrow(LoraValueError);
      await expect(initAdapters(W, G, { rank: 1, alpha: 2 })).rejects.toThrow(/^module 'model\.layers\.0\.v_proj': .*NaN or Inf/);
    });

  test('initLoraGA / initLoraOne / svd directly: LoraValueError naming the operand', () => {
    const W = Tensor.randn([6, 5], 'f32', 'cpu', 1), G = Tensor.randn([6, 5], 'f32', 'cpu', 2);
    (G.data as Float32Array)[3] = NaN;
    expect(() => initLoraGA(W, G, { rank: 1, alpha: 2 })).toThrow(/initLoraGA G: .*NaN or Inf/);
    expect(() => initLoraOne(G, { rank: 1, alpha: 2 })).toThrow(LoraValueError);
    expect(() => svd(G)).toThrow(/svd: M holds NaN or Inf/);
  });
});

describe('extreme scales', () => {
  /** S of c·M against c·S(M) (M a fixed random 40×30 matrix, S(M) from f64). */
  function relErr(dt: 'f32' | 'f64', c: number, method: 'exact' | 'randomized'): number {
    const M = Tensor.randn([40, 30], 'f64', 'cpu', 17);
    const ref = svd(M, { k: 5 }).S.toFloat64();
    const scaled = Tensor.fromFloat64(M.toFloat64().map((v) => v * c), [40, 30], dt);
    const S = svd(scaled, { k: 5, method, oversample: 25, powerIters: 4 }).S.toFloat64();
    let e = 0;
    for (let i = 0; i < 5; i++) e = Math.max(e, Math.abs(S[i] - c * ref[i]) / (c * ref[0]));
    return e;
  }
  for (const dt of ['f32', 'f64'] as const)
    for (const c of [1e-30, 1e30])
      for (const method of ['exact', 'randomized'] as const)
        test(`${dt} entries of magnitude ${c}: the ${method} SVD is accurate (relative to σ₁)`, () => {
          expect(relErr(dt, c, method)).toBeLessThan(dt === 'f64' ? 1e-12 : 1e-5);
        });

  test('f32 entries of 1e37: the exact SVD works; the randomized one is a LoraValueError that says f32 overflowed', () => {
    expect(relErr('f32', 1e37, 'exact')).toBeLessThan(1e-5);
    expect(() => relErr('f32', 1e37, 'randomized')).toThrow(/randomized svd: products of M overflowed f32.*convert it to f64, or use the exact SVD/);
    expect(relErr('f64', 1e37, 'randomized')).toBeLessThan(1e-12);  // the advice works
  });

  for (const c of [1e-30, 1e30])
    test(`initLoraGA on f64 W and G of magnitude ${c}: W' + s·B·A = W, A and B finite`, () => {
      const W = Tensor.fromFloat64(Tensor.randn([12, 10], 'f64', 'cpu', 1).toFloat64().map((v) => v * c), [12, 10], 'f64');
      const G = Tensor.fromFloat64(Tensor.randn([12, 10], 'f64', 'cpu', 2).toFloat64().map((v) => v * c), [12, 10], 'f64');
      const r = initLoraGA(W, G, { rank: 2, alpha: 4, svd: 'exact' });
      expect([r.A.isFinite(), r.B.isFinite()]).toEqual([true, true]);
      expect(offsetError(W, r)).toBeLessThan(1e-12);
    });
});
