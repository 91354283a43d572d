// matmul, gradAccumulate, SVD and QR on the CUDA backend against float64 references and the CPU backend.
import {
  DType, Tensor, gradAccumulate, gradAccumulateAsync, matmul, orthonormalize, setAllowTf32, svd, svdAsync, svdBatched,
} from '../../lib';
import { sketchUpdate } from '../../lib/ops/sketch-update';
import { randTensor, refMatmul, relErr, transpose, withSpectrum } from '../helpers/ref';
import { sketchIncrements } from '../helpers/sketch';
import { describeGpu } from './cuda';

const gpu = (t: Tensor) => t.toDevice('cuda');

/**
 * Float64 statements of a (truncated) SVD of M, from M's stored values alone (so a bug the CPU and GPU share cannot
 * hide behind agreeing with each other): the worst of ‖UᵀU − I‖, ‖VᵀV − I‖ and, per column j, ‖M·vⱼ − σⱼuⱼ‖ and
 * ‖Mᵀ·uⱼ − σⱼvⱼ‖, all relative to σ₁; and the captured energy ‖UᵀMV‖²_F / Σⱼ σⱼ² of the exact σ given.
 */
function svdStatements(Mv: Float64Array, m: number, n: number, r: { U: Tensor; S: Tensor; Vt: Tensor }, exact: number[]) {
  const k = r.S.size, U = r.U.toFloat64(), S = r.S.toFloat64(), V = transpose(r.Vt.toFloat64(), k, n);
  const dev = (X: Float64Array, rows: number) => {
    const g = refMatmul(X, rows, k, X, rows, k, true, false);
    return Math.max(...Array.from(g, (x, i) => Math.abs(x - (Math.floor(i / k) === i % k ? 1 : 0))));
  };
  const MV = refMatmul(Mv, m, n, V, n, k), MtU = refMatmul(Mv, m, n, U, m, k, true, false);
  let resid = 0;
  for (let j = 0; j < k; j++) {
    let a = 0, b = 0;
    for (let i = 0; i < m; i++) a += (MV[i * k + j] - S[j] * U[i * k + j]) ** 2;
    for (let i = 0; i < n; i++) b += (MtU[i * k + j] - S[j] * V[i * k + j]) ** 2;
    resid = Math.max(resid, Math.sqrt(a), Math.sqrt(b));
  }
  const P = refMatmul(U, m, k, MV, m, k, true, false);
  const energy = P.reduce((e, x) => e + x * x, 0) / exact.slice(0, k).reduce((e, x) => e + x * x, 0);
  return { ortho: Math.max(dev(U, m), dev(V, n)) , resid: resid / exact[0], sErr: relErr(S, exact.slice(0, k)), energy };
}

describeGpu('CUDA matmul', () => {
  const cases: [DType, boolean, boolean][] = [];
  for (const dt of ['f32', 'f64', 'bf16', 'f16'] as DType[]) for (const ta of [false, true]) for (const tb of [false, true]) cases.push([dt, ta, tb]);
  test.each(cases)('%s, transA=%s, transB=%s matches float64', (dt, ta, tb) => {
    const m = 37, k = 53, n = 29;
    const A = randTensor(ta ? [k, m] : [m, k], 1, dt), B = randTensor(tb ? [n, k] : [k, n], 2, dt);
    const C = matmul(gpu(A.t), gpu(B.t), { transA: ta, transB: tb });
    expect(C.device).toBe('cuda');
    const want = refMatmul(A.v, A.t.shape[0], A.t.shape[1], B.v, B.t.shape[0], B.t.shape[1], ta, tb);
    // fp32 (or fp64) accumulation of exactly representable products; inputs compared as stored
    expect(relErr(C.toFloat64(), want)).toBeLessThan(dt === 'f64' ? 1e-13 : 2e-6);
  });

  test('beta = 1 accumulates into out; mixed input dtypes go through f32', () => {
    const A = randTensor([20, 30], 3, 'bf16'), B = randTensor([30, 10], 4, 'f32'), C0 = randTensor([20, 10], 5, 'f32');
    const out = gpu(C0.t);
    matmul(gpu(A.t), gpu(B.t), { out, alpha: 0.5, beta: 1 });
    const want = refMatmul(A.v, 20, 30, B.v, 30, 10).map((v, i) => 0.5 * v + C0.v[i]);
    expect(relErr(out.toFloat64(), want)).toBeLessThan(2e-6);
  });

  test('bf16 output with fp32 accumulation is within bf16 rounding of the reference', () => {
    const A = randTensor([64, 128], 6, 'bf16'), B = randTensor([128, 48], 7, 'bf16');
    const C = matmul(gpu(A.t), gpu(B.t), { dtype: 'bf16' });
    expect(relErr(C.toFloat64(), refMatmul(A.v, 64, 128, B.v, 128, 48))).toBeLessThan(4e-3); // 2^-8 relative per element
  });

  test('TF32 is opt-in and stays within TF32 accuracy', () => {
    const A = randTensor([256, 512], 8, 'f32'), B = randTensor([512, 128], 9, 'f32');
    const want = refMatmul(A.v, 256, 512, B.v, 512, 128);
    try {
      setAllowTf32(true);
      expect(relErr(matmul(gpu(A.t), gpu(B.t)).toFloat64(), want)).toBeLessThan(2e-3); // 10-bit mantissa inputs
    } finally {
      setAllowTf32(false);
    }
    expect(relErr(matmul(gpu(A.t), gpu(B.t)).toFloat64(), want)).toBeLessThan(2e-6);
  });
});

