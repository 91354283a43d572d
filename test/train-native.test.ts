import { LoraDTypeError, LoraShapeError, LoraValueError, Tensor, adamwStep, sgdStep, solve, solveAsync } from '../lib';
import { randTensor, randn, refMatmul, relErr } from './helpers/ref';
import { refSolve } from './helpers/linalg';

describe('solve: a·x = b by LU (row-major data handed to column-major LAPACK)', () => {
  test.each([['f64', 1e-12], ['f32', 1e-4]] as const)('non-symmetric a, several right-hand sides, %s', (dt, tol) => {
    const n = 13, m = 5;
    // a = random + n·I: well conditioned, so the f32 tolerance is rounding (κ·ε with κ ≈ 10), not conditioning.
    const av = randn(n * n, 7).map((v, i) => v + (i % (n + 1) === 0 ? n : 0));
    const a = Tensor.fromFloat64(av, [n, n], dt), b = randTensor([n, m], 8, dt);
    const a0 = a.toFloat64(), b0 = b.t.toFloat64();
    const x = solve(a, b.t);
    expect(relErr(x.toFloat64(), refSolve(a.toFloat64(), b.v, n, m))).toBeLessThan(tol);
    // a·x reproduces b (would fail if a were used transposed)
    expect(relErr(refMatmul(a.toFloat64(), n, n, x.toFloat64(), n, m), b.v)).toBeLessThan(tol);
    expect(Array.from(a.toFloat64())).toEqual(Array.from(a0)); // not in place: inputs untouched
    expect(Array.from(b.t.toFloat64())).toEqual(Array.from(b0));
  });

  test('inPlace writes x into b', async () => {
    const n = 6;
    const a = Tensor.fromFloat64(randn(n * n, 3).map((v, i) => v + (i % (n + 1) === 0 ? 4 : 0)), [n, n], 'f64');
    const b = randTensor([n, 2], 4, 'f64');
    const want = await solveAsync(a, b.t);
    const x = solve(a.clone(), b.t, { inPlace: true });
    expect(x).toBe(b.t);
    expect(relErr(b.t.toFloat64(), want.toFloat64())).toBeLessThan(1e-14);
  });

  test('singular matrix is a LoraValueError; b untouched', () => {
    const a = Tensor.from(new Float64Array([1, 2, 2, 4]), [2, 2]), b = Tensor.from(new Float64Array([1, 1]), [2, 1]);
    expect(() => solve(a, b)).toThrow(LoraValueError);
    expect(Array.from(b.data)).toEqual([1, 1]);
  });

  test('bad shapes and dtypes are typed errors naming the shapes', () => {
    expect(() => solve(Tensor.zeros([3, 4]), Tensor.zeros([3, 1]))).toThrow(/\[3, 4\]/);
    expect(() => solve(Tensor.zeros([3, 3]), Tensor.zeros([4, 1]))).toThrow(LoraShapeError);
    expect(() => solve(Tensor.zeros([3, 3]), Tensor.zeros([3, 1], 'f64'))).toThrow(LoraDTypeError);
    expect(() => solve(Tensor.zeros([3, 3], 'bf16'), Tensor.zeros([3, 1], 'bf16'))).toThrow(LoraDTypeError);
  });
});

// Float64 reference steps, written straight from the definitions.
function refAdamW(p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, lr: number, b1: number, b2: number, eps: number, wd: number, t: number) {
  for (let i = 0; i < p.length; i++) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    const mh = m[i] / (1 - b1 ** t), vh = v[i] / (1 - b2 ** t);
    p[i] = p[i] - lr * (mh / (Math.sqrt(vh) + eps) + wd * p[i]);
  }
}
function refSgd(p: Float64Array, g: Float64Array, buf: Float64Array | null, lr: number, mu: number, wd: number) {
  for (let i = 0; i < p.length; i++) {
    const d = g[i] + wd * p[i];
    if (buf) { buf[i] = mu * buf[i] + d; p[i] -= lr * buf[i]; } else p[i] -= lr * d;
  }
}

