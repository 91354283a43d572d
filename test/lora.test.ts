import { LoraShapeError, Tensor, loraBackward, loraBackwardAsync, loraForward, loraForwardAsync } from '../lib';
import { randTensor, refMatmul, relErr } from './helpers/ref';

// Layer: x [T, in], W [out, in], A [r, in], B [out, r], s = α/r. Float64 references built from refMatmul.
const T = 33, inF = 40, out = 24, r = 6, s = 16 / 6;

function refForward(x: Float64Array, W: Float64Array, A: Float64Array, B: Float64Array): Float64Array {
  const y = refMatmul(x, T, inF, W, out, inF, false, true);
  const h = refMatmul(x, T, inF, A, r, inF, false, true);
  const d = refMatmul(h, T, r, B, out, r, false, true);
  return y.map((v, i) => v + s * d[i]);
}

describe('loraForward = x·Wᵀ + s·(x·Aᵀ)·Bᵀ', () => {
  test.each(['f32', 'bf16', 'f16', 'f64'] as const)('%s weights and activations', (dt) => {
    const x = randTensor([T, inF], 1, dt), W = randTensor([out, inF], 2, dt), A = randTensor([r, inF], 3, dt), B = randTensor([out, r], 4, dt);
    const { y, h } = loraForward(x.t, W.t, A.t, B.t, s);
    expect(y.shape).toEqual([T, out]);
    expect(h!.shape).toEqual([T, r]);
    const tol = dt === 'f64' ? 1e-13 : 3e-6; // f32 accumulation only; inputs compared as stored
    expect(relErr(y.toFloat64(), refForward(x.v, W.v, A.v, B.v))).toBeLessThan(tol);
    expect(relErr(h!.toFloat64(), refMatmul(x.v, T, inF, A.v, r, inF, false, true))).toBeLessThan(tol);
  });

  test('N-D input [batch, seq, in] gives [batch, seq, out]', () => {
    const x = randTensor([3, 11, inF], 5), W = randTensor([out, inF], 2), A = randTensor([r, inF], 3), B = randTensor([out, r], 4);
    const { y } = loraForward(x.t, W.t, A.t, B.t, s);
    expect(y.shape).toEqual([3, 11, out]);
    expect(relErr(y.toFloat64(), refForward(x.v, W.v, A.v, B.v))).toBeLessThan(3e-6);
  });

  test('async form matches sync', async () => {
    const x = randTensor([T, inF], 1), W = randTensor([out, inF], 2), A = randTensor([r, inF], 3), B = randTensor([out, r], 4);
    const a = loraForward(x.t, W.t, A.t, B.t, s), b = await loraForwardAsync(x.t, W.t, A.t, B.t, s);
    expect(Array.from(b.y.data)).toEqual(Array.from(a.y.data));
  });

  test('mismatched A is a LoraShapeError naming every shape', () => {
    const bad = () => loraForward(Tensor.zeros([T, inF]), Tensor.zeros([out, inF]), Tensor.zeros([r, inF + 1]), Tensor.zeros([out, r]), s);
    expect(bad).toThrow(LoraShapeError);
    expect(bad).toThrow(/A \[6, 41\]/);
  });
});

describe('loraBackward gives dX, dA, dB', () => {
  const x = randTensor([T, inF], 11, 'f64'), W = randTensor([out, inF], 12, 'f64');
  const A = randTensor([r, inF], 13, 'f64'), B = randTensor([out, r], 14, 'f64'), dy = randTensor([T, out], 15, 'f64');

  test('closed forms against float64 references', () => {
    const { dX, dA, dB } = loraBackward(dy.t, x.t, W.t, A.t, B.t, s);
    const g = refMatmul(dy.v, T, out, B.v, out, r); // dY·B
    const dxRef = refMatmul(dy.v, T, out, W.v, out, inF).map((v, i) => v + s * refMatmul(g, T, r, A.v, r, inF)[i]);
    const dARef = refMatmul(g, T, r, x.v, T, inF, true).map((v) => s * v);
    const h = refMatmul(x.v, T, inF, A.v, r, inF, false, true);
    const dBRef = refMatmul(dy.v, T, out, h, T, r, true).map((v) => s * v);
    expect(relErr(dX!.data, dxRef)).toBeLessThan(1e-12);
    expect(relErr(dA.data, dARef)).toBeLessThan(1e-12);
    expect(relErr(dB.data, dBRef)).toBeLessThan(1e-12);
  });

  test('gradients agree with central finite differences of L = Σ dY ⊙ y', () => {
    // L(x, A, B) = Σ_ij dY_ij · y_ij is linear in each argument, so central differences are exact up to rounding.
    const { dX, dA, dB } = loraBackward(dy.t, x.t, W.t, A.t, B.t, s);
    const loss = (xv: Float64Array, av: Float64Array, bv: Float64Array) =>
      refForward(xv, W.v, av, bv).reduce((acc, v, i) => acc + v * dy.v[i], 0);
    const eps = 1e-4;
    const check = (which: 'x' | 'A' | 'B', grad: Float64Array, idx: number) => {
      const vs = { x: x.v.slice(), A: A.v.slice(), B: B.v.slice() };
      vs[which][idx] += eps;
      const lp = loss(vs.x, vs.A, vs.B);
      vs[which][idx] -= 2 * eps;
      const lm = loss(vs.x, vs.A, vs.B);
      expect(Math.abs((lp - lm) / (2 * eps) - grad[idx])).toBeLessThan(1e-6 * Math.max(1, Math.abs(grad[idx])));
    };
    for (const i of [0, 17, 333, T * inF - 1]) check('x', dX!.data as Float64Array, i);
    for (const i of [0, 5, 100, r * inF - 1]) check('A', dA.data as Float64Array, i);
    for (const i of [0, 7, 50, out * r - 1]) check('B', dB.data as Float64Array, i);
  });

  test('saved h and recomputed h give the same dB; needDx=false skips dX', () => {
    const { h } = loraForward(x.t, W.t, A.t, B.t, s);
    const a = loraBackward(dy.t, x.t, W.t, A.t, B.t, s, { h });
    const b = loraBackward(dy.t, x.t, W.t, A.t, B.t, s, { needDx: false });
    expect(b.dX).toBeNull();
    expect(relErr(b.dB.data, a.dB.data)).toBeLessThan(1e-14);
  });

  test('async form matches sync', async () => {
    const a = loraBackward(dy.t, x.t, W.t, A.t, B.t, s);
    const b = await loraBackwardAsync(dy.t, x.t, W.t, A.t, B.t, s);
    expect(Array.from(b.dA.data)).toEqual(Array.from(a.dA.data));
  });

  test('dY of the wrong shape is a LoraShapeError', () => {
    expect(() => loraBackward(Tensor.zeros([T, out + 1], 'f64'), x.t, W.t, A.t, B.t, s)).toThrow(LoraShapeError);
  });
});
