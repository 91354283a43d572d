import { LoraDTypeError, LoraLinear, LoraShapeError, LoraValueError, Tensor, loraScale } from '../lib';
import { randTensor, relErr } from './helpers/ref';

// Loss L = Σ y ⊙ R for a fixed random R, so dL/dy = R. Gradients checked against central differences in float64.
const T = 7, inF = 9, out = 6, r = 3;

function setup(dropout = 0) {
  const W = randTensor([out, inF], 1, 'f64'), A = randTensor([r, inF], 2, 'f64', 0.5), B = randTensor([out, r], 3, 'f64', 0.5);
  const x = randTensor([T, inF], 4, 'f64'), R = randTensor([T, out], 5, 'f64');
  const layer = new LoraLinear(W.t, A.t, B.t, { alpha: 6, dropout, seed: 11 });
  return { layer, x: x.t, R: R.t };
}

function loss(layer: LoraLinear, x: Tensor, R: Tensor): number {
  layer.seedDropout(11);  // the same dropout mask for every evaluation
  const y = layer.forward(x).toFloat64(), rv = R.toFloat64();
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * rv[i];
  return s;
}

/** Central difference of loss w.r.t. every element of t (perturbed in place, restored). */
function numGrad(t: Tensor, f: () => number, h = 1e-6): Float64Array {
  const d = t.data as Float64Array, g = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    d[i] = v + h; const lp = f();
    d[i] = v - h; const lm = f();
    d[i] = v;
    g[i] = (lp - lm) / (2 * h);
  }
  return g;
}

describe('LoraLinear gradients match finite differences (float64)', () => {
  // L is linear in each of x, A, B separately, so central differences are exact up to rounding (~1e-10 relative).
  test.each([0, 0.3])('dropout %s: dX, dA, dB', (p) => {
    const { layer, x, R } = setup(p);
    loss(layer, x, R);
    const dX = layer.backward(R) as Tensor;
    const f = () => loss(layer, x, R);
    expect(relErr(dX.toFloat64(), numGrad(x, f))).toBeLessThan(1e-8);
    expect(relErr(layer.A.grad!.toFloat64(), numGrad(layer.A.value, f))).toBeLessThan(1e-8);
    expect(relErr(layer.B.grad!.toFloat64(), numGrad(layer.B.value, f))).toBeLessThan(1e-8);
  });

  test('dropout really masks the LoRA branch input (some A-gradient columns differ from no-dropout)', () => {
    const a = setup(0), b = setup(0.5);
    loss(a.layer, a.x, a.R); a.layer.backward(a.R);
    loss(b.layer, b.x, b.R); b.layer.backward(b.R);
    expect(relErr(b.layer.A.grad!.toFloat64(), a.layer.A.grad!.toFloat64())).toBeGreaterThan(0.1);
  });

  test('accumulate adds the gradients of two micro-batches', () => {
    const { layer, x, R } = setup();
    layer.forward(x); layer.backward(R);
    const g1 = layer.A.grad!.toFloat64();
    layer.forward(x); layer.backward(R, { accumulate: true });
    expect(relErr(layer.A.grad!.toFloat64(), g1.map((v) => 2 * v))).toBeLessThan(1e-15);
  });

  test.each(['A', 'B'] as const)('accumulate adds to each gradient that exists: with %s.grad reset on its own, it restarts and the other keeps its sum', (reset) => {
    const { layer, x, R } = setup();
    layer.forward(x); layer.backward(R);
    const g1 = { A: layer.A.grad!.toFloat64(), B: layer.B.grad!.toFloat64() };
    layer[reset].grad = null;
    layer.forward(x); layer.backward(R, { accumulate: true });
    const kept = reset === 'A' ? 'B' : 'A';
    expect(relErr(layer[reset].grad!.toFloat64(), g1[reset])).toBeLessThan(1e-15);
    expect(relErr(layer[kept].grad!.toFloat64(), g1[kept].map((v) => 2 * v))).toBeLessThan(1e-15);
  });

  test('N-D input [batch, seq, in] gives the same y, dX, dA, dB as its [tokens, in] view (bf16 W, f32 A/B)', () => {
    const W = randTensor([out, inF], 1, 'bf16'), A = randTensor([r, inF], 2), B = randTensor([out, r], 3);
    const x = randTensor([2, 5, inF], 4), R = randTensor([2, 5, out], 5);
    const a = new LoraLinear(W.t, A.t, B.t), b = new LoraLinear(W.t, A.t.clone(), B.t.clone());
    const ya = a.forward(x.t), yb = b.forward(x.t.reshape([10, inF]));
    expect(ya.shape).toEqual([2, 5, out]);
    expect(Array.from(ya.data)).toEqual(Array.from(yb.data));
    const da = a.backward(R.t) as Tensor, db = b.backward(R.t.reshape([10, out])) as Tensor;
    expect(da.shape).toEqual([2, 5, inF]);
    expect(Array.from(da.data)).toEqual(Array.from(db.data));
    expect(Array.from(a.A.grad!.data)).toEqual(Array.from(b.A.grad!.data));
    expect(Array.from(a.B.grad!.data)).toEqual(Array.from(b.B.grad!.data));
  });

  test('with dropout, N-D input [batch, seq, in] gives y [batch, seq, out] and dX [batch, seq, in]: its [tokens, in] view\'s values (same seed)', () => {
    const W = randTensor([out, inF], 1, 'f64'), A = randTensor([r, inF], 2, 'f64'), B = randTensor([out, r], 3, 'f64');
    const x = randTensor([2, 5, inF], 4, 'f64'), R = randTensor([2, 5, out], 5, 'f64');
    const mk = () => new LoraLinear(W.t, A.t.clone(), B.t.clone(), { dropout: 0.5, seed: 13 });
    const a = mk(), b = mk();
    const ya = a.forward(x.t), yb = b.forward(x.t.reshape([10, inF]));
    expect(ya.shape).toEqual([2, 5, out]);
    expect(Array.from(ya.data)).toEqual(Array.from(yb.data));
    const da = a.backward(R.t), db = b.backward(R.t.reshape([10, out]));
    expect(da.shape).toEqual([2, 5, inF]);
    expect(Array.from(da.data)).toEqual(Array.from(db.data));
  });

  test('scale is α/r, or α/√r with rsLoRA', () => {
    expect(loraScale(8, 16)).toBe(2);
    expect(loraScale(16, 16, true)).toBe(4);
    expect(setup().layer.scale).toBe(2);
  });
});

