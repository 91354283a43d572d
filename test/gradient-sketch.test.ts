// Streaming sketch of G (GradientEstimator register's `sketch`, initAdapters' svd 'sketch'): G is never formed, so
// these tests compare what the sketch gives with the exact G accumulated the ordinary way from the same batches.
import { GradientEstimator, LoraValueError, Tensor, initAdapters, initLoraGA, matmul, svd } from '../lib';
import { sketchUpdate, sketchUpdateAsync } from '../lib/ops/sketch-update';
import { randTensor } from './helpers/ref';
import { sketchIncrements } from './helpers/sketch';

const out = 240, inF = 160, T = 48, nBatches = 12, latent = 10;

/**
 * Batches of a layer whose gradient is low-rank plus noise, as a real one-step gradient: X and dY share a latent
 * signal Z [T, latent] with decaying scales (0.7^j), plus independent noise; G = mean dYᵀ·X is then dominated by a
 * rank-10 part with a noise floor.
 */
function batches(noise: number): { X: Tensor; dY: Tensor }[] {
  const Lm = Tensor.randn([out, latent], 'f32', 'cpu', 1), R = Tensor.randn([inF, latent], 'f32', 'cpu', 2);
  return Array.from({ length: nBatches }, (_, b) => {
    const Z = Tensor.randn([T, latent], 'f32', 'cpu', 100 + b);
    const z = Z.data;
    for (let i = 0; i < T; i++) for (let j = 0; j < latent; j++) z[i * latent + j] *= 0.7 ** j;
    const dY = matmul(Z, Lm, { transB: true }), X = matmul(Z, R, { transB: true });
    const ny = Tensor.randn([T, out], 'f32', 'cpu', 500 + b).data, nx = Tensor.randn([T, inF], 'f32', 'cpu', 900 + b).data;
    dY.data.forEach((v, i) => { dY.data[i] = v + noise * ny[i]; });
    X.data.forEach((v, i) => { X.data[i] = v + noise * nx[i]; });
    return { X, dY };
  });
}

function exactG(bs: { X: Tensor; dY: Tensor }[]): Tensor {
  const est = new GradientEstimator().register('m', out, inF);
  for (const { X, dY } of bs) est.accumulate('m', X, dY);
  return est.gradient('m').to('f64');
}

function sketched(bs: { X: Tensor; dY: Tensor }[], size: number, passes: number) {
  const est = new GradientEstimator().register('m', out, inF, { sketch: { size, passes } });
  for (let p = 0; p < passes; p++) {
    for (const { X, dY } of bs) est.accumulate('m', X, dY);
    est.nextPass();
  }
  return est;
}

/** ‖U_kᵀ·G·V_k‖²_F / Σᵢ≤k σᵢ² with σ exact: 1 = the best rank-k subspace pair. */
function captured(G: Tensor, U: Tensor, Vt: Tensor, k: number, exactS: Float64Array): number {
  const kk = U.shape[1];
  const P = matmul(matmul(U.to('f64'), G, { transA: true }), Vt.to('f64'), { transB: true }).data;
  let e = 0, best = 0;
  for (let i = 0; i < k; i++) { best += exactS[i] ** 2; for (let j = 0; j < k; j++) e += P[i * kk + j] ** 2; }
  return e / best;
}

/** Smallest cosine of the principal angles between the first k columns of U1 and U2 ([m, *], orthonormal). */
function minCos(U1: Tensor, U2: Tensor, k: number): number {
  const m = U1.shape[0], a = U1.toFloat64(), b = U2.toFloat64(), c1 = U1.shape[1], c2 = U2.shape[1];
  const C = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) { let s = 0; for (let r = 0; r < m; r++) s += a[r * c1 + i] * b[r * c2 + j]; C[i * k + j] = s; }
  return svd(Tensor.from(C, [k, k])).S.toFloat64()[k - 1];
}

