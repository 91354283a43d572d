import { AdamW, SGD, Tensor, loraPlus, param } from '../lib';
import { randTensor, relErr } from './helpers/ref';

// The optimizer classes against float64 references of their definitions, over 3 steps with fresh gradients.
function refAdamW(p: Float64Array, g: Float64Array, st: { m: Float64Array; v: Float64Array }, lr: number, wd: number, t: number) {
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  for (let i = 0; i < p.length; i++) {
    st.m[i] = b1 * st.m[i] + (1 - b1) * g[i];
    st.v[i] = b2 * st.v[i] + (1 - b2) * g[i] * g[i];
    p[i] -= lr * ((st.m[i] / (1 - b1 ** t)) / (Math.sqrt(st.v[i] / (1 - b2 ** t)) + eps) + wd * p[i]);
  }
}

describe('optimizer classes (float64 params, tolerance 1e-13: same arithmetic, different order)', () => {
  test('AdamW with two groups (own lr and weight decay)', () => {
    const a = param(randTensor([3, 5], 1, 'f64').t), b = param(randTensor([4, 3], 2, 'f64').t);
    const opt = new AdamW([{ params: [a], lr: 0.01 }, { params: [b], lr: 0.1, weightDecay: 0.5 }], { lr: 0.01, weightDecay: 0.01 });
    const ra = a.value.toFloat64(), rb = b.value.toFloat64();
    const sa = { m: new Float64Array(15), v: new Float64Array(15) }, sb = { m: new Float64Array(12), v: new Float64Array(12) };
    for (let t = 1; t <= 3; t++) {
      const ga = randTensor([3, 5], 10 + t, 'f64'), gb = randTensor([4, 3], 20 + t, 'f64');
      a.grad = ga.t; b.grad = gb.t;
      opt.step();
      refAdamW(ra, ga.v, sa, 0.01, 0.01, t);
      refAdamW(rb, gb.v, sb, 0.1, 0.5, t);
    }
    expect(relErr(a.value.toFloat64(), ra)).toBeLessThan(1e-13);
    expect(relErr(b.value.toFloat64(), rb)).toBeLessThan(1e-13);
  });

  test('SGD with momentum: first step uses the gradient itself, then μ·buf + g', () => {
    const p = param(randTensor([2, 6], 3, 'f64').t), ref = p.value.toFloat64(), buf = new Float64Array(12);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    for (let t = 1; t <= 3; t++) {
      const g = randTensor([2, 6], 30 + t, 'f64');
      p.grad = g.t;
      opt.step();
      for (let i = 0; i < 12; i++) { buf[i] = 0.9 * buf[i] + g.v[i] + 0.01 * ref[i]; ref[i] -= 0.1 * buf[i]; }
    }
    expect(relErr(p.value.toFloat64(), ref)).toBeLessThan(1e-13);
  });

  test('LoRA+: B gets lr·ratio, A gets lr', () => {
    const A = param(randTensor([2, 4], 4, 'f64').t), B = param(randTensor([3, 2], 5, 'f64').t);
    const opt = loraPlus([{ A, B }], { lr: 1e-3, ratio: 16 });
    expect(opt.groups.map((g) => g.lr)).toEqual([1e-3, 16e-3]);
    const ra = A.value.toFloat64(), rb = B.value.toFloat64();
    const ga = randTensor([2, 4], 6, 'f64'), gb = randTensor([3, 2], 7, 'f64');
    A.grad = ga.t; B.grad = gb.t;
    opt.step();
    refAdamW(ra, ga.v, { m: new Float64Array(8), v: new Float64Array(8) }, 1e-3, 0, 1);
    refAdamW(rb, gb.v, { m: new Float64Array(6), v: new Float64Array(6) }, 16e-3, 0, 1);
    expect(relErr(A.value.toFloat64(), ra)).toBeLessThan(1e-13);
    expect(relErr(B.value.toFloat64(), rb)).toBeLessThan(1e-13);
    opt.setLr(2e-3);
    expect(opt.groups.map((g) => g.lr)).toEqual([2e-3, 32e-3]);
  });

  test('params without a gradient are skipped; zeroGrad clears', () => {
    const p = param(Tensor.from(new Float64Array([1, 2]), [1, 2]));
    const opt = new AdamW([p], { lr: 1 });
    opt.step();
    expect(Array.from(p.value.data)).toEqual([1, 2]);
    p.grad = Tensor.from(new Float64Array([1, 1]), [1, 2]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });
});