describe('merge / unmerge', () => {
  test('merged forward equals the LoRA forward; unmerge restores W (f32 rounding)', () => {
    const W = randTensor([out, inF], 1), A = randTensor([r, inF], 2), B = randTensor([out, r], 3);
    const W0 = W.t.toFloat64();
    const layer = new LoraLinear(W.t, A.t, B.t, { alpha: 4 });
    const x = randTensor([T, inF], 4).t;
    const y = layer.forward(x).toFloat64();
    layer.merge();
    expect(layer.merged).toBe(true);
    expect(relErr(layer.forward(x).toFloat64(), y)).toBeLessThan(1e-6); // f32: two roundings of W's entries
    expect(() => layer.backward(Tensor.zeros([T, out]))).toThrow(LoraValueError);
    // Leading dimensions are kept in the merged path too: [2, T, in] → [2, T, out].
    const x3 = Tensor.from(Float32Array.from({ length: 2 * T * inF }, (_, i) => Math.sin(i)), [2, T, inF]);
    expect(layer.forward(x3).shape).toEqual([2, T, out]);
    expect(() => layer.forward(x, { grads: false } as never)).toThrow(/LoraLinear\.forward.*grads/);
    layer.unmerge();
    expect(relErr(W.t.toFloat64(), W0)).toBeLessThan(1e-6);
    expect(relErr(layer.effectiveWeight().toFloat64(), (() => { layer.merge(); const w = W.t.toFloat64(); layer.unmerge(); return w; })())).toBeLessThan(1e-6);
  });

  test('f64 round trip is exact to 1e-15', () => {
    const W = randTensor([out, inF], 1, 'f64'), W0 = W.t.toFloat64();
    const layer = new LoraLinear(W.t, randTensor([r, inF], 2, 'f64').t, randTensor([out, r], 3, 'f64').t, { alpha: 3 });
    layer.merge(); layer.unmerge();
    expect(relErr(W.t.toFloat64(), W0)).toBeLessThan(1e-15);
  });

  test('shape mismatch and bad dropout are typed errors', () => {
    expect(() => new LoraLinear(Tensor.zeros([out, inF]), Tensor.zeros([r, inF + 1]), Tensor.zeros([out, r]))).toThrow(/\[3, 10\]/);
    expect(() => new LoraLinear(Tensor.zeros([out, inF]), Tensor.zeros([r, inF]), Tensor.zeros([out, r]), { dropout: 1 })).toThrow(LoraValueError);
    expect(() => setup().layer.backward(Tensor.zeros([T, out]))).toThrow(/forward/);
  });
});

