import { LoraDTypeError, LoraShapeError, LoraValueError, Tensor, gradAccumulate, gradAccumulateAsync } from '../lib';
import { randTensor, refMatmul, relErr } from './helpers/ref';

// G = mean over batches of dYᵀ·X in fp32. Reference: float64 sum over the same rounded inputs.
// Tolerance 2e-6 relative: only f32 rounding of products/sums over T ≤ 256 tokens.
describe('gradAccumulate streams dYᵀ·X into an fp32 accumulator', () => {
  test.each(['f32', 'bf16', 'f16', 'f64'] as const)('%s inputs, 3 batches averaged', (dt) => {
    const out = 24, inF = 40, T = 64, nb = 3;
    const G = Tensor.zeros([out, inF], 'f32');
    const want = new Float64Array(out * inF);
    for (let b = 0; b < nb; b++) {
      const dy = randTensor([T, out], 100 + b, dt), x = randTensor([T, inF], 200 + b, dt);
      gradAccumulate(G, dy.t, x.t, { scale: 1 / nb });
      const p = refMatmul(dy.v, T, out, x.v, T, inF, true, false);
      for (let i = 0; i < want.length; i++) want[i] += p[i] / nb;
    }
    expect(relErr(G.toFloat64(), want)).toBeLessThan(2e-6);
  });

  test('an f64 accumulator is exact to 1e-13', () => {
    const G = Tensor.zeros([8, 6], 'f64');
    const dy = randTensor([20, 8], 1, 'f64'), x = randTensor([20, 6], 2, 'f64');
    gradAccumulate(G, dy.t, x.t);
    expect(relErr(G.data, refMatmul(dy.v, 20, 8, x.v, 20, 6, true))).toBeLessThan(1e-13);
  });

  test('3-D activations [batch, seq, features] flatten to tokens', () => {
    const G1 = Tensor.zeros([5, 7]), G2 = Tensor.zeros([5, 7]);
    const dy = randTensor([2, 3, 5], 3), x = randTensor([2, 3, 7], 4);
    gradAccumulate(G1, dy.t, x.t);
    gradAccumulate(G2, dy.t.reshape([6, 5]), x.t.reshape([6, 7]));
    expect(Array.from(G1.data)).toEqual(Array.from(G2.data));
  });

  test('async form matches sync', async () => {
    const G1 = Tensor.zeros([16, 16]), G2 = Tensor.zeros([16, 16]);
    const dy = randTensor([32, 16], 5), x = randTensor([32, 16], 6);
    gradAccumulate(G1, dy.t, x.t);
    await gradAccumulateAsync(G2, dy.t, x.t);
    expect(Array.from(G2.data)).toEqual(Array.from(G1.data));
  });
});

describe('gradAccumulate validation', () => {
  test('a half-precision accumulator is refused (fp32 accumulation is the contract)', () => {
    expect(() => gradAccumulate(Tensor.zeros([4, 4], 'bf16'), Tensor.zeros([2, 4]), Tensor.zeros([2, 4]))).toThrow(LoraDTypeError);
  });
  test('token counts of dY and X must agree', () => {
    expect(() => gradAccumulate(Tensor.zeros([4, 3]), Tensor.zeros([2, 4]), Tensor.zeros([5, 3]))).toThrow(LoraShapeError);
  });
  test('G must be [out, in]', () => {
    expect(() => gradAccumulate(Tensor.zeros([3, 4]), Tensor.zeros([2, 4]), Tensor.zeros([2, 3]))).toThrow(/G \[3, 4\]/);
  });
  test('NaN or Inf in the inputs is a LoraValueError and G is left untouched', () => {
    const G = Tensor.zeros([2, 2]);
    G.data[0] = 7;
    const x = Tensor.from(new Float32Array([1, NaN, 0, 1]), [2, 2]);
    expect(() => gradAccumulate(G, Tensor.from(new Float32Array([1, 2, 3, 4]), [2, 2]), x)).toThrow(LoraValueError);
    expect(Array.from(G.data)).toEqual([7, 0, 0, 0]);
    const inf = Tensor.from(new Float32Array([Infinity, 0, 0, 1]), [2, 2]);
    expect(() => gradAccumulate(G, inf, Tensor.zeros([2, 2]))).toThrow(LoraValueError);
  });
});