describe('GradientEstimator sketch: accuracy against the exact G of the same batches', () => {
  const r = 4, k = 2 * r, size = 4 * r + 1;
  const bs = batches(0.5);
  const G = exactG(bs);
  const ex = svd(G, { k: 20 });
  const eS = ex.S.toFloat64();

  test.each([1, 2, 3])('%i pass(es): rank-2r energy ≥ 0.99 of exact, top-r subspace within cos ≥ 0.99, error estimate within 2× of the true error', (passes) => {
    const est = sketched(bs, size, passes);
    const f = est.sketch('m', k);
    expect(f.mode).toBe(passes === 1 ? 'single-pass' : 'multi-pass');
    expect(f.passes).toBe(passes);
    expect(f.U.shape).toEqual([out, size]);
    expect(f.Vt.shape).toEqual([size, inF]);
    // Decaying spectrum (latent scales 0.7^j): the bar, ≥ 0.99 of the exact captured energy, one or two passes.
    expect(captured(G, f.U, f.Vt, k, eS)).toBeGreaterThan(0.99);
    expect(minCos(f.U, ex.U, r)).toBeGreaterThan(0.99);
    // True ‖G − Ĝ_k‖_F / ‖G‖_F of the sketch's rank-k approximation vs its probe estimate (10 probes: the estimate of
    // the square has relative spread √(2/10) ≈ 0.45, so within 2× is a 3σ band for the norm).
    const U = f.U.toFloat64(), S = f.S.toFloat64(), Vt = f.Vt.toFloat64(), g = G.data;
    let err = 0, tot = 0;
    for (let i = 0; i < out; i++)
      for (let j = 0; j < inF; j++) {
        let a = 0;
        for (let q = 0; q < k; q++) a += U[i * size + q] * S[q] * Vt[q * inF + j];
        err += (g[i * inF + j] - a) ** 2;
        tot += g[i * inF + j] ** 2;
      }
    const trueErr = Math.sqrt(err / tot);
    expect(f.errorEstimate).toBeGreaterThan(trueErr / 2);
    expect(f.errorEstimate).toBeLessThan(trueErr * 2);
    // ‖G‖_F from the same probes (relative spread of the square √(2/10): within 2× of the norm), and the captured
    // energy Σᵢ≤k σ̂ᵢ² / ‖G‖²_F with that norm: the sketch's σ̂ over the probes' estimate, capped at 1.
    expect(f.normEstimate).toBeGreaterThan(Math.sqrt(tot) / 2);
    expect(f.normEstimate).toBeLessThan(Math.sqrt(tot) * 2);
    let top = 0;
    for (let q = 0; q < k; q++) top += S[q] ** 2;
    expect(f.energyEstimate).toBeCloseTo(Math.min(1, top / f.normEstimate ** 2), 6);  // S is returned in f32
    expect(f.energyEstimate).toBeGreaterThan(0.5);
    // The estimates compare the rank-`used` approximation: with used = 1 the error grows and the energy shrinks.
    const one = est.sketch('m', 1);
    expect(one.errorEstimate).toBeGreaterThan(f.errorEstimate);
    expect(one.energyEstimate).toBeCloseTo(Math.min(1, S[0] ** 2 / f.normEstimate ** 2), 6);
  });

  test('a second pass is at least as accurate as one (it forms Gᵀ·Q exactly)', () => {
    const noisy = batches(1.5), Gn = exactG(noisy), Sn = svd(Gn, { k: 20 }).S.toFloat64();
    const e1 = captured(Gn, sketched(noisy, size, 1).sketch('m').U, sketched(noisy, size, 1).sketch('m').Vt, k, Sn);
    const f2 = sketched(noisy, size, 2).sketch('m');
    const e2 = captured(Gn, f2.U, f2.Vt, k, Sn);
    expect(e2).toBeGreaterThanOrEqual(e1 - 1e-6);
    expect(e2).toBeGreaterThan(0.95);
  });

  test('async accumulation gives the same sketch as sync', async () => {
    const a = sketched(bs, size, 1).sketch('m');
    const est = new GradientEstimator().register('m', out, inF, { sketch: { size } });
    await Promise.all(bs.map(({ X, dY }) => est.accumulateAsync('m', X, dY)));
    est.nextPass();
    const b = est.sketch('m');
    const sa = a.S.toFloat64(), sb = b.S.toFloat64();
    for (let i = 0; i < size; i++) expect(Math.abs(sa[i] - sb[i])).toBeLessThan(1e-4 * sa[0]);
  });
});