describe('LoraLinear used several times before its backward: right gradients or a typed error', () => {
  /** A.grad, B.grad and dX of one forward/backward of x with dL/dy = R, on a fresh layer (the reference). */
  function single(x: Tensor, R: Tensor) {
    const { layer } = setup();
    layer.forward(x);
    const dX = layer.backward(R);
    return { dA: layer.A.grad!.toFloat64(), dB: layer.B.grad!.toFloat64(), dX: dX.toFloat64() };
  }

  test('two forwards, each backward named by { output }: the gradients of L = Σ y₁⊙R₁ + Σ y₂⊙R₂, in either order', () => {
    const { layer, x, R } = setup();
    const x2 = randTensor([T, inF], 21, 'f64').t, R2 = randTensor([T, out], 22, 'f64').t;
    const g1 = single(x, R), g2 = single(x2, R2);
    for (const order of [[0, 1], [1, 0]]) {
      const y = [layer.forward(x), layer.forward(x2)], dYs = [R, R2], want = [g1, g2];
      layer.zeroGrad();
      for (const [k, i] of order.entries()) {
        const dX = layer.backward(dYs[i], { output: y[i], accumulate: k > 0 });
        expect(relErr(dX.toFloat64(), want[i].dX)).toBeLessThan(1e-14);  // each dX is its own forward's
      }
      expect(relErr(layer.A.grad!.toFloat64(), g1.dA.map((v, j) => v + g2.dA[j]))).toBeLessThan(1e-14);
      expect(relErr(layer.B.grad!.toFloat64(), g1.dB.map((v, j) => v + g2.dB[j]))).toBeLessThan(1e-14);
    }
  });

  test('two open forwards and a backward that does not say which: LoraValueError naming { output }', () => {
    const { layer, x, R } = setup();
    layer.forward(x);
    layer.forward(randTensor([T, inF], 23, 'f64').t);
    expect(() => layer.backward(R)).toThrow(LoraValueError);
    expect(() => layer.backward(R)).toThrow(/2 forward passes are open.*\{ output: y \}/);
    expect(() => layer.backward(R, { output: Tensor.zeros([T, out], 'f64') })).toThrow(/not the result of a forward of this layer/);
  });

  test('forward(x, { grad: false }) keeps nothing: the training forward stays the only open one', () => {
    const { layer, x, R } = setup();
    const g = single(x, R);
    layer.forward(randTensor([T, inF], 24, 'f64').t, { grad: false });   // an evaluation
    layer.forward(x);
    layer.forward(randTensor([T, inF], 25, 'f64').t, { grad: false });
    layer.backward(R);
    expect(relErr(layer.A.grad!.toFloat64(), g.dA)).toBeLessThan(1e-14);
    expect(() => layer.forward(x, { gard: false } as never)).toThrow(/unknown option gard/);
  });

  test('with dropout too, forward(x, { grad: false }) keeps nothing: evaluations alone leave no forward to backward', () => {
    const { layer, x, R } = setup(0.3);
    layer.forward(x, { grad: false });
    expect(() => layer.backward(R)).toThrow(new LoraValueError('LoraLinear.backward: call forward() first'));
    layer.forward(x);
    layer.forward(x, { grad: false });
    expect(layer.backward(R).shape).toEqual([T, inF]);  // the training forward was the only open one
  });

  test('a step ends with its backward: the next forward is again the only open one', () => {
    const { layer, x, R } = setup();
    layer.forward(x); layer.backward(R);
    layer.forward(x); layer.backward(R);                  // no ambiguity across steps
    expect(relErr(layer.A.grad!.toFloat64(), single(x, R).dA)).toBeLessThan(1e-14);
  });
});