describeGpu('CUDA gradAccumulate (G += s·dYᵀ·X, fp32 accumulation)', () => {
  test.each(['bf16', 'f16', 'f32'] as DType[])('%s activations into an f32 G', async (dt) => {
    const Tn = 300, out = 48, inF = 40;
    const dY = randTensor([Tn, out], 10, dt), X = randTensor([Tn, inF], 11, dt), G0 = randTensor([out, inF], 12, 'f32');
    const G = gpu(G0.t);
    gradAccumulate(G, gpu(dY.t), gpu(X.t), { scale: 0.25 });
    await gradAccumulateAsync(G, gpu(dY.t), gpu(X.t), { scale: 0.25 });
    const p = refMatmul(dY.v, Tn, out, X.v, Tn, inF, true, false);
    expect(relErr(G.toFloat64(), p.map((v, i) => G0.v[i] + 0.5 * v))).toBeLessThan(3e-6);
  });
});

describeGpu('CUDA SVD', () => {
  // Separated spectrum so singular vectors are well defined (compared up to sign).
  const spectrum = (k: number) => Array.from({ length: k }, (_, i) => 10 / (i + 1) ** 1.5);
  function checkSvd(m: number, n: number, k: number, dt: DType, method: 'exact' | 'randomized' | 'krylov', tol: number) {
    const p = Math.min(m, n);
    const M = Tensor.fromFloat64(withSpectrum(m, n, spectrum(p), m * 7 + n), [m, n], dt);
    const cpu = svd(M, { k, method, seed: 3 });
    const g = svd(gpu(M), { k, method, seed: 3 });
    expect(g.U.device).toBe('cuda');
    // Float64 statements first. Exact: residuals at the storage's rounding (bf16 M: its stored values are the M of the
    // statement, so bf16 rounding does not enter); σ within that rounding of the prescribed spectrum, except bf16,
    // whose stored M has other σ (2⁻⁸ relative entries). Randomized (k of a 1/i^1.5 spectrum, power iterations):
    // residuals ≤ 1e-4, ≥ 0.9999 of the top-k energy and σ within 1e-4.
    const st = svdStatements(M.toFloat64(), m, n, g, spectrum(p));
    const eps = dt === 'f64' ? 1e-12 : 2e-5;
    expect(st.ortho).toBeLessThan(method === 'exact' ? eps : 1e-5);
    // Randomized: 4e-6 measured (the CPU, same algorithm); a sign or scale slip in U or V is O(1).
    expect(st.resid).toBeLessThan(method === 'exact' ? eps : 1e-4);
    expect(st.sErr).toBeLessThan(dt === 'bf16' ? 1e-2 : method === 'exact' ? eps : 1e-4);
    expect(st.energy).toBeGreaterThan(dt === 'bf16' ? 0.99 : method === 'exact' ? 1 - eps : 0.9999);
    expect(relErr(g.S.toFloat64(), cpu.S.toFloat64())).toBeLessThan(tol);
    const gu = g.U.toFloat64(), cu = cpu.U.toFloat64(), gv = g.Vt.toFloat64(), cv = cpu.Vt.toFloat64();
    for (let j = 0; j < k; j++) {
      let dotU = 0, dotV = 0;
      for (let i = 0; i < m; i++) dotU += gu[i * k + j] * cu[i * k + j];
      for (let i = 0; i < n; i++) dotV += gv[j * n + i] * cv[j * n + i];
      expect(Math.abs(dotU)).toBeCloseTo(1, 3);
      expect(Math.sign(dotU)).toBe(Math.sign(dotV)); // the pair flips sign together
    }
  }
  test.each([
    [50, 20, 20, 'f32'], [20, 50, 20, 'f32'], [60, 25, 7, 'f32'], [25, 60, 7, 'f32'], [40, 30, 30, 'f64'], [30, 40, 5, 'f64'], [48, 32, 8, 'bf16'],
  ] as [number, number, number, DType][])('exact %ix%i, k=%i, %s: float64 statements (residuals, orthonormality, σ, energy) and the CPU (LAPACK) result', (m, n, k, dt) => {
    checkSvd(m, n, k, dt, 'exact', dt === 'f64' ? 1e-12 : 1e-5);
  });

  test('exact SVD reconstructs M (k = min(m, n)) with orthonormal U', () => {
    const m = 70, n = 45;
    const A = randTensor([m, n], 21, 'f32');
    const { U, S, Vt } = svd(gpu(A.t));
    const u = U.toFloat64(), s = S.toFloat64(), vt = Vt.toFloat64();
    const us = u.map((v, i) => v * s[i % n]);
    expect(relErr(refMatmul(us, m, n, vt, n, n), A.v)).toBeLessThan(2e-6);
    const utu = refMatmul(u, m, n, u, m, n, true, false);
    const eye = utu.map((_, i) => (Math.floor(i / n) === i % n ? 1 : 0));
    expect(relErr(utu, eye)).toBeLessThan(2e-6);
  });

  test.each([[200, 120, 8], [120, 200, 8]])('randomized %ix%i k=%i: residuals, captured energy and σ against the prescribed spectrum; same Gaussian draw as the CPU, same result', (m, n, k) => {
    checkSvd(m, n, k, 'f32', 'randomized', 1e-4);
  });

  // Block Krylov (composite/block_krylov.cc: Gram–Schmidt between blocks, CholeskyQR inside them, the early stop when
  // the space runs out) on the device's primitives: the same statements as the randomized SVD.
  test.each([[200, 120, 8], [120, 200, 8]])('krylov %ix%i k=%i: residuals, captured energy and σ against the prescribed spectrum; the CPU result for the same seed', (m, n, k) => {
    checkSvd(m, n, k, 'f32', 'krylov', 1e-4);
  });

  // The Krylov space used up exactly at a block boundary (32 non-zero rows, blocks of 8; 2 of 3 rows, blocks of 1):
  // the next block is rounding noise inside the basis and must be refused by cholesky's minDiag test on the device
  // too (test/block-krylov-svd.test.ts says why); kept, it gave σ up to 2.2× the exact.
  test.each([[200, 300, 32, 8], [3, 3, 2, 1]])('krylov %ix%i with %i non-zero rows, k=%i: σ = exact σ, U orthonormal (the noise block is not kept)', (m, n, nonZero, k) => {
    const g = Tensor.randn([m, n], 'f64', 'cpu', 23).toFloat64().map((x, i) => (i < nonZero * n ? x : 0));
    const exact = svd(Tensor.fromFloat64(g, [m, n], 'f64'), { k }).S.toFloat64();
    const res = svd(gpu(Tensor.fromFloat64(g, [m, n], 'f32')), { k, method: 'krylov', oversample: 0, powerIters: 4, seed: 5 });
    const s = res.S.toFloat64(), u = res.U.toFloat64();
    for (let i = 0; i < k; i++) expect(Math.abs(s[i] - exact[i])).toBeLessThan(2e-6 * exact[0]);
    const utu = refMatmul(u, m, k, u, m, k, true, false);
    expect(Math.max(...Array.from(utu, (x, i) => Math.abs(x - (Math.floor(i / k) === i % k ? 1 : 0))))).toBeLessThan(2e-6);
  });

  // M·Mᵀ·Qᵢ squares M's scale: entries ~1e-30 underflowed it in f32, ~1e25 overflowed it; past 2^±40 the iteration
  // runs in f64 (B₀ read back on the host once), on the device as on the CPU.
  test.each([1e-30, 1e25])('krylov of M·%s stored in f32: σ/scale and U as for M, on the device', (scale) => {
    const Mv = withSpectrum(120, 80, Array.from({ length: 80 }, (_, i) => 1 / (i + 1)), 31);
    const o = { k: 6, method: 'krylov' as const, oversample: 0, powerIters: 4, seed: 1 };
    const ref = svd(Tensor.fromFloat64(Mv, [120, 80], 'f32'), o).S.toFloat64();
    const res = svd(gpu(Tensor.fromFloat64(Mv.map((x) => x * scale), [120, 80], 'f32')), o);
    const s = res.S.toFloat64(), u = res.U.toFloat64();
    for (let i = 0; i < 6; i++) expect(Math.abs(s[i] / scale - ref[i])).toBeLessThan(1e-5 * ref[0]);
    const utu = refMatmul(u, 120, 6, u, 120, 6, true, false);
    expect(Math.max(...Array.from(utu, (x, i) => Math.abs(x - (Math.floor(i / 6) === i % 6 ? 1 : 0))))).toBeLessThan(2e-6);
  });

  // The Rayleigh–Ritz step by the f64 Gram (composite/svd_gram.cc, cuSOLVER syevd): its accuracy signature where it
  // applies (Vᵀ orthonormal to 1e-7, beyond an f32 SVD of B) and the exact-SVD fallback where σ vanish (test/svd-gram).
  test.each(['randomized', 'krylov'] as const)('%s: the Gram path (σ₁₆/σ₁ = 1e-3) and its fallback (rank 3 of 6; σ₁₆/σ₁ = 1e-8), as on the CPU', (method) => {
    const graded = (d: number) => Array.from({ length: 20 }, (_, i) => 10 ** ((-i * d) / 15));
    for (const [spec, k, vTol] of [[graded(3), 16, 1e-7], [[3, 2, 1], 6, 2e-6], [graded(8), 16, 2e-6]] as [number[], number, number][]) {
      const M = Tensor.fromFloat64(withSpectrum(300, 200, spec, 5), [300, 200], 'f32');
      const o = { k, method, oversample: method === 'krylov' ? 0 : k, powerIters: 4, seed: 1 };
      const g = svd(gpu(M), o), c = svd(M, o);
      const vt = g.Vt.toFloat64(), u = g.U.toFloat64();
      const vvt = refMatmul(vt, k, 200, vt, k, 200, false, true), utu = refMatmul(u, 300, k, u, 300, k, true, false);
      const off = (a: Float64Array) => Math.max(...Array.from(a, (x, i) => Math.abs(x - (Math.floor(i / k) === i % k ? 1 : 0))));
      expect(off(vvt)).toBeLessThan(vTol);
      expect(off(utu)).toBeLessThan(5e-6);
      const gs = g.S.toFloat64(), cs = c.S.toFloat64();
      for (let i = 0; i < k; i++) expect(Math.abs(gs[i] - cs[i])).toBeLessThan(1e-5 * cs[0]);
    }
  });

  test('svdAsync resolves with the sync result', async () => {
    const A = gpu(randTensor([40, 30], 22, 'f32').t);
    const a = svd(A, { k: 5 }), b = await svdAsync(A, { k: 5 });
    expect(Array.from(b.S.toFloat64())).toEqual(Array.from(a.S.toFloat64()));
  });
});