describe('GradientEstimator sketch: memory', () => {
  test('holds O((in + out)·size) numbers, ≤ 1/8 of the out×in accumulator at 1024×768, and never forms G', () => {
    const o = 1024, i = 768, size = 17, s = 2 * size + 1, t = 10;
    const est = new GradientEstimator().register('full', o, i).register('sk', o, i, { sketch: { size } });
    const X = Tensor.randn([32, i], 'f32', 'cpu', 1), dY = Tensor.randn([32, o], 'f32', 'cpu', 2);
    est.accumulate('full', X, dY).accumulate('sk', X, dY);
    // Range Y [out, k], co-range W [k, in], core Z [s, s], probes E [out, t]: the test matrices are redrawn.
    expect(est.bytes('sk')).toBe(4 * (o * size + size * i + s * s + o * t));
    expect(est.bytes('full')).toBe(4 * o * i);
    expect(est.bytes('sk')).toBeLessThanOrEqual(est.bytes('full') / 8);
    expect(() => est.gradient('sk')).toThrow(LoraValueError);
    // Two passes keep no co-range/core sketch: the basis Q and Gᵀ·Q instead.
    const two = new GradientEstimator().register('sk', o, i, { sketch: { size, passes: 2 } });
    two.accumulate('sk', X, dY).nextPass();
    expect(two.bytes('sk')).toBe(4 * (o * t + o * size + i * size));
  });
});

describe('the native sketch update (csrc/composite/sketch_update.cc)', () => {
  // in = 8192 and out = 4096 make the test matrices wider than one 256 KiB block of columns (f32: 8 and 16 columns
  // per block, f64: 4 and 8), so each product is formed from several blocks, the last one narrower. Tolerance: f32 products of 8192 terms
  // of O(1) values, 2e-5 of the largest entry; f64 1e-12.
  test.each([['f32', 'f32', 2e-5], ['f64', 'f64', 1e-12], ['f32', 'bf16', 2e-5]] as const)('a %s sketch from %s batches: blocks of test-matrix columns add up to the products with whole test matrices, added to what the sketches held', async (dt, inDt, tol) => {
    const o = 4096, i = 8192, T = 3, k = 33, s = 67, t = 10, seed = 12345;
    const X = Tensor.randn([T, i], 'f32', 'cpu', 1).to(inDt), dY = Tensor.randn([T, o], 'f32', 'cpu', 2).to(inDt);
    const want = sketchIncrements(X, dY, seed, k, s, t, dt);
    for (const run of ['sync', 'async']) {
      const held = { Y: Tensor.randn([o, k], dt, 'cpu', 3), E: Tensor.randn([o, t], dt, 'cpu', 4), W: Tensor.randn([k, i], dt, 'cpu', 5), Z: Tensor.randn([s, s], dt, 'cpu', 6) };
      const before = Object.fromEntries(Object.entries(held).map(([n, v]) => [n, v.toFloat64()]));
      if (run === 'sync') sketchUpdate(X, dY, seed, held);
      else await sketchUpdateAsync(X, dY, seed, held);
      for (const n of ['Y', 'E', 'W', 'Z'] as const) {
        const got = held[n].toFloat64(), w = want[n], b = before[n];
        let err = 0, scale = 0;
        for (let j = 0; j < w.length; j++) {
          err = Math.max(err, Math.abs(got[j] - b[j] - w[j]));
          scale = Math.max(scale, Math.abs(w[j]));
        }
        expect({ run, n, err: err / scale < tol }).toEqual({ run, n, err: true });
      }
    }
  });

  test('a multi-pass sketch updates only Y and E (W and Z null)', () => {
    const X = Tensor.randn([5, 70], 'f64', 'cpu', 1), dY = Tensor.randn([5, 40], 'f64', 'cpu', 2);
    const want = sketchIncrements(X, dY, 9, 6, 13, 3, 'f64');
    const held = { Y: Tensor.zeros([40, 6], 'f64'), E: Tensor.zeros([40, 3], 'f64'), W: null, Z: null };
    sketchUpdate(X, dY, 9, held);
    expect(Math.max(...Array.from(held.Y.toFloat64(), (v, j) => Math.abs(v - want.Y[j])))).toBeLessThan(1e-12);
    expect(Math.max(...Array.from(held.E.toFloat64(), (v, j) => Math.abs(v - want.E[j])))).toBeLessThan(1e-12);
  });

  test('the largest seed whose test-matrix seeds are exact integers is taken; the next is refused at register', () => {
    const max = Math.floor((Number.MAX_SAFE_INTEGER - 5) / 8);
    const est = new GradientEstimator().register('m', 8, 6, { sketch: { size: 2, seed: max } });
    est.accumulate('m', Tensor.randn([4, 6], 'f32', 'cpu', 1), Tensor.randn([4, 8], 'f32', 'cpu', 2)).nextPass();
    expect(est.sketch('m', 2).S.size).toBe(2);
    expect(() => new GradientEstimator().register('m', 8, 6, { sketch: { size: 2, seed: max + 1 } }))
      .toThrow(new LoraValueError(`GradientEstimator.register 'm': sketch seed must be an integer in [0, ${max}], got ${max + 1}`));
  });
});

