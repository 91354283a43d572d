// AdamW / SGD steps and the LU solve on the CUDA backend against the CPU backend and float64 statements of the rules.
import { DType, LoraValueError, Tensor, adamwStep, sgdStep, solve, solveAsync } from '../../lib';
import { randTensor, refMatmul, relErr } from '../helpers/ref';
import { describeGpu } from './cuda';

const gpu = (t: Tensor) => t.toDevice('cuda');

describeGpu('CUDA adamwStep / sgdStep', () => {
  test.each(['f32', 'bf16'] as DType[])('AdamW, three steps, %s gradients: p, m, v match the CPU and a float64 statement of the rule', (gd) => {
    const n = [64, 33];
    const p = randTensor(n, 1).t, m = Tensor.zeros(n), v = Tensor.zeros(n);
    const P = gpu(p), M = gpu(m), V = gpu(v);
    for (let step = 1; step <= 3; step++) {
      const g = randTensor(n, 10 + step, gd).t;
      const hp = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step };
      adamwStep(p, g, m, v, hp);
      adamwStep(P, gpu(g), M, V, hp);
    }
    // the GPU kernel computes in f64 and rounds once; f32 state: agreement to a few f32 ulps
    expect(relErr(P.toFloat64(), p.toFloat64())).toBeLessThan(1e-6);
    // …and both equal a float64 statement of AdamW (the CPU and GPU share core/optim_rules.h, so the CPU alone
    // could not catch a bug there): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr·(m̂/(√v̂+ε) + wd·p)
    const rp = Float64Array.from(randTensor(n, 1).v), rm = new Float64Array(rp.length), rv = new Float64Array(rp.length);
    for (let step = 1; step <= 3; step++) {
      const g = randTensor(n, 10 + step, gd).v;
      for (let i = 0; i < rp.length; i++) {
        rm[i] = 0.9 * rm[i] + 0.1 * g[i];
        rv[i] = 0.999 * rv[i] + 0.001 * g[i] * g[i];
        const mh = rm[i] / (1 - 0.9 ** step), vh = rv[i] / (1 - 0.999 ** step);
        rp[i] -= 1e-2 * (mh / (Math.sqrt(vh) + 1e-8) + 0.1 * rp[i]);
      }
    }
    expect(relErr(P.toFloat64(), rp)).toBeLessThan(1e-5);
    expect(relErr(M.toFloat64(), rm)).toBeLessThan(1e-5);
    expect(relErr(V.toFloat64(), rv)).toBeLessThan(1e-5);
    expect(relErr(M.toFloat64(), m.toFloat64())).toBeLessThan(1e-6);
    expect(relErr(V.toFloat64(), v.toFloat64())).toBeLessThan(1e-6);
  });

  test('AdamW with out: the kernel writes the new parameter to out and leaves p as it was (odd size: tails)', () => {
    const n = [37, 29];
    const p = randTensor(n, 3).t, m = Tensor.zeros(n), v = Tensor.zeros(n);
    const P = gpu(p), M = gpu(m), V = gpu(v), OUT = gpu(Tensor.zeros(n)), before = P.toFloat64();
    const g = randTensor(n, 4).t, hp = { lr: 1e-2, weightDecay: 0.1, step: 1 };
    expect(adamwStep(P, gpu(g), M, V, { ...hp, out: OUT })).toBe(OUT);
    adamwStep(p, g, m, v, hp);  // the CPU in place
    expect(Array.from(P.toFloat64())).toEqual(Array.from(before));
    expect(relErr(OUT.toFloat64(), p.toFloat64())).toBeLessThan(1e-6);
    expect(relErr(M.toFloat64(), m.toFloat64())).toBeLessThan(1e-6);
    // …and a float64 statement of step 1 (m̂ = g, v̂ = g²): p − lr·(g/(|g| + ε) + wd·p)
    const p0 = randTensor(n, 3).v, g0 = randTensor(n, 4).v;
    const ref = p0.map((x, i) => x - 1e-2 * (g0[i] / (Math.abs(g0[i]) + 1e-8) + 0.1 * x));
    expect(relErr(OUT.toFloat64(), ref)).toBeLessThan(1e-5);
  });

  test.each([0, 0.9])('SGD (momentum %s) with weight decay matches the CPU and a float64 statement of the rule', (mu) => {
    const n = [40, 25];
    const p = randTensor(n, 2).t, buf = mu ? Tensor.zeros(n) : null;
    const P = gpu(p), BUF = buf ? gpu(buf) : null;
    for (let step = 0; step < 3; step++) {
      const g = randTensor(n, 20 + step).t;
      sgdStep(p, g, buf, { lr: 0.05, momentum: mu, weightDecay: 0.01 });
      sgdStep(P, gpu(g), BUF, { lr: 0.05, momentum: mu, weightDecay: 0.01 });
    }
    expect(relErr(P.toFloat64(), p.toFloat64())).toBeLessThan(1e-6);
    if (buf) expect(relErr(BUF!.toFloat64(), buf.toFloat64())).toBeLessThan(1e-6);
    // float64 statement: b ← μ·b + (g + wd·p), p ← p − lr·b (no momentum: p ← p − lr·(g + wd·p))
    const rp = Float64Array.from(randTensor(n, 2).v), rb = new Float64Array(rp.length);
    for (let step = 0; step < 3; step++) {
      const g = randTensor(n, 20 + step).v;
      for (let i = 0; i < rp.length; i++) {
        const d = g[i] + 0.01 * rp[i];
        rb[i] = mu ? mu * rb[i] + d : d;
        rp[i] -= 0.05 * rb[i];
      }
    }
    expect(relErr(P.toFloat64(), rp)).toBeLessThan(1e-5);
  });
});

describeGpu('CUDA solve (getrf/getrs)', () => {
  test.each(['f32', 'f64'] as DType[])('%s: a·x = b to rounding, a and b untouched unless inPlace', async (dt) => {
    const n = 24, m = 5;
    const A = randTensor([n, n], 3, dt), B = randTensor([n, m], 4, dt);
    const a = gpu(A.t), b = gpu(B.t);
    const x = solve(a, b);
    expect(x.device).toBe('cuda');
    const xv = x.toFloat64();
    const tol = dt === 'f64' ? 1e-12 : 1e-5; // residual relative to b; random 24×24 is well conditioned
    expect(relErr(refMatmul(A.v, n, n, xv, n, m), B.v)).toBeLessThan(tol);
    expect(Array.from(a.toFloat64())).toEqual(Array.from(A.v));
    const y = await solveAsync(a, b);
    expect(relErr(y.toFloat64(), xv)).toBeLessThan(tol);
    solve(a, b, { inPlace: true });
    expect(relErr(b.toFloat64(), xv)).toBeLessThan(tol);
  });

  test('a singular matrix is a LoraValueError', () => {
    const a = gpu(Tensor.zeros([4, 4])), b = gpu(Tensor.zeros([4, 1]));
    expect(() => solve(a, b)).toThrow(LoraValueError);
  });
});