describe('LoraLinear options and misuse', () => {
  const W = () => Tensor.zeros([6, 4]), A = () => Tensor.zeros([2, 4]), B = () => Tensor.zeros([6, 2]);

  test('shapes must be W [out, in], A [r, in], B [out, r]', () => {
    for (const [w, a, b] of [[W(), Tensor.zeros([2, 5]), B()], [W(), A(), Tensor.zeros([5, 2])], [W(), A(), Tensor.zeros([6, 3])]])
      expect(() => new LoraLinear(w, a, b)).toThrow(new LoraShapeError(`LoraLinear: W [6, 4] f32, A ${`[${a.shape.join(', ')}] f32`}, B ${`[${b.shape.join(', ')}] f32`}: need W [out, in], A [r, in], B [out, r]`));
  });

  test('refusals name the layer and the argument: an unknown option, a W that is not a matrix, an A or B of a dtype it cannot train', () => {
    const open = new LoraLinear(W(), A(), B());
    open.forward(Tensor.zeros([1, 4]));
    expect(() => open.backward(Tensor.zeros([1, 6]), { needDX: false } as never))
      .toThrow(new LoraValueError('LoraLinear.backward: unknown option needDX (known: needDx, accumulate, output)'));
    expect(() => new LoraLinear(W(), A(), B(), { alhpa: 2 } as never))
      .toThrow(new LoraValueError('LoraLinear: unknown option alhpa (known: alpha, rsLora, scale, dropout, seed, name, bias, trainBias)'));
    expect(() => new LoraLinear(Tensor.zeros([24]), A(), B())).toThrow(new LoraShapeError('LoraLinear W: expected a 2-D matrix, got [24] f32'));
    expect(() => new LoraLinear(W(), A().to('bf16'), B())).toThrow(new LoraDTypeError('LoraLinear A: dtype bf16 not accepted here (expected f32 or f64)'));
    expect(() => new LoraLinear(W(), A(), B().to('f16'))).toThrow(new LoraDTypeError('LoraLinear B: dtype f16 not accepted here (expected f32 or f64)'));
    expect(() => new LoraLinear(W(), A(), B()).backward(Tensor.zeros([1, 6]))).toThrow(new LoraValueError('LoraLinear.backward: call forward() first'));
  });

  test('the scale is alpha/r (alpha/√r with rsLoRA; alpha defaults to r), or the scale given; names and dropout state', () => {
    expect(new LoraLinear(W(), A(), B()).scale).toBe(1);
    expect(new LoraLinear(W(), A(), B(), { alpha: 8 }).scale).toBe(4);
    expect(new LoraLinear(W(), A(), B(), { alpha: 8, rsLora: true }).scale).toBe(8 / Math.sqrt(2));
    expect(new LoraLinear(W(), A(), B(), { alpha: 8, scale: 0.5 }).scale).toBe(0.5);
    expect(() => new LoraLinear(W(), A(), B(), { alpha: NaN })).toThrow(/LoraLinear alpha/);
    expect(() => new LoraLinear(W(), A(), B(), { scale: Infinity })).toThrow(/LoraLinear scale/);
    const l = new LoraLinear(W(), A(), B());
    expect({ name: l.name, A: l.A.name, B: l.B.name, bias: l.bias, dropout: l.dropout, state: l.dropoutState, params: l.parameters().length })
      .toEqual({ name: 'lora', A: 'lora.lora_A', B: 'lora.lora_B', bias: null, dropout: 0, state: { seed: 0, draws: 0 }, params: 2 });
    const n = new LoraLinear(W(), A(), B(), { name: 'fc', seed: 9, bias: Tensor.zeros([6]), trainBias: true });
    expect({ bias: n.bias!.name, state: n.dropoutState, params: n.parameters().map((p) => p.name) }).toEqual({ bias: 'fc.bias', state: { seed: 9, draws: 0 }, params: ['fc.lora_A', 'fc.lora_B', 'fc.bias'] });
    n.seedDropout(3, 5);
    expect(n.dropoutState).toEqual({ seed: 3, draws: 5 });
    n.seedDropout(4);
    expect(n.dropoutState).toEqual({ seed: 4, draws: 0 });
    expect(() => n.seedDropout(1, -1)).toThrow(new LoraValueError('seedDropout: draws must be a non-negative integer, got -1'));
    expect(() => n.seedDropout(1, 0.5)).toThrow(LoraValueError);
    // A seed is a non-negative integer, as everywhere in loraga: '7' or 1.5 would silently be another seed.
    for (const bad of [-1, 1.5, '7' as never, NaN, 2 ** 53]) {
      expect(() => n.seedDropout(bad)).toThrow(new LoraValueError(`seedDropout seed: expected a non-negative integer, got ${String(bad)}`));
      expect(() => new LoraLinear(W(), A(), B(), { seed: bad })).toThrow(new LoraValueError(`LoraLinear seed: expected a non-negative integer, got ${String(bad)}`));
    }
    expect(n.dropoutState).toEqual({ seed: 4, draws: 0 }); // a refused seed changes nothing
    n.seedDropout(0);
    expect([n.dropoutState, new LoraLinear(W(), A(), B(), { seed: 0 }).dropoutState]).toEqual([{ seed: 0, draws: 0 }, { seed: 0, draws: 0 }]);
  });

  test('dropout is a probability in [0, 1); trainBias needs a bias', () => {
    for (const p of [-0.1, 1, NaN, '0.1' as never])
      expect(() => new LoraLinear(W(), A(), B(), { dropout: p })).toThrow(new LoraValueError(`LoraLinear dropout: expected a probability in [0, 1), got ${String(p)}`));
    expect(new LoraLinear(W(), A(), B(), { dropout: 0 }).dropout).toBe(0);
    expect(() => new LoraLinear(W(), A(), B(), { trainBias: true })).toThrow(new LoraValueError('LoraLinear: trainBias needs a bias'));
    expect(() => new LoraLinear(W(), A(), B(), { bias: Tensor.zeros([5]) })).toThrow(new LoraShapeError('LoraLinear: bias [5] f32 must be [6]'));
  });

  test('a merged layer computes x·(W + s·B·A)ᵀ, refuses backward, and unmerges to W exactly as it was', () => {
    const w = randTensor([6, 4], 80, 'f64').t, a = randTensor([2, 4], 81, 'f64').t, b = randTensor([6, 2], 82, 'f64').t;
    const l = new LoraLinear(w.clone(), a, b, { alpha: 4, bias: randTensor([6], 83, 'f64').t });
    const x = randTensor([3, 4], 84, 'f64').t;
    const before = l.forward(x, { grad: false }).toFloat64();
    const eff = l.effectiveWeight().toFloat64();
    l.merge();
    l.merge(); // twice is once
    expect(l.merged).toBe(true);
    expect(relErr(l.W.toFloat64(), eff)).toBeLessThan(1e-15);
    expect(relErr(l.effectiveWeight().toFloat64(), eff)).toBeLessThan(1e-15);
    expect(relErr(l.forward(x).toFloat64(), before)).toBeLessThan(1e-14);
    expect(() => l.backward(Tensor.zeros([3, 6], 'f64'))).toThrow(new LoraValueError('LoraLinear.backward: the layer is merged; unmerge() before training'));
    l.unmerge();
    l.unmerge();
    expect(l.merged).toBe(false);
    expect(relErr(l.W.toFloat64(), w.toFloat64())).toBeLessThan(1e-15);
  });
});