describe('GradientEstimator: messages that say which option, module or tensor', () => {
  test.each([
    [{ size: 5, probes: 0 }, "GradientEstimator.register 'm': sketch probes must be an integer in [1, 1024], got 0"],
    [{ size: 5, passes: 0 }, "GradientEstimator.register 'm': sketch passes must be an integer in [1, 64], got 0"],
    [{ size: 5, seed: -1 }, "GradientEstimator.register 'm': sketch seed must be an integer in [0, 1125899906842623], got -1"],
    [{ size: 5, coreSize: 5 }, "GradientEstimator.register 'm': sketch coreSize must be an integer in [6, 9007199254740991], got 5"],
  ])('sketch option %j', (sketch, msg) => {
    expect(() => new GradientEstimator().register('m', 8, 6, { sketch })).toThrow(new LoraValueError(msg));
  });

  test.each([null, 5, 'size', [5]])('a sketch that is not an object (%j)', (sketch) => {
    expect(() => new GradientEstimator().register('m', 8, 6, { sketch: sketch as never })).toThrow(new LoraValueError("GradientEstimator.register 'm': sketch must be an object ({ size, … })"));
  });

  test('each bound of a sketch option is allowed: size min(out, in), probes 1024, passes 64, any coreSize above size', () => {
    const est = new GradientEstimator();
    est.register('a', 8, 6, { sketch: { size: 6, probes: 1024, passes: 64 } });
    est.register('b', 8, 6, { sketch: { size: 1, coreSize: 2, probes: 1, passes: 1 } });
    expect(est.modules).toEqual(['a', 'b']);
    expect(est.pass('a')).toBe(1);
  });

  test('a zero gradient: error estimate 0 (nothing is missed), energy undefined (NaN: 0 of 0), norm 0', () => {
    const est = new GradientEstimator();
    est.register('m', 8, 6, { sketch: { size: 5 } });
    est.accumulate('m', Tensor.zeros([4, 6]), Tensor.zeros([4, 8]));
    est.nextPass();
    const f = est.sketch('m', 2);
    expect([f.errorEstimate, f.energyEstimate, f.normEstimate]).toEqual([0, NaN, 0]);
  });

  test('nextPass names the sketched module that has no batches in its pass, and then advances no module: feeding it and retrying works', () => {
    const est = new GradientEstimator().register('a', 8, 6, { sketch: { size: 3, passes: 2 } }).register('b', 8, 6, { sketch: { size: 3, passes: 2 } });
    const X = randTensor([4, 6], 330).t, dY = randTensor([4, 8], 331).t;
    est.accumulate('a', X, dY);
    expect(() => est.nextPass()).toThrow(new LoraValueError("GradientEstimator.nextPass 'b': no batches in pass 1"));
    expect([est.pass('a'), est.pass('b')]).toEqual([1, 1]);
    est.accumulate('b', X, dY);
    expect(est.nextPass()).toBe(2);
    expect([est.pass('a'), est.pass('b')]).toEqual([2, 2]);
  });

  test('an unknown module lists the registered ones; a disposed batch tensor is named', () => {
    const est = new GradientEstimator();
    expect(() => est.accumulate('q', Tensor.zeros([2, 6]), Tensor.zeros([2, 8]))).toThrow(new LoraValueError("GradientEstimator: unknown module 'q' (registered: none)"));
    est.register('a', 8, 6);
    est.register('b', 8, 6);
    expect(() => est.accumulate('zz', Tensor.zeros([2, 6]), Tensor.zeros([2, 8]))).toThrow(new LoraValueError("GradientEstimator: unknown module 'zz' (registered: a, b)"));
    const X = Tensor.zeros([2, 6]), dY = Tensor.zeros([2, 8]);
    X.dispose();
    expect(() => est.accumulate('a', X, Tensor.zeros([2, 8]))).toThrow("accumulate 'a' X: tensor [2, 6] f32 was disposed");
    dY.dispose();
    expect(() => est.accumulate('a', Tensor.zeros([2, 6]), dY)).toThrow("accumulate 'a' dY: tensor [2, 8] f32 was disposed");
  });
});