describeGpu('CUDA orthonormalize (thin QR)', () => {
  test.each(['f32', 'f64'] as DType[])('%s: QᵀQ = I and Q spans A', (dt) => {
    const m = 120, n = 17;
    const A = randTensor([m, n], 30, dt);
    const Q = orthonormalize(gpu(A.t)).toFloat64();
    const tol = dt === 'f64' ? 1e-12 : 3e-6;
    const qtq = refMatmul(Q, m, n, Q, m, n, true, false);
    expect(relErr(qtq, qtq.map((_, i) => (Math.floor(i / n) === i % n ? 1 : 0)))).toBeLessThan(tol);
    const proj = refMatmul(Q, m, n, refMatmul(Q, m, n, A.v, m, n, true, false), n, n); // Q·Qᵀ·A = A
    expect(relErr(proj, A.v)).toBeLessThan(tol * 10);
  });
});

describeGpu('CUDA svdBatched (several streams)', () => {
  test('seeds: matrix i draws with seeds[i] on its lane, as the CPU svd with that seed', () => {
    const specs: [number, number][] = [[90, 60], [60, 90], [120, 40], [80, 70], [70, 80]];
    const seeds = [11, 5, 2 ** 33, 0, 7];
    const Ms = specs.map(([m, n], i) => Tensor.fromFloat64(withSpectrum(m, n, Array.from({ length: Math.min(m, n) }, (_, j) => 5 / (j + 1)), 90 + i), [m, n], 'f32'));
    // No power iterations and no oversampling: σ then depends on the draw (another seed moves it by far more than 1e-4).
    const o = { k: 5, method: 'randomized' as const, powerIters: 0, oversample: 0 };
    const g = svdBatched(Ms.map((M) => M.toDevice()), { ...o, seeds });
    g.forEach((r, i) => {
      expect(relErr(r.S.toFloat64(), svd(Ms[i], { ...o, seed: seeds[i] }).S.toFloat64())).toBeLessThan(1e-4);
      expect(relErr(r.S.toFloat64(), svd(Ms[i], { ...o, seed: seeds[i] + 1 }).S.toFloat64())).toBeGreaterThan(1e-3);
    });
  });

  test.each(['exact', 'randomized', 'krylov'] as const)('%s: each result satisfies the float64 statements and matches the CPU result for the same seed', (method) => {
    const specs: [number, number][] = [[90, 60], [60, 90], [120, 40], [40, 40], [80, 70], [70, 80]];
    const Ms = specs.map(([m, n], i) => Tensor.fromFloat64(withSpectrum(m, n, Array.from({ length: Math.min(m, n) }, (_, j) => 5 / (j + 1)), 70 + i), [m, n], 'f32'));
    const g = svdBatched(Ms.map((M) => M.toDevice()), { k: 5, method, seed: 4 });
    const c = svdBatched(Ms, { k: 5, method, seed: 4 });
    g.forEach((r, i) => {
      expect(r.S.device).toBe('cuda');
      expect(relErr(r.S.toFloat64(), c[i].S.toFloat64())).toBeLessThan(1e-4); // f32, same Gaussian draw
      // …and the float64 statements of each module's SVD (svdStatements above; a 5/j spectrum, k = 5).
      const [m, n] = specs[i], st = svdStatements(Ms[i].toFloat64(), m, n, r, Array.from({ length: Math.min(m, n) }, (_, j) => 5 / (j + 1)));
      expect(st.ortho).toBeLessThan(1e-5);
      if (method === 'exact') expect(Math.max(st.resid, st.sErr)).toBeLessThan(2e-5);
      else expect(st.resid).toBeLessThan(2e-3);   // a 1/j spectrum with k = 5: ≤ 3e-4 measured on the CPU
      expect(st.energy).toBeGreaterThan(method === 'exact' ? 1 - 2e-5 : 0.999);
    });
  });
});