describe('LoraLinear.backward without dropout', () => {
  test('needDx: false returns null and the same dA, dB as with dX', () => {
    const mk = () => new LoraLinear(randTensor([6, 4], 85).t, randTensor([2, 4], 86).t, randTensor([6, 2], 87).t, { alpha: 2 });
    const x = randTensor([3, 4], 88).t, dY = randTensor([3, 6], 89).t;
    const a = mk(), b = mk();
    a.forward(x); b.forward(x);
    const dX = a.backward(dY);
    expect(dX!.shape).toEqual([3, 4]);
    expect(b.backward(dY, { needDx: false })).toBeNull();
    expect(Array.from(b.A.grad!.data)).toEqual(Array.from(a.A.grad!.data));
    expect(Array.from(b.B.grad!.data)).toEqual(Array.from(a.B.grad!.data));
  });
});

test('a trained bias gets its gradient in its own dtype: the sum of dY over tokens, f32 for an f32 bias, f64 for an f64 one', () => {
  for (const dt of ['f32', 'f64'] as const) {
    const l = new LoraLinear(randTensor([6, 4], 90, dt).t, randTensor([2, 4], 91, dt).t, randTensor([6, 2], 92, dt).t, { bias: randTensor([6], 93, dt).t, trainBias: true });
    const dY = randTensor([3, 6], 94, dt);
    l.forward(randTensor([3, 4], 95, dt).t);
    l.backward(dY.t, { needDx: false });
    const want = Array.from({ length: 6 }, (_, j) => dY.v[j] + dY.v[6 + j] + dY.v[12 + j]);
    expect(l.bias!.grad!.dtype).toBe(dt);
    expect(relErr(l.bias!.grad!.toFloat64(), want)).toBeLessThan(dt === 'f32' ? 1e-6 : 1e-15);
  }
});

