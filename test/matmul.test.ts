import { LoraShapeError, Tensor, matmul, matmulAsync } from '../lib';
import { describeChild, distBuilt, runChild } from './helpers/child';
import { randTensor, refMatmul, relErr } from './helpers/ref';

// Tolerances: f32 GEMM vs a float64 reference on the same (already rounded) inputs differs only by f32
// accumulation, relative Frobenius error ~ 1e-7·√k; 2e-6 leaves headroom for k ≤ 512. f64 results: 1e-13.
describe('matmul matches a float64 reference', () => {
  const cases: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
  test.each(cases)('f32, transA=%s transB=%s', (ta, tb) => {
    const m = 37, k = 53, n = 29;
    const a = randTensor(ta ? [k, m] : [m, k], 1), b = randTensor(tb ? [n, k] : [k, n], 2);
    const c = matmul(a.t, b.t, { transA: ta, transB: tb });
    expect(c.shape).toEqual([m, n]);
    expect(c.dtype).toBe('f32');
    const want = refMatmul(a.v, a.t.shape[0], a.t.shape[1], b.v, b.t.shape[0], b.t.shape[1], ta, tb);
    expect(relErr(c.toFloat64(), want)).toBeLessThan(2e-6);
  });

  test('f64 inputs give an f64 result accurate to 1e-13', () => {
    const a = randTensor([40, 30], 3, 'f64'), b = randTensor([30, 20], 4, 'f64');
    const c = matmul(a.t, b.t);
    expect(c.dtype).toBe('f64');
    expect(relErr(c.data, refMatmul(a.v, 40, 30, b.v, 30, 20))).toBeLessThan(1e-13);
  });

  test.each(['bf16', 'f16'] as const)('%s inputs are widened and accumulated in f32', (dt) => {
    const a = randTensor([64, 96], 5, dt), b = randTensor([96, 48], 6, dt);
    const c = matmul(a.t, b.t);
    expect(c.dtype).toBe('f32');
    expect(relErr(c.toFloat64(), refMatmul(a.v, 64, 96, b.v, 96, 48))).toBeLessThan(2e-6);
  });

  test('bf16 output is the f32 result rounded once (error within bf16 half-ulp, 2^-9)', () => {
    const a = randTensor([16, 32], 7), b = randTensor([32, 8], 8);
    const out = Tensor.zeros([16, 8], 'bf16');
    matmul(a.t, b.t, { out });
    expect(relErr(out.toFloat64(), refMatmul(a.v, 16, 32, b.v, 32, 8))).toBeLessThan(2 ** -8);
  });

  test('alpha and beta = 1 accumulate into out', () => {
    const a = randTensor([10, 12], 9), b = randTensor([12, 7], 10), c0 = randTensor([10, 7], 11);
    const out = c0.t.clone();
    matmul(a.t, b.t, { alpha: 0.5, beta: 1, out });
    const ab = refMatmul(a.v, 10, 12, b.v, 12, 7);
    expect(relErr(out.toFloat64(), ab.map((x, i) => 0.5 * x + c0.v[i]))).toBeLessThan(2e-6);
  });

  test('async form resolves to the same values as the sync form', async () => {
    const a = randTensor([50, 40], 12), b = randTensor([40, 30], 13);
    const sync = matmul(a.t, b.t);
    const asyncRes = await matmulAsync(a.t, b.t);
    expect(Array.from(asyncRes.data)).toEqual(Array.from(sync.data));
  });
});