describeGpu('CUDA sketchUpdate (fillGaussianAt draws blocks of test-matrix columns on the device)', () => {
  // in = 8192: blocks of 8 (f32) or 4 (f64) of Ω's 33 columns, so the kernel's offset and stride are exercised.
  test.each([['f32', 'f32', 2e-5], ['f64', 'f64', 1e-12], ['f32', 'bf16', 2e-5]] as const)('a %s sketch from %s batches on the GPU matches the products with whole test matrices', (dt, inDt, tol) => {
    const o = 300, i = 8192, T = 3, k = 33, s = 67, t = 10, seed = 77;
    const X = Tensor.randn([T, i], 'f32', 'cpu', 1).to(inDt), dY = Tensor.randn([T, o], 'f32', 'cpu', 2).to(inDt);
    const want = sketchIncrements(X, dY, seed, k, s, t, dt);
    const held = { Y: Tensor.zeros([o, k], dt, 'cuda'), E: Tensor.zeros([o, t], dt, 'cuda'), W: Tensor.zeros([k, i], dt, 'cuda'), Z: Tensor.zeros([s, s], dt, 'cuda') };
    sketchUpdate(gpu(X), gpu(dY), seed, held);
    for (const n of ['Y', 'E', 'W', 'Z'] as const) {
      const got = held[n].toDevice('cpu').toFloat64(), w = want[n];
      let err = 0, scale = 0;
      for (let j = 0; j < w.length; j++) { err = Math.max(err, Math.abs(got[j] - w[j])); scale = Math.max(scale, Math.abs(w[j])); }
      expect({ n, within: err / scale < tol }).toEqual({ n, within: true });
    }
  });
});