describe('LoraLinear dropout draws and the dtype of what it returns', () => {
  test('without dropout a training forward draws no mask (dropoutState.draws stays 0); with dropout each draws one', () => {
    const plain = setup(0), dropped = setup(0.3);
    for (const { layer, x } of [plain, dropped]) for (let i = 0; i < 2; i++) layer.forward(x, { grad: false });
    expect([plain.layer.dropoutState.draws, dropped.layer.dropoutState.draws]).toEqual([0, 2]);
  });

  test('dropout on a bf16 input masks its values: the same y as the f32 copy of that input (f32 compute, tolerance 1e-6)', () => {
    const W = randTensor([out, inF], 1), A = randTensor([r, inF], 2), B = randTensor([out, r], 3, 'f32', 0.5);
    const x16 = randTensor([T, inF], 4, 'bf16').t, x32 = x16.to('f32');
    const y = [x16, x32].map((x) => new LoraLinear(W.t, A.t, B.t, { alpha: 6, dropout: 0.5, seed: 5 }).forward(x, { grad: false }).toFloat64());
    expect(y[0].every(Number.isFinite)).toBe(true);
    expect(relErr(y[0], y[1])).toBeLessThan(1e-6);  // both LoRA inputs are the same f32 values, masked alike
  });

  test('effectiveWeight is W + s·B·A in W\'s compute dtype: f32 for an f32 or bf16 W, f64 for an f64 W', () => {
    const dtypes = (['bf16', 'f32', 'f64'] as const).map((dt) => {
      const W = randTensor([out, inF], 1, dt), A = randTensor([r, inF], 2, dt === 'f64' ? 'f64' : 'f32'), B = randTensor([out, r], 3, dt === 'f64' ? 'f64' : 'f32');
      const eff = new LoraLinear(W.t, A.t, B.t, { alpha: 6 }).effectiveWeight();
      // Reference in float64: W + (6/3)·B·A from the stored values.
      const w = W.t.toFloat64(), a = A.t.toFloat64(), b = B.t.toFloat64(), ref = new Float64Array(out * inF);
      for (let i = 0; i < out; i++) for (let j = 0; j < inF; j++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += b[i * r + k] * a[k * inF + j];
        ref[i * inF + j] = w[i * inF + j] + 2 * s;
      }
      expect(relErr(eff.toFloat64(), ref)).toBeLessThan(dt === 'f64' ? 1e-14 : 1e-6);  // f32: a few roundings
      return eff.dtype;
    });
    expect(dtypes).toEqual(['f32', 'f32', 'f64']);
  });
});

describe('LoraLinear dropout masks (the contract: reproducible from {seed, draws}, a fresh mask per draw, entries 0 or 1/(1−p))', () => {
  const n = 16;
  const eye = () => { const d = new Float64Array(n * n); for (let i = 0; i < n; i++) d[i * n + i] = 1; return Tensor.from(d, [n, n]); };
  /** A layer whose output is its mask: W = 0, A = B = I, s = 1, so y = drop(1)·I·I for x = ones [1, n]. */
  const probe = (seed: number, p = 0.5) => new LoraLinear(Tensor.zeros([n, n], 'f64'), eye(), eye(), { alpha: n, dropout: p, seed });
  const ones = Tensor.from(new Float64Array(n).fill(1), [1, n]);
  const mask = (l: LoraLinear) => Array.from(l.forward(ones, { grad: false }).toFloat64());
  const bits = (m: number[]) => m.map((v) => (v === 0 ? '0' : '1')).join('');

  test('entries are 0 or exactly 1/(1−p)', () => {
    for (const p of [0.5, 0.2]) {
      const l = probe(3, p);
      for (let k = 0; k < 4; k++) for (const v of mask(l)) expect([0, 1 / (1 - p)]).toContain(v);
    }
  });

  test('the mask stream is pinned: a saved {seed, draws} replays the same masks in any later version', () => {
    // A checkpoint stores only (seed, draws), not masks: changing how a draw's mask follows from them would make a
    // resumed run differ from the uninterrupted one. These are the first three masks of seed 7 at p = 0.5.
    const l = probe(7);
    expect([bits(mask(l)), bits(mask(l)), bits(mask(l))]).toEqual(['1010010110000100', '0110011101101101', '1101110110001010']);
    const resumed = probe(123);
    resumed.seedDropout(7, 2);
    expect(bits(mask(resumed))).toBe('1101110110001010');
  });

  test('consecutive draws give different masks, also a million draws into a run', () => {
    for (const draws of [0, 1_000_000]) {
      const l = probe(7);
      l.seedDropout(7, draws);
      const seen = new Set(Array.from({ length: 4 }, () => bits(mask(l))));
      expect([draws, seen.size]).toEqual([draws, 4]);
    }
  });
});