describe('GradientEstimator sketch: batches of any token shape, and a gradient of low rank', () => {
  test('X [batch, seq, in] and dY [batch, seq, out] give the sketch of the same tokens as 2-D batches', () => {
    const X = randTensor([6, 12], 310).t, dY = randTensor([6, 10], 311).t;
    const flat = new GradientEstimator().register('m', 10, 12, { sketch: { size: 4 } });
    const deep = new GradientEstimator().register('m', 10, 12, { sketch: { size: 4 } });
    flat.accumulate('m', X, dY).nextPass();
    deep.accumulate('m', X.reshape([2, 3, 12]), dY.reshape([2, 3, 10])).nextPass();
    const a = flat.sketch('m'), b = deep.sketch('m');
    expect(Array.from(b.S.data)).toEqual(Array.from(a.S.data));
    expect(Array.from(b.U.data)).toEqual(Array.from(a.U.data));
  });

  test('a gradient of rank below the sketch size is captured whole: with every triplet used the error estimate is ~0', () => {
    // dY = Z·Lᵀ, X = Z·Rᵀ with Z of 3 columns: G = mean dYᵀ·X has rank 3 < size 5.
    const Z = randTensor([16, 3], 320).t, L = randTensor([10, 3], 321).t, R = randTensor([12, 3], 322).t;
    const est = new GradientEstimator().register('m', 10, 12, { sketch: { size: 5 } });
    est.accumulate('m', matmul(Z, R, { transB: true }), matmul(Z, L, { transB: true })).nextPass();
    const f = est.sketch('m');  // used = size
    expect(f.normEstimate).toBeGreaterThan(0);
    expect(f.errorEstimate).toBeLessThan(1e-5);
    expect(est.sketch('m', 2).errorEstimate).toBeGreaterThan(1e-2);  // two of the three directions miss the third
  });
});

describe('GradientEstimator sketch: misuse', () => {
  const X = Tensor.randn([8, 20], 'f32', 'cpu', 1), dY = Tensor.randn([8, 30], 'f32', 'cpu', 2);
  test('bad sketch options, passes out of order, a G for a sketched module: LoraValueError', () => {
    expect(() => new GradientEstimator().register('m', 30, 20, { sketch: { size: 0 } })).toThrow(LoraValueError);
    expect(() => new GradientEstimator().register('m', 30, 20, { sketch: { size: 21 } })).toThrow(/size/);
    expect(() => new GradientEstimator().register('m', 30, 20, { sketch: { size: 4, coreSize: 4 } })).toThrow(/coreSize/);
    expect(() => new GradientEstimator().register('m', 30, 20, { sketch: { size: 4, bogus: 1 } as never })).toThrow(/bogus/);
    const est = new GradientEstimator().register('m', 30, 20, { sketch: { size: 5, passes: 2 } });
    expect(() => est.nextPass()).toThrow(/no batches in pass 1/);
    est.accumulate('m', X, dY);
    expect(() => est.sketch('m')).toThrow(/pass 1 of 2/);
    est.nextPass();
    expect(est.pass('m')).toBe(2);
    est.accumulate('m', X, dY).nextPass();
    expect(() => est.accumulate('m', X, dY)).toThrow(/complete/);
    expect(() => est.nextPass()).toThrow(LoraValueError);
    expect(() => est.setGradient('m', Tensor.zeros([30, 20]))).toThrow(LoraValueError);
  });
});

