import { LoraShapeError, Tensor, matmul, matmulAsync } from '../lib';
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