describe('adamwStep: fused AdamW against a float64 reference', () => {
  test.each([['f64', 'f64', 1e-14], ['f32', 'f32', 1e-6], ['f32', 'bf16', 1e-6]] as const)('param %s, grad %s, 4 steps', (pd, gd, tol) => {
    // f32: one rounding of p, m, v per step; relative error stays at a few ulps over 4 steps.
    const n = 57, p = randTensor([3, 19], 1, pd), m = Tensor.zeros([3, 19], pd), v = Tensor.zeros([3, 19], pd);
    const P = p.v.slice(), M = new Float64Array(n), V = new Float64Array(n);
    for (let t = 1; t <= 4; t++) {
      const g = randTensor([3, 19], 10 + t, gd);
      adamwStep(p.t, g.t, m, v, { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, step: t });
      refAdamW(P, g.v, M, V, 0.01, 0.9, 0.99, 1e-8, 0.1, t);
    }
    expect(relErr(p.t.toFloat64(), P)).toBeLessThan(tol);
    expect(relErr(m.toFloat64(), M)).toBeLessThan(tol);
    expect(relErr(v.toFloat64(), V)).toBeLessThan(tol);
  });

  test('with out, the new parameter is written there and p is only read (p may be read-only)', () => {
    const n = 57, src = randTensor([3, 19], 1), ro = Tensor.from(src.t.toFloat32(), [3, 19]);  // borrowed, read-only
    expect(ro.writable).toBe(false);
    const m = Tensor.zeros([3, 19]), v = Tensor.zeros([3, 19]);
    const P = src.v.slice(), M = new Float64Array(n), V = new Float64Array(n);
    let cur: Tensor = ro;
    for (let t = 1; t <= 3; t++) {
      const g = randTensor([3, 19], 10 + t), before = cur.toFloat64(), out = Tensor.zeros([3, 19]);
      expect(adamwStep(cur, g.t, m, v, { lr: 0.01, weightDecay: 0.1, step: t, out })).toBe(out);
      refAdamW(P, g.v, M, V, 0.01, 0.9, 0.999, 1e-8, 0.1, t);
      expect(Array.from(cur.toFloat64())).toEqual(Array.from(before));
      expect(relErr(out.toFloat64(), P)).toBeLessThan(1e-6);
      cur = out;
    }
    expect(relErr(m.toFloat64(), M)).toBeLessThan(1e-6);
    expect(relErr(v.toFloat64(), V)).toBeLessThan(1e-6);
    // Without out, a read-only p is refused: the op would write it.
    expect(() => adamwStep(ro, randTensor([3, 19], 9).t, m, v, { lr: 0.01, step: 4 })).toThrow(LoraValueError);
  });

  test('out of another size or dtype, read-only, or sharing memory with p, m, v or g: typed errors, nothing written', () => {
    const p = randTensor([4, 4], 1), g = randTensor([4, 4], 2), m = Tensor.zeros([4, 4]), v = Tensor.zeros([4, 4]);
    const snap = () => [p.t, g.t, m, v].map((t) => Array.from(t.toFloat64()));
    const before = snap(), hp = { lr: 1, step: 1 };
    expect(() => adamwStep(p.t, g.t, m, v, { ...hp, out: Tensor.zeros([4, 5]) })).toThrow(LoraShapeError);
    expect(() => adamwStep(p.t, g.t, m, v, { ...hp, out: Tensor.zeros([4, 4], 'f64') })).toThrow(LoraDTypeError);
    expect(() => adamwStep(p.t, g.t, m, v, { ...hp, out: Tensor.from(new Float32Array(16), [4, 4]) })).toThrow(LoraValueError);
    for (const alias of [p.t, g.t, m, v]) expect(() => adamwStep(p.t, g.t, m, v, { ...hp, out: alias })).toThrow(LoraValueError);
    expect(snap()).toEqual(before);
  });

  test('bad inputs: typed errors, parameter untouched', () => {
    const p = randTensor([4, 4], 1), before = p.t.toFloat64();
    expect(() => adamwStep(p.t, Tensor.zeros([4, 5]), Tensor.zeros([4, 4]), Tensor.zeros([4, 4]), { lr: 1, step: 1 })).toThrow(LoraShapeError);
    expect(() => adamwStep(p.t, Tensor.zeros([4, 4]), Tensor.zeros([4, 4], 'f64'), Tensor.zeros([4, 4]), { lr: 1, step: 1 })).toThrow(LoraDTypeError);
    expect(() => adamwStep(p.t, Tensor.zeros([4, 4]), Tensor.zeros([4, 4]), Tensor.zeros([4, 4]), { lr: 1, step: 0 })).toThrow(LoraValueError);
    expect(() => adamwStep(Tensor.zeros([4, 4], 'bf16'), Tensor.zeros([4, 4]), Tensor.zeros([4, 4]), Tensor.zeros([4, 4]), { lr: 1, step: 1 })).toThrow(LoraDTypeError);
    expect(Array.from(p.t.toFloat64())).toEqual(Array.from(before));
  });
});

describe('sgdStep: SGD with momentum and weight decay against a float64 reference', () => {
  test.each([['f64', 0.9, 1e-14], ['f32', 0.9, 1e-6], ['f64', 0, 1e-14]] as const)('%s, momentum %s, 3 steps', (dt, mu, tol) => {
    const p = randTensor([5, 7], 2, dt), buf = mu ? Tensor.zeros([5, 7], dt) : null;
    const P = p.v.slice(), Bf = mu ? new Float64Array(35) : null;
    for (let t = 1; t <= 3; t++) {
      const g = randTensor([5, 7], 20 + t, 'f64');
      sgdStep(p.t, g.t, buf, { lr: 0.05, momentum: mu, weightDecay: 0.01 });
      refSgd(P, g.v, Bf, 0.05, mu, 0.01);
    }
    expect(relErr(p.t.toFloat64(), P)).toBeLessThan(tol);
  });
});