describe('GradientEstimator sketch: passes of modules registered at different times', () => {
  test('nextPass advances every open module by one and returns the pass the furthest module has begun', () => {
    const X = randTensor([4, 6], 340).t, dY = randTensor([4, 8], 341).t;
    const est = new GradientEstimator().register('early', 8, 6, { sketch: { size: 3, passes: 3 } });
    est.accumulate('early', X, dY);
    expect(est.nextPass()).toBe(2);
    // 'late' starts its first pass while 'early' is in its second: one nextPass takes them to 2 and 3.
    est.register('late', 8, 6, { sketch: { size: 3, passes: 3 } });
    est.accumulate('early', X, dY).accumulate('late', X, dY);
    expect(est.nextPass()).toBe(3);
    expect([est.pass('early'), est.pass('late')]).toEqual([3, 2]);
  });
});

describe("initAdapters svd 'sketch'", () => {
  const r = 4;
  const bs = batches(0.5);
  const W = { m: Tensor.randn([out, inF], 'f32', 'cpu', 7) };
  test('gives the adapter of the exact G (A rows |cos| ≥ 0.99) and a report with mode and error estimate', async () => {
    const est = sketched(bs, 4 * r + 1, 1);
    const cfg = { rank: r, alpha: 2 * r, direction: 'ArB2r' as const, scale: 'stable' as const };
    const res = await initAdapters(W, est, { ...cfg, svd: 'sketch' });
    const got = res.modules.m;
    expect(got.report!.method).toBe('sketch');
    expect(got.report!.passes).toBe(1);
    expect(got.report!.sigma.length).toBe(2 * r + 1); // σ₁…σ₂ᵣ₊₁, not every value of the sketch
    expect(got.report!.errorEstimate).toBeGreaterThan(0);
    expect(got.report!.errorEstimate).toBeLessThan(0.5);
    const ref = initLoraGA(W.m, exactG(bs).to('f32'), { ...cfg, svd: 'exact' });
    const a = got.A.toFloat64(), b = ref.A.toFloat64();
    for (let i = 0; i < r; i++) {
      let d = 0, na = 0, nb = 0;
      for (let j = 0; j < inF; j++) { d += a[i * inF + j] * b[i * inF + j]; na += a[i * inF + j] ** 2; nb += b[i * inF + j] ** 2; }
      expect(Math.abs(d) / Math.sqrt(na * nb)).toBeGreaterThan(0.99);
    }
  });

  test('refuses what cannot work: no sketch, passes left, too small a sketch, another method', async () => {
    const cfg = { rank: r, alpha: 2 * r, svd: 'sketch' as const };
    const plain = new GradientEstimator().register('m', out, inF);
    await expect(initAdapters(W, plain, cfg)).rejects.toThrow(/registered with a sketch/);
    const open = new GradientEstimator().register('m', out, inF, { sketch: { size: 9, passes: 2 } });
    await expect(initAdapters(W, open, cfg)).rejects.toThrow(/passes left/);
    await expect(initAdapters(W, sketched(bs, 6, 1), cfg)).rejects.toThrow(/size ≥ 2r \+ 1 = 9/);
    await expect(initAdapters(W, sketched(bs, 9, 1), { ...cfg, method: 'pissa' })).rejects.toThrow(LoraValueError);
    await expect(initAdapters(W, { m: Tensor.zeros([out, inF]) }, cfg)).rejects.toThrow(/GradientEstimator/);
  });
});

describe('GradientEstimator sketch: seeds and memory by dtype', () => {
  const X = randTensor([16, 12], 300).t, dY = randTensor([16, 10], 301).t;
  const factors = (seed: number, dtype: 'f32' | 'f64' = 'f32') => {
    const e = new GradientEstimator({ dtype }).register('m', 10, 12, { sketch: { size: 5, passes: 1, seed } });
    e.accumulate('m', dtype === 'f64' ? X.to('f64') : X, dtype === 'f64' ? dY.to('f64') : dY);
    const bytes = e.bytes('m');
    e.nextPass();
    return { S: Array.from(e.sketch('m').S.toFloat64()), bytes };
  };

  test('the same seed draws the same sketch; each seed its own', () => {
    expect(factors(1).S).toEqual(factors(1).S);
    const seen = new Set([0, 1, 2, 3].map((s) => JSON.stringify(factors(s).S)));
    expect(seen.size).toBe(4);
  });

  test('an f64 sketch holds twice the bytes of an f32 one', () => {
    expect(factors(0, 'f64').bytes).toBe(2 * factors(0).bytes);
  });
});
