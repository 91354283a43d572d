import { LoraShapeError, LoraValueError, Tensor, orthonormalize, svd, svdAsync } from '../lib';
import { randTensor, refMatmul, relErr, withSpectrum } from './helpers/ref';
import { minPrincipalCos, orthoError } from './helpers/subspace';
import { runChild } from './helpers/child';

function reconstruct(U: Tensor, S: Tensor, Vt: Tensor): Float64Array {
  const [m, k] = U.shape, n = Vt.shape[1];
  const u = U.toFloat64(), s = S.toFloat64(), vt = Vt.toFloat64();
  const us = u.map((x, i) => x * s[i % k]);
  return refMatmul(us, m, k, vt, k, n);
}

describe('exact SVD', () => {
  // f64: reconstruction 1e-12; f32: LAPACK backward-stable, ~ k·ε ≈ 1e-6.
  test.each([[30, 20], [20, 30], [25, 25]])('f64 %ix%i: full reconstruction, orthonormal factors, descending S', (m, n) => {
    const M = randTensor([m, n], 10 + m, 'f64');
    const { U, S, Vt } = svd(M.t);
    const p = Math.min(m, n);
    expect(U.shape).toEqual([m, p]);
    expect(S.shape).toEqual([p]);
    expect(Vt.shape).toEqual([p, n]);
    expect(relErr(reconstruct(U, S, Vt), M.v)).toBeLessThan(1e-12);
    expect(orthoError(U.toFloat64(), m, p)).toBeLessThan(1e-12);
    expect(orthoError(Vt.toFloat64(), p, n, true)).toBeLessThan(1e-12);
    const s = S.toFloat64();
    for (let i = 1; i < p; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
  });

  test('f32 truncated to k recovers prescribed singular values to 1e-5 relative', () => {
    const sv = [10, 7, 5, 3, 2, 1, 0.5, 0.25];
    const M = Tensor.fromFloat64(withSpectrum(60, 40, sv, 3), [60, 40], 'f32');
    const { S } = svd(M, { k: 5 });
    expect(S.shape).toEqual([5]);
    S.toFloat64().forEach((x, i) => expect(Math.abs(x - sv[i]) / sv[i]).toBeLessThan(1e-5));
  });

  test.each(['bf16', 'f16'] as const)('%s input is factorised in f32', (dt) => {
    const M = randTensor([20, 16], 4, dt);
    const { U, S, Vt } = svd(M.t);
    expect(U.dtype).toBe('f32');
    expect(relErr(reconstruct(U, S, Vt), M.v)).toBeLessThan(1e-5);
  });
});

describe('large scratch (≥ 4 MiB: its own mapping with huge pages asked for, csrc/cpu/backend.cc)', () => {
  test('SVDs of 1100×1000 (4.4 MB copies, a 13 MB gesdd workspace): exact, randomized and krylov match float64 and stay orthonormal', () => {
    const sv = Array.from({ length: 24 }, (_, i) => 2 ** -i);
    const M = Tensor.fromFloat64(withSpectrum(1100, 1000, sv, 11), [1100, 1000], 'f32');
    for (const method of ['exact', 'randomized', 'krylov'] as const) {
      const { U, S, Vt } = svd(M, { k: 8, method });
      S.toFloat64().forEach((x, i) => expect(Math.abs(x - sv[i]) / sv[i]).toBeLessThan(1e-4));
      expect(orthoError(U.toFloat64(), 1100, 8)).toBeLessThan(1e-5);
      expect(orthoError(Vt.toFloat64(), 8, 1000, true)).toBeLessThan(1e-5);
    }
  });

  test('each call gives its scratch back: 30 exact SVDs of 1100×1000 (≈ 30 MB of scratch each) grow RSS by < 120 MB (a fresh process)', () => {
    const r = runChild(`
      const M = L.Tensor.randn([1100, 1000], 'f32', 'cpu', 1);
      const one = () => { const r = L.svd(M, { k: 4 }); r.U.dispose(); r.S.dispose(); r.Vt.dispose(); };
      one(); one();
      const rss0 = process.memoryUsage().rss;
      for (let i = 0; i < 30; i++) one();
      console.log(((process.memoryUsage().rss - rss0) / 2 ** 20).toFixed(1));`, 240_000);
    expect(r.status).toBe(0);
    const growth = Number(r.stdout.trim().split('\n').pop());
    console.log(`svd scratch: RSS grew ${growth} MiB over 30 exact SVDs of 1100×1000`);
    expect(growth).toBeLessThan(120);
  });
});

describe('randomized SVD', () => {
  // On a decaying spectrum (σ_i = i^-2) with q = 2k and 4 power iterations, the range finder's error is
  // ~ (σ_{q+1}/σ_k)^(2·4+1), far below f32 precision: singular values match to 1e-4 and the subspace to |cos| ≥ 0.9999.
  const sv = Array.from({ length: 30 }, (_, i) => 1 / (i + 1) ** 2);
  const m = 200, n = 120, k = 8;
  const Mv = withSpectrum(m, n, sv, 7);
  test('matches the exact SVD on a decaying spectrum', () => {
    const M = Tensor.fromFloat64(Mv, [m, n], 'f32');
    const ex = svd(M, { k }), rs = svd(M, { k, method: 'randomized', oversample: k, powerIters: 4, seed: 1 });
    const se = ex.S.toFloat64(), sr = rs.S.toFloat64();
    for (let i = 0; i < k; i++) expect(Math.abs(sr[i] - se[i]) / se[i]).toBeLessThan(1e-4);
    expect(minPrincipalCos(rs.U.toFloat64(), ex.U.toFloat64(), m, k)).toBeGreaterThan(0.9999);
    expect(orthoError(rs.U.toFloat64(), m, k)).toBeLessThan(1e-5);
  });

  test('is deterministic for a given seed and differs across seeds', () => {
    const M = randTensor([80, 60], 8).t;
    const a = svd(M, { k: 4, method: 'randomized', seed: 42, powerIters: 1 });
    const b = svd(M, { k: 4, method: 'randomized', seed: 42, powerIters: 1 });
    const c = svd(M, { k: 4, method: 'randomized', seed: 43, powerIters: 1 });
    expect(Array.from(a.U.data)).toEqual(Array.from(b.U.data));
    expect(Array.from(a.U.data)).not.toEqual(Array.from(c.U.data));
  });

  test('captures at least as much energy as the exact rank-k truncation allows, minus 1% on a flat spectrum', () => {
    // Gaussian matrices have a flat top spectrum: per-vector agreement is meaningless, captured energy is not.
    const M = randTensor([150, 100], 9);
    const k = 10;
    const ex = svd(M.t, { k }).S.toFloat64();
    const rs = svd(M.t, { k, method: 'randomized', oversample: 3 * k, powerIters: 4 });
    const U = rs.U.toFloat64();
    const P = refMatmul(U, 150, k, M.v, 150, 100, true, false); // Uᵀ·M
    const captured = P.reduce((a, x) => a + x * x, 0);
    const best = ex.reduce((a, x) => a + x * x, 0);
    expect(captured / best).toBeGreaterThan(0.99);
    expect(captured / best).toBeLessThanOrEqual(1 + 1e-5);
  });
});

describe('async SVD', () => {
  test('runs off the main thread: the event loop keeps turning while a large SVD runs', async () => {
    const M = randTensor([600, 600], 11).t;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = Date.now();
    const res = await svdAsync(M, { k: 10 });
    const elapsed = Date.now() - t0;
    clearInterval(timer);
    expect(res.S.shape).toEqual([10]);
    if (elapsed > 30) expect(ticks).toBeGreaterThan(2); // a blocking call would allow no tick at all
    const sync = svd(M, { k: 10 });
    expect(relErr(res.S.toFloat64(), sync.S.toFloat64())).toBeLessThan(1e-6);
  });

  test('a rejected async SVD is a typed error', async () => {
    const bad = Tensor.from(new Float32Array([1, NaN, 3, 4]), [2, 2]);
    await expect(svdAsync(bad)).rejects.toThrow(LoraValueError);
  });
});

describe('svd validation', () => {
  test('k > min(m, n) is a LoraShapeError naming k and the shape', () => {
    expect(() => svd(Tensor.zeros([5, 3]), { k: 4 })).toThrow(LoraShapeError);
    expect(() => svd(Tensor.zeros([5, 3]), { k: 4 })).toThrow(/k = 4.*min\(m, n\) = 3/);
  });
  test('k < 1 or fractional', () => {
    expect(() => svd(Tensor.zeros([5, 3]), { k: 0 })).toThrow(LoraShapeError);
    expect(() => svd(Tensor.zeros([5, 3]), { k: 1.5 })).toThrow(LoraShapeError);
  });
  test('NaN input', () => {
    expect(() => svd(Tensor.from(new Float32Array([Infinity, 0, 0, 1]), [2, 2]))).toThrow(LoraValueError);
  });
  test('bad options', () => {
    expect(() => svd(Tensor.zeros([4, 4]), { method: 'qr' as never })).toThrow(LoraValueError);
    expect(() => svd(Tensor.zeros([4, 4]), { method: 'randomized', powerIters: -1 })).toThrow(LoraValueError);
  });
});

describe('orthonormalize', () => {
  test('produces Q with QᵀQ = I spanning the same columns', () => {
    const A = randTensor([30, 6], 12, 'f64');
    const Q = orthonormalize(A.t.clone());
    const q = Q.toFloat64();
    expect(orthoError(q, 30, 6)).toBeLessThan(1e-13);
    // A = Q·(QᵀA): projection reproduces A
    const R = refMatmul(q, 30, 6, A.v, 30, 6, true, false);
    expect(relErr(refMatmul(q, 30, 6, R, 6, 6), A.v)).toBeLessThan(1e-12);
  });
  test('wide input is refused', () => {
    expect(() => orthonormalize(Tensor.zeros([3, 5]))).toThrow(LoraShapeError);
  });
});