// Products the CPU splits across threads itself (cpu/matmul.cc, m·n·k ≥ 2²⁴): a skinny C (one side ≤ 128, the
// other long) along its long side, a small C over a long depth along the depth (pieces summed). Run with 3 threads
// so the pieces are uneven (2003 rows: 672, 672, 659) and every piece's offset into A, B and C is exercised, in each
// transpose layout, f32 and f64, with α, β ≠ 0 accumulating into C. Tolerances as above (f32 2e-6 for k ≤ 512;
// the depth split's k = 2000 gets 4e-6, f64 1e-13). The Gram matrices of CholeskyQR and of the randomized SVD's
// Rayleigh–Ritz step are split along their depth the same way (cpu/cholesky_qr.cc): checked through what they
// feed, an orthonormal Q spanning A and an exact low-rank reconstruction.
(distBuilt ? describe : describe.skip)('products and Gram matrices split across threads match float64 references', () => {
  const r = distBuilt ? runChild(`
const { Tensor, matmul, orthonormalize, svd } = L;
const ref = (A, ar, ac, B, br, bc, ta, tb) => {
  const m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc, C = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) {
    const a = ta ? A[p * ac + i] : A[i * ac + p];
    for (let j = 0; j < n; j++) C[i * n + j] += a * (tb ? B[j * bc + p] : B[p * bc + j]);
  }
  return C;
};
const rel = (got, want) => { let num = 0, den = 0; for (let i = 0; i < want.length; i++) { num += (got[i] - want[i]) ** 2; den += want[i] ** 2; } return Math.sqrt(num / den); };
const products = [];
let seed = 1;
for (const dt of ['f32', 'f64']) for (const [m, n, k] of [[2003, 20, 450], [24, 1999, 450], [100, 90, 2000]]) for (const ta of [false, true]) for (const tb of [false, true]) {
  const a = Tensor.randn(ta ? [k, m] : [m, k], dt, 'cpu', seed++), b = Tensor.randn(tb ? [n, k] : [k, n], dt, 'cpu', seed++);
  const c = Tensor.randn([m, n], dt, 'cpu', seed++), c0 = c.toFloat64();
  matmul(a, b, { transA: ta, transB: tb, alpha: 0.5, beta: 1, out: c });
  const ab = ref(a.toFloat64(), a.shape[0], a.shape[1], b.toFloat64(), b.shape[0], b.shape[1], ta, tb);
  products.push({ dt, m, n, k, ta, tb, err: rel(c.toFloat64(), ab.map((x, i) => 0.5 * x + c0[i])) });
}
// CholeskyQR2 of a 3001×120 A: Gram over 3001 rows. Q orthonormal and Q·(Qᵀ·A) = A.
const grams = [];
for (const dt of ['f32', 'f64']) {
  const A = Tensor.randn([3001, 120], dt, 'cpu', seed++), a = A.toFloat64();
  const q = orthonormalize(A.clone(), { method: 'cholqr2' }).toFloat64();
  const qtq = ref(q, 3001, 120, q, 3001, 120, true, false), I = qtq.map((_, i) => (i % 121 === 0 ? 1 : 0));
  const back = ref(q, 3001, 120, ref(q, 3001, 120, a, 3001, 120, true, false), 120, 120);
  grams.push({ what: 'cholqr2 ' + dt, orth: Math.sqrt(qtq.reduce((s, x, i) => s + (x - I[i]) ** 2, 0)), span: rel(back, a) });
}
// Randomized SVD of an exactly rank-30 400×3000 M with 200 columns: B·Bᵀ is 200×200 over 3000 columns.
{
  const X = Tensor.randn([400, 30], 'f64', 'cpu', seed++), Y = Tensor.randn([30, 3000], 'f64', 'cpu', seed++);
  const M = matmul(X, Y), { U, S, Vt } = svd(M, { k: 30, method: 'randomized', oversample: 170, powerIters: 1 });
  const us = U.toFloat64().map((x, i) => x * S.toFloat64()[i % 30]);
  grams.push({ what: 'randomized svd rank 30', orth: 0, span: rel(ref(us, 400, 30, Vt.toFloat64(), 30, 3000), M.toFloat64()) });
}
console.log(JSON.stringify({ products, grams }));`, 180_000, { OPENBLAS_NUM_THREADS: '3' }) : null;
  const out = r && r.status === 0 ? (JSON.parse(r.stdout) as { products: { dt: string; k: number; err: number }[]; grams: { what: string; orth: number; span: number }[] }) : null;

  test('the child ran', () => {
    expect({ status: r!.status, why: r!.status === 0 ? '' : describeChild(r!) }).toEqual({ status: 0, why: '' });
  });
  test('split products: every layout, long rows, long columns and long depth, f32 and f64', () => {
    expect(out!.products).toHaveLength(24);
    for (const c of out!.products) expect({ ...c, ok: c.err < (c.dt === 'f64' ? 1e-13 : c.k > 512 ? 4e-6 : 2e-6) }).toEqual({ ...c, ok: true });
  });
  // CholeskyQR2's Q is orthonormal to ~ε·√n (f32 1e-5, f64 1e-13 here) and spans A; the rank-30 M is
  // reconstructed to its f64 rounding (1e-12).
  test('split Gram matrices: CholeskyQR2 and the Rayleigh–Ritz step', () => {
    const [f32, f64, rsvd] = out!.grams;
    expect({ ...f32, ok: f32.orth < 1e-5 && f32.span < 1e-5 }).toEqual({ ...f32, ok: true });
    expect({ ...f64, ok: f64.orth < 1e-13 && f64.span < 1e-13 }).toEqual({ ...f64, ok: true });
    expect({ ...rsvd, ok: rsvd.span < 1e-12 }).toEqual({ ...rsvd, ok: true });
  });
});

describe('matmul rejects bad input with typed errors', () => {
  test('inner dimension mismatch names both shapes', () => {
    const a = Tensor.zeros([3, 4]), b = Tensor.zeros([5, 2]);
    expect(() => matmul(a, b)).toThrow(LoraShapeError);
    expect(() => matmul(a, b)).toThrow(/\[3, 4\].*\[5, 2\]/);
  });
  test('out of the wrong shape', () => {
    expect(() => matmul(Tensor.zeros([3, 4]), Tensor.zeros([4, 2]), { out: Tensor.zeros([3, 3]) })).toThrow(LoraShapeError);
  });
  test('beta without out', () => {
    expect(() => matmul(Tensor.zeros([3, 4]), Tensor.zeros([4, 2]), { beta: 1 })).toThrow(LoraShapeError);
  });
  test('non-matrix operand', () => {
    expect(() => matmul(Tensor.zeros([2, 3, 4]), Tensor.zeros([4, 2]))).toThrow(LoraShapeError);
  });
});
