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

// A skinny product (one side of C ≤ 128, the other long, m·n·k ≥ 2²⁴) is split along its long side into one part
// per BLAS thread (cpu/matmul.cc). Run with 3 threads so the parts are uneven (2003 rows: 672, 672, 659) and every
// part's offset into A, B and C is exercised, in each transpose layout, both orientations, f32 and f64, with
// α, β ≠ 0 accumulating into C. Tolerances as above (k = 450: f32 2e-6, f64 1e-13).
(distBuilt ? describe : describe.skip)('skinny products split across threads match a float64 reference', () => {
  test('every layout and orientation, f32 and f64, 3 threads', () => {
    const r = runChild(`
const { Tensor, matmul } = L;
const ref = (A, ar, ac, B, br, bc, ta, tb) => {
  const m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc, C = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) {
    const a = ta ? A[p * ac + i] : A[i * ac + p];
    for (let j = 0; j < n; j++) C[i * n + j] += a * (tb ? B[j * bc + p] : B[p * bc + j]);
  }
  return C;
};
const out = [];
let seed = 1;
for (const dt of ['f32', 'f64']) for (const [m, n] of [[2003, 20], [24, 1999]]) for (const ta of [false, true]) for (const tb of [false, true]) {
  const k = 450;
  const a = Tensor.randn(ta ? [k, m] : [m, k], dt, 'cpu', seed++), b = Tensor.randn(tb ? [n, k] : [k, n], dt, 'cpu', seed++);
  const c = Tensor.randn([m, n], dt, 'cpu', seed++), c0 = c.toFloat64();
  matmul(a, b, { transA: ta, transB: tb, alpha: 0.5, beta: 1, out: c });
  const ab = ref(a.toFloat64(), a.shape[0], a.shape[1], b.toFloat64(), b.shape[0], b.shape[1], ta, tb);
  const got = c.toFloat64();
  let num = 0, den = 0;
  for (let i = 0; i < ab.length; i++) { const w = 0.5 * ab[i] + c0[i]; num += (got[i] - w) ** 2; den += w * w; }
  out.push({ dt, m, n, ta, tb, err: Math.sqrt(num / den) });
}
console.log(JSON.stringify(out));`, 120_000, { OPENBLAS_NUM_THREADS: '3' });
    expect({ status: r.status, why: r.status === 0 ? '' : describeChild(r) }).toEqual({ status: 0, why: '' });
    const cases = JSON.parse(r.stdout) as { dt: string; m: number; n: number; ta: boolean; tb: boolean; err: number }[];
    expect(cases).toHaveLength(16);
    for (const c of cases) expect({ ...c, ok: c.err < (c.dt === 'f64' ? 1e-13 : 2e-6) }).toEqual({ ...c, ok: true });
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
