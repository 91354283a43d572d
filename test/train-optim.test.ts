import { AdamW, LoraDisposedError, LoraOneAdamW, LoraOneOptimizer, LoraProAdamW, LoraShapeError, LoraValueError, Optimizer, SGD, Tensor, loraOnePrecondition, loraPlus, param } from '../lib';
import { randTensor, relErr } from './helpers/ref';
import { addScaled, assign } from '../lib/train/host';

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

describe('the one Optimizer interface', () => {
  const pair = (seed: number) => ({ A: param(randTensor([2, 5], seed, 'f64').t, 'A'), B: param(randTensor([4, 2], seed + 1, 'f64').t, 'B') });
  const makers: [string, () => Optimizer][] = [
    ['SGD', () => new SGD([pair(1).A, pair(1).B], { lr: 0.1, momentum: 0.9 })],
    ['AdamW', () => new AdamW([pair(1).A, pair(1).B], { lr: 0.1 })],
    ['loraPlus', () => loraPlus([pair(1)], { lr: 0.1 })],
    ['LoraProAdamW', () => { const l = pair(1); return new LoraProAdamW([{ ...l, scale: 2 }], { lr: 0.1 }); }],
    ['LoraOneOptimizer', () => new LoraOneOptimizer([pair(1)], { lr: 0.1 })],
    ['LoraOneAdamW', () => new LoraOneAdamW([pair(1)], { lr: 0.1 })],
  ];

  test.each(makers)('%s: is an Optimizer; stateDict → loadStateDict into a fresh one continues bit-identically', (_n, make) => {
    const a = make(), b = make();
    expect(a).toBeInstanceOf(Optimizer);
    const grads = (o: Optimizer, t: number) => o.params.forEach((p, i) => { p.grad = randTensor(p.value.shape as number[], 100 * t + i, 'f64').t; });
    for (let t = 1; t <= 2; t++) { grads(a, t); a.step(); }
    // b gets a's params and state, then both take the same next steps.
    b.params.forEach((p, i) => p.value.data.set(a.params[i].value.data));
    const sd = a.stateDict();
    expect(sd.stepCount).toBe(2);
    b.loadStateDict(sd);
    for (let t = 3; t <= 4; t++) { grads(a, t); grads(b, t); a.step(); b.step(); }
    a.params.forEach((p, i) => expect(Buffer.from(b.params[i].value.data.buffer).equals(Buffer.from(p.value.data.buffer))).toBe(true));
  });

  test('loadStateDict refuses another kind, another layout and other hyperparameters, changing nothing', () => {
    const p = () => param(Tensor.zeros([2, 2], 'f64'));
    const adam = new AdamW([p()], { lr: 0.1 });
    expect(() => new SGD([p()], { lr: 0.1 }).loadStateDict(adam.stateDict())).toThrow(/state is of a AdamW/);
    expect(() => new AdamW([p(), p()], { lr: 0.1 }).loadStateDict(adam.stateDict())).toThrow(/groups/);
    const other = new AdamW([p()], { lr: 0.1, betas: [0.8, 0.99] });
    expect(() => other.loadStateDict(adam.stateDict())).toThrow(/betas/);
    expect(other.stepCount).toBe(0);
    const sd = adam.stateDict();
    expect(() => new AdamW([p()], { lr: 0.1 }).loadStateDict({ ...sd, state: { ...sd.state, 'x.m': Tensor.zeros([2, 2], 'f64') } }))
      .toThrow(new LoraValueError("AdamW.loadStateDict: unexpected state entry 'x.m'"));
    // LoRA-One's λ is a hyperparameter of its state too: a state saved with another λ is refused.
    const pair = () => ({ A: param(Tensor.zeros([2, 3], 'f64')), B: param(Tensor.zeros([4, 2], 'f64')) });
    const l1 = new LoraOneOptimizer([pair()], { lr: 0.1, lambda: 1e-3 });
    expect(() => new LoraOneOptimizer([pair()], { lr: 0.1, lambda: 1e-2 }).loadStateDict(l1.stateDict())).toThrow(/lambda/);
    expect(() => new LoraOneOptimizer([pair()], { lr: 0.1, lambda: -1 })).toThrow(new LoraValueError('LoraOneOptimizer lambda must be >= 0, got -1'));
  });

  test('a state whose groups differ in size in any one group is refused, naming both layouts', () => {
    const q = () => param(Tensor.zeros([2], 'f64'));
    const mine = new SGD([{ params: [q()] }, { params: [q()] }], { lr: 0.1 });
    const theirs = new SGD([{ params: [q()] }, { params: [q(), q()] }], { lr: 0.1 });
    expect(() => mine.loadStateDict(theirs.stateDict())).toThrow(new LoraValueError("SGD.loadStateDict: the state's groups ([1,2] params) do not match this optimizer's ([1,1])"));
  });

  test('a state with a bad rate in a later group is refused before any group changes', () => {
    const a = param(Tensor.zeros([2], 'f64')), b = param(Tensor.zeros([2], 'f64'));
    const opt = new AdamW([{ params: [a], lr: 0.1 }, { params: [b], lr: 0.2 }], { lr: 0.1 });
    const sd = opt.stateDict();
    const bad = { ...sd, groups: [{ ...sd.groups[0], lr: 5 }, { ...sd.groups[1], lr: NaN }] };
    expect(() => opt.loadStateDict(bad)).toThrow(/group 1 lr/);
    expect(opt.groups.map((g) => g.lr)).toEqual([0.1, 0.2]);
  });

  test('unknown option names are LoraValueError, not ignored', () => {
    const ps = [param(Tensor.zeros([2]))];
    expect(() => new AdamW(ps, { lr: 1, weight_decay: 0.1 } as never)).toThrow(/unknown option weight_decay/);
    expect(() => new SGD(ps, { lr: 1, nesterov: true } as never)).toThrow(LoraValueError);
    expect(() => new AdamW([{ params: ps, learningRate: 1 } as never], { lr: 1 })).toThrow(/learningRate/);
    expect(() => loraPlus([{ A: ps[0], B: param(Tensor.zeros([2])) }], { lr: 1, ratoi: 4 } as never)).toThrow(/ratoi/);
    expect(() => new AdamW([ps[0], ps[0]], { lr: 1 })).toThrow(/twice/);
  });
});

describe('clipGradNorm (torch.nn.utils.clip_grad_norm_)', () => {
  test('returns the global L2 norm before clipping and scales every grad by max/(norm + 1e-6) when that is < 1', () => {
    const a = param(randTensor([3, 4], 1, 'f64').t), b = param(randTensor([5], 2).t);
    const ga = randTensor([3, 4], 3, 'f64'), gb = randTensor([5], 4);
    a.grad = ga.t; b.grad = gb.t;
    const opt = new AdamW([a, b], { lr: 1 });
    let n2 = 0;
    for (const v of [...ga.v, ...gb.v]) n2 += v * v;
    const norm = Math.sqrt(n2), coef = 0.5 / (norm + 1e-6);
    expect(norm).toBeGreaterThan(1);
    expect(opt.clipGradNorm(0.5)).toBeCloseTo(norm, 12);
    expect(relErr(a.grad!.toFloat64(), ga.v.map((v) => v * coef))).toBeLessThan(1e-15);
    expect(relErr(b.grad!.toFloat64(), gb.v.map((v) => v * coef))).toBeLessThan(1e-7);  // f32 grad
    let after = 0;
    for (const v of [...a.grad!.toFloat64(), ...b.grad!.toFloat64()]) after += v * v;
    expect(Math.sqrt(after)).toBeCloseTo(0.5, 5);
    // Below the limit: nothing changes.
    const before = Array.from(a.grad!.data);
    expect(opt.clipGradNorm(10)).toBeCloseTo(0.5, 5);
    expect(Array.from(a.grad!.data)).toEqual(before);
  });

  test('an f32 gradient is scaled with one rounding: each element becomes the f32 nearest to g·factor (factor in float64)', () => {
    // The exact products g·factor rounded once to f32 (Math.fround); rounding the factor to f32 first would be off by
    // an ulp for about a quarter of the elements.
    const a = param(randTensor([64], 5).t), ga = randTensor([64], 6);
    a.grad = ga.t;
    const norm = new SGD([a], { lr: 1 }).clipGradNorm(0.3);
    const factor = 0.3 / (norm + 1e-6);
    expect(factor).toBeLessThan(1);
    expect(Array.from(a.grad.data)).toEqual(Array.from(ga.v, (v) => Math.fround(v * factor)));
  });

  test('a NaN gradient gives a NaN norm and leaves the gradients as they are; a negative max is refused', () => {
    const a = param(Tensor.zeros([2], 'f64'));
    a.grad = Tensor.from(new Float64Array([NaN, 1]), [2]);
    const opt = new SGD([a], { lr: 1 });
    expect(opt.clipGradNorm(1)).toBeNaN();
    expect(a.grad.data[1]).toBe(1);
    expect(() => opt.clipGradNorm(-1)).toThrow(LoraValueError);
    // A borrowed (read-only) gradient that would need scaling is refused, and no gradient is changed.
    const b = param(Tensor.zeros([2], 'f64'));
    a.grad = Tensor.from(new Float64Array([3, 4]), [2], { writable: true });
    b.grad = Tensor.from(new Float64Array([3, 4]), [2]);
    expect(() => new SGD([a, b], { lr: 1 }).clipGradNorm(1)).toThrow(/read-only/);
    expect(Array.from(a.grad.data)).toEqual([3, 4]);
  });

  test('an infinite norm (an Inf entry, or finite entries whose squares overflow) is returned with the gradients left as they are', () => {
    const a = param(Tensor.zeros([2], 'f64'));
    for (const g of [[Infinity, 1], [1e200, -1e200]]) {
      a.grad = Tensor.from(new Float64Array(g), [2], { writable: true });
      expect(new SGD([a], { lr: 1 }).clipGradNorm(1)).toBe(Infinity);
      expect(Array.from(a.grad.data)).toEqual(g);
    }
  });

  test('a norm whose factor max/(norm + 1e-6) is exactly 1 needs no clipping: a read-only gradient is left alone, not refused', () => {
    const a = param(Tensor.zeros([2], 'f64'));
    a.grad = Tensor.from(new Float64Array([3, 4]), [2]);  // borrowed: read-only
    expect(new SGD([a], { lr: 1 }).clipGradNorm(5 + 1e-6)).toBe(5);
    expect(Array.from(a.grad.data)).toEqual([3, 4]);
  });

  test('bf16 and f16 gradients count with their values (exact here: 3 and 4 are representable), and are clipped in their dtype', () => {
    for (const dt of ['bf16', 'f16'] as const) {
      const a = param(Tensor.zeros([2]));
      a.grad = Tensor.fromFloat64(new Float64Array([3, 4]), [2], dt);
      const opt = new SGD([a], { lr: 1 });
      expect(opt.clipGradNorm(10)).toBe(5);
      expect(opt.clipGradNorm(2.5)).toBe(5);
      expect(a.grad.dtype).toBe(dt);
      // 1.5 and 2 after clipping by (2.5/(5 + 1e-6)), to the dtype's rounding (bf16: 8 bits, relative 2^-8).
      expect(relErr(a.grad.toFloat64(), [1.5, 2])).toBeLessThan(2 ** -8);
    }
  });
});

test('LoraOneAdamW variant adamw: AdamW on the preconditioned gradients (BᵀB + λI)⁻¹∇A, ∇B(AAᵀ + λI)⁻¹', () => {
  const A = param(randTensor([2, 5], 1, 'f64').t), B = param(randTensor([4, 2], 2, 'f64').t);
  A.grad = randTensor([2, 5], 3, 'f64').t; B.grad = randTensor([4, 2], 4, 'f64').t;
  const { pA, pB } = loraOnePrecondition(A.value, B.value, A.grad, B.grad, 1e-3);
  const ra = A.value.toFloat64(), rb = B.value.toFloat64();
  new LoraOneAdamW([{ A, B }], { lr: 0.01, lambda: 1e-3, variant: 'adamw' }).step();
  refAdamW(ra, pA.toFloat64(), { m: new Float64Array(10), v: new Float64Array(10) }, 0.01, 0, 1);
  refAdamW(rb, pB.toFloat64(), { m: new Float64Array(8), v: new Float64Array(8) }, 0.01, 0, 1);
  expect(relErr(A.value.toFloat64(), ra)).toBeLessThan(1e-13);
  expect(relErr(B.value.toFloat64(), rb)).toBeLessThan(1e-13);
});

describe('optimizer construction, rates and state dicts: misuse is a LoraValueError saying what is wrong', () => {
  const p = (name?: string, dtype: 'f32' | 'f64' = 'f64') => param(Tensor.zeros([2, 2], dtype), name);

  test('params: a non-empty list of Params or of groups of them', () => {
    expect(() => new AdamW([], { lr: 1 })).toThrow(new LoraValueError('AdamW: expected a non-empty list of params or param groups'));
    expect(() => new SGD(null as never, { lr: 1 })).toThrow(/SGD: expected a non-empty list/);
    expect(() => new AdamW([{ params: [] }], { lr: 1 })).toThrow(new LoraValueError('AdamW group 0: params must be a non-empty list of Params'));
    expect(() => new AdamW([{ params: [p()] }, { params: [{ value: Tensor.zeros([2]) }] as never }], { lr: 1 })).toThrow(new LoraValueError('AdamW group 1: every param must be a Param ({value, grad})'));
    const w = p('w');
    expect(() => new SGD([{ params: [w] }, { params: [w] }], { lr: 1 })).toThrow(new LoraValueError('SGD: param w is listed twice'));
    expect(() => new SGD([param(Tensor.zeros([2], 'bf16'))], { lr: 1 })).toThrow(/SGD group 0 param/);
  });

  test('a refused param is named in the message, by its name or as unnamed; so is a bad group weight decay', () => {
    const gone = (name?: string) => { const q = p(name); q.value.dispose(); return q; };
    expect(() => new SGD([gone('w')], { lr: 1 })).toThrow(/^SGD group 0 param w: tensor \[2, 2\] f64 was disposed$/);
    expect(() => new SGD([gone()], { lr: 1 })).toThrow(/^SGD group 0 param : tensor \[2, 2\] f64 was disposed$/);
    const unnamed = p();
    expect(() => new SGD([unnamed, unnamed], { lr: 1 })).toThrow(new LoraValueError('SGD: param  is listed twice'));
    expect(() => new SGD([{ params: [p()] }, { params: [p()], weightDecay: NaN }], { lr: 1 }))
      .toThrow(new LoraValueError('SGD group 1 weightDecay: expected a finite number, got NaN'));
  });

  test("LoRA-One's optimizers: a non-empty list of layers and a finite λ, each refusal naming the class", () => {
    const pair = () => ({ A: p('A'), B: p('B') });
    for (const [name, make] of [
      ['LoraOneOptimizer', (layers: unknown, lambda?: number) => new LoraOneOptimizer(layers as never, { lr: 0.1, lambda })],
      ['LoraOneAdamW', (layers: unknown, lambda?: number) => new LoraOneAdamW(layers as never, { lr: 0.1, lambda })],
    ] as const) {
      for (const layers of [[], null])
        expect(() => make(layers)).toThrow(new LoraValueError(`${name}: expected a non-empty list of layers ({A, B})`));
      expect(() => make([pair()], NaN)).toThrow(new LoraValueError(`${name} lambda: expected a finite number, got NaN`));
      expect(make([pair()]).lambda).toBe(1e-6);
    }
    expect(() => new LoraOneOptimizer([pair()], { lr: 0.1, momentum: 0.9 } as never)).toThrow(new LoraValueError('LoraOneOptimizer: unknown option momentum (known: lr, lambda, weightDecay)'));
  });

  test('groups keep their own rate and weight decay, else the optimizer\'s; lr and hyperparameters must be finite', () => {
    const o = new SGD([{ params: [p()], lr: 0.5 }, { params: [p()], weightDecay: 0.1 }], { lr: 0.1, weightDecay: 0.01, momentum: 0.9 });
    expect(o.groups.map((g) => [g.lr, g.baseLr, g.weightDecay])).toEqual([[0.5, 0.5, 0.01], [0.1, 0.1, 0.1]]);
    expect(o.momentum).toBe(0.9);
    expect(new SGD([p()], { lr: 1 }).momentum).toBe(0);
    expect(() => new SGD([p()], { lr: NaN })).toThrow(/SGD lr/);
    expect(() => new SGD([{ params: [p()], lr: Infinity }], { lr: 1 })).toThrow(/SGD group 0 lr/);
    expect(() => new AdamW([p()], { lr: 1, betas: [0.9] as never })).toThrow(new LoraValueError('AdamW betas: expected [beta1, beta2]'));
    expect(() => new AdamW([p()], { lr: 1, betas: [0.9, NaN] })).toThrow(/AdamW beta2/);
    expect(() => new AdamW([p()], { lr: 1, betas: [NaN, 0.999] })).toThrow(new LoraValueError('AdamW beta1: expected a finite number, got NaN'));
    expect(() => new AdamW([p()], { lr: 1, weightDecay: Infinity })).toThrow(new LoraValueError('AdamW weightDecay: expected a finite number, got Infinity'));
    expect(() => new AdamW([p()], { lr: 1, eps: NaN })).toThrow(/AdamW eps/);
    const a = new AdamW([p()], { lr: 1 });
    expect({ betas: a.betas, eps: a.eps }).toEqual({ betas: [0.9, 0.999], eps: 1e-8 });
  });

  test('setLr sets the first group\'s rate and keeps the others in proportion; setLrScale scales every base rate', () => {
    const o = loraPlus([{ A: p('A'), B: p('B') }], { lr: 0.01, ratio: 4 });
    o.setLr(0.1);
    expect(o.groups.map((g) => g.lr)).toEqual([0.1, 0.4]);
    o.setLrScale(0.5);
    expect(o.groups.map((g) => g.lr)).toEqual([0.005, 0.02]);
    expect(() => o.setLrScale(NaN)).toThrow(/setLrScale factor/);
    expect(() => o.setLr(Infinity)).toThrow(/setLr lr/);
    const zero = new SGD([{ params: [p()], lr: 0 }, { params: [p()], lr: 1 }], { lr: 1 });
    expect(() => zero.setLr(1)).toThrow(/the first group's base lr is 0/);
    expect(() => loraPlus([], { lr: 1 })).toThrow(new LoraValueError('loraPlus: expected a non-empty list of layers ({A, B})'));
    expect(loraPlus([{ A: p(), B: p() }], { lr: 1 }).groups.map((g) => g.lr)).toEqual([1, 16]);
  });

  test('loadStateDict: the state\'s kind, step count, groups and entries are checked before anything changes', () => {
    const make = () => new AdamW([p('a'), p('b')], { lr: 0.1 });
    const src = make();
    src.params.forEach((q) => { q.grad = Tensor.from(new Float64Array([1, 2, 3, 4]), [2, 2]); });
    src.step();
    const sd = src.stateDict();
    expect(Object.keys(sd.state).sort()).toEqual(['0.m', '0.v', '1.m', '1.v']);
    expect(sd.groups).toEqual([{ lr: 0.1, baseLr: 0.1, weightDecay: 0, params: 2 }]);
    const dst = make();
    const refused = (s: unknown, msg: RegExp | string | Error) => {
      expect(() => dst.loadStateDict(s as never)).toThrow(msg);
      expect(dst.stepCount).toBe(0);
      expect(dst.stateDict().state).toEqual({});
    };
    refused(null, 'AdamW.loadStateDict: expected an OptimizerState');
    refused({ ...sd, stepCount: -1 }, 'AdamW.loadStateDict: stepCount must be a non-negative integer');
    refused({ ...sd, stepCount: 1.5 }, /stepCount/);
    refused({ ...sd, groups: [{ ...sd.groups[0], params: 3 }] }, "AdamW.loadStateDict: the state's groups ([3] params) do not match this optimizer's ([2])");
    refused({ ...sd, groups: 'x' }, /the state's groups \(undefined params\)/);
    refused({ ...sd, groups: undefined }, "AdamW.loadStateDict: the state's groups (undefined params) do not match this optimizer's ([2])");
    refused({ ...sd, groups: [...sd.groups, { ...sd.groups[0] }] }, "AdamW.loadStateDict: the state's groups ([2,2] params) do not match this optimizer's ([2])");
    refused(5, 'AdamW.loadStateDict: expected an OptimizerState');
    refused({ ...sd, hyper: undefined }, 'AdamW.loadStateDict: betas is undefined in the state but [0.9,0.999] here');
    refused({ ...sd, hyper: { ...sd.hyper, momentum: 0.9 } }, 'AdamW.loadStateDict: momentum is 0.9 in the state but undefined here');
    refused({ ...sd, hyper: { ...sd.hyper, eps: 1e-6 } }, 'AdamW.loadStateDict: eps is 0.000001 in the state but 1e-8 here');
    refused({ ...sd, state: { ...sd.state, '2.m': sd.state['0.m'] } }, "AdamW.loadStateDict: unexpected state entry '2.m'");
    refused({ ...sd, state: { ...sd.state, 'x.m': sd.state['0.m'] } }, "AdamW.loadStateDict: unexpected state entry 'x.m'");
    refused({ ...sd, state: { ...sd.state, '0.m': Tensor.zeros([3]) } }, 'AdamW.loadStateDict: 0.m [3] f32 does not match param 0\'s state [2, 2]');
    refused({ ...sd, groups: [{ ...sd.groups[0], lr: NaN }] }, /AdamW\.loadStateDict group 0 lr/);
    refused({ ...sd, groups: [{ ...sd.groups[0], baseLr: NaN }] }, new LoraValueError('AdamW.loadStateDict group 0 baseLr: expected a finite number, got NaN'));
    refused({ ...sd, groups: [{ ...sd.groups[0], weightDecay: Infinity }] }, new LoraValueError('AdamW.loadStateDict group 0 weightDecay: expected a finite number, got Infinity'));
    // Entries are <param index>.<state name>, the whole key: nothing before the index, nothing after the name.
    for (const key of ['p0.m', '0.m.x', '0.m-'])
      refused({ ...sd, state: { ...sd.state, [key]: sd.state['0.m'] } }, new LoraValueError(`AdamW.loadStateDict: unexpected state entry '${key}'`));
    dst.loadStateDict(sd);
    expect(dst.stepCount).toBe(1);
    // The loaded moments are copies: the source's tensors stay the source's.
    expect(dst.stateDict().state['0.m']).not.toBe(sd.state['0.m']);
    expect(Array.from(dst.stateDict().state['0.m'].data)).toEqual(Array.from(sd.state['0.m'].data));
  });

  test('loadStateDict: a state entry that is not a live tensor is refused naming the entry, before anything changes', () => {
    const make = () => new AdamW([p('a'), p('b')], { lr: 0.1 });
    const src = make();
    src.params.forEach((q) => { q.grad = Tensor.from(new Float64Array([1, 2, 3, 4]), [2, 2]); });
    src.step();
    const sd = src.stateDict(), dst = make();
    const gone = Tensor.zeros([2, 2], 'f64');
    gone.dispose();
    expect(() => dst.loadStateDict({ ...sd, state: { ...sd.state, '1.v': null as never } })).toThrow(new LoraShapeError('AdamW.loadStateDict 1.v: expected a Tensor, got null'));
    expect(() => dst.loadStateDict({ ...sd, state: { ...sd.state, '0.m': [0, 0, 0, 0] as never } })).toThrow(new LoraShapeError('AdamW.loadStateDict 0.m: expected a Tensor, got object'));
    expect(() => dst.loadStateDict({ ...sd, state: { ...sd.state, '1.m': gone } })).toThrow(LoraDisposedError);
    expect(() => dst.loadStateDict({ ...sd, state: { ...sd.state, '1.m': gone } })).toThrow('AdamW.loadStateDict 1.m: tensor [2, 2] f64 was disposed');
    expect([dst.stepCount, dst.stateDict().state]).toEqual([0, {}]);
  });

  test('an optimizer of more than ten params saves and loads the state of each (indices of two digits)', () => {
    const make = () => new AdamW(Array.from({ length: 12 }, (_, i) => p(`w${i}`)), { lr: 0.1 });
    const src = make();
    src.params.forEach((q, i) => { q.grad = Tensor.from(new Float64Array([i, 1, 2, 3]), [2, 2]); });
    src.step();
    const dst = make();
    dst.loadStateDict(src.stateDict());
    const want = src.stateDict().state, got = dst.stateDict().state;
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    expect(Array.from(got['11.m'].data)).toEqual(Array.from(want['11.m'].data));
    expect(Array.from(got['10.v'].data)).toEqual(Array.from(want['10.v'].data));
  });

  test('a refused load disposes the copies it had already made (on a device they hold its memory)', () => {
    const make = () => new AdamW([p('a'), p('b')], { lr: 0.1 });
    const src = make();
    src.params.forEach((q) => { q.grad = Tensor.from(new Float64Array([1, 2, 3, 4]), [2, 2]); });
    src.step();
    const sd = src.stateDict(), wrong = Tensor.zeros([3], 'f64');
    const dst = make();
    // Copies are made entry by entry: 0.m and 0.v are copied before 1.m is refused.
    const made: Tensor[] = [], zeros = Tensor.zeros;
    const spy = jest.spyOn(Tensor, 'zeros').mockImplementation((...a: Parameters<typeof Tensor.zeros>) => { const t = zeros.apply(Tensor, a); made.push(t); return t; });
    try {
      expect(() => dst.loadStateDict({ ...sd, state: { '0.m': sd.state['0.m'], '0.v': sd.state['0.v'], '1.m': wrong } })).toThrow(LoraShapeError);
    } finally {
      spy.mockRestore();
    }
    expect(made.length).toBe(2);
    expect(made.map((t) => t.disposed)).toEqual([true, true]);
  });
});

test('SGD: a state saved with another momentum is refused; the state holds the momentum buffer only when there is momentum', () => {
  const q = () => param(Tensor.zeros([2], 'f64'));
  const a = new SGD([q()], { lr: 0.1, momentum: 0.9 });
  a.params[0].grad = Tensor.from(new Float64Array([1, 2]), [2]);
  a.step();
  expect(Object.keys(a.stateDict().state)).toEqual(['0.buf']);
  expect(a.stateDict().hyper).toEqual({ momentum: 0.9 });
  expect(() => new SGD([q()], { lr: 0.1, momentum: 0.5 }).loadStateDict(a.stateDict())).toThrow(new LoraValueError('SGD.loadStateDict: momentum is 0.9 in the state but 0.5 here'));
  expect(() => new SGD([q()], { lr: 0.1, momentum: NaN })).toThrow(/^SGD momentum: /);
  expect(() => new SGD([q()], { lr: 0.1, nesterov: true } as never)).toThrow(/^SGD: unknown option nesterov/);
  const plain = new SGD([q()], { lr: 0.1 });
  plain.params[0].grad = Tensor.from(new Float64Array([1, 2]), [2]);
  plain.step();
  expect(plain.stateDict().state).toEqual({});
});

describe('addScaled (the axpy of the training host code): dst += α·src through the backend', () => {
  test('f64 stays f64 (an f32 product would round 1/3 at 1e-8), sizes must match', () => {
    const dst = Tensor.fromFloat64(new Float64Array([1, 2, 3]), [3], 'f64'), src = Tensor.fromFloat64(new Float64Array([1 / 3, 1 / 7, 1 / 9]), [3], 'f64');
    addScaled(dst, src, 3);
    expect(Array.from(dst.toFloat64())).toEqual([1 + 3 * (1 / 3), 2 + 3 * (1 / 7), 3 + 3 * (1 / 9)]);
    expect(() => addScaled(Tensor.zeros([3]), Tensor.zeros([4]))).toThrow(new LoraShapeError('addScaled: [4] f32 does not match [3] f32'));
  });

  test('assign copies src into dst in place (the object others hold), converting the dtype; sizes must match', () => {
    const dst = Tensor.zeros([2, 2], 'f64'), src = Tensor.from(new Float32Array([0.5, 1.5, -2, 4]), [4]);
    expect(assign(dst, src)).toBe(dst);
    expect({ shape: dst.shape, dtype: dst.dtype, v: Array.from(dst.toFloat64()) }).toEqual({ shape: [2, 2], dtype: 'f64', v: [0.5, 1.5, -2, 4] });
    expect(() => assign(dst, Tensor.zeros([3]))).toThrow(new LoraShapeError('assign: [3] f32 does not match [2, 2] f64'));
    expect(Array.from(dst.toFloat64())).toEqual([0.5, 1.5, -2, 4]);
  });
});

describe('optimizer rates, clipping and LoRA+ arguments: exact values and messages', () => {
  const p = () => param(Tensor.zeros([2], 'f64'));

  test('setLr gives the first group exactly the rate asked for, not base·(lr/base) (0.3·(0.7/0.3) = 0.7000000000000001)', () => {
    const o = new SGD([{ params: [p()], lr: 0.3 }, { params: [p()], lr: 0.6 }], { lr: 0.3 });
    o.setLr(0.7);
    expect(o.groups[0].lr).toBe(0.7);
    expect(o.groups[1].lr).toBe(0.6 * (0.7 / 0.3));
  });

  test('clipGradNorm: maxNorm 0 is allowed and zeroes the gradients (as torch); params without a gradient are skipped; bad maxNorm is named', () => {
    const a = p(), b = p();
    a.grad = Tensor.from(new Float64Array([3, 4]), [2], { writable: true });
    const opt = new SGD([a, b], { lr: 1 });  // b.grad stays null
    expect(opt.clipGradNorm(10)).toBe(5);
    expect(opt.clipGradNorm(0)).toBe(5);
    expect(Array.from(a.grad.data)).toEqual([0, 0]);
    expect(b.grad).toBeNull();
    expect(() => opt.clipGradNorm(NaN)).toThrow(new LoraValueError('clipGradNorm maxNorm: expected a finite number, got NaN'));
    expect(() => opt.clipGradNorm(-1)).toThrow(new LoraValueError('clipGradNorm: maxNorm must be >= 0, got -1'));
  });

  test('loadStateDict restores every group\'s lr, base lr and weight decay from the state', () => {
    const src = new AdamW([{ params: [p()], lr: 0.1 }, { params: [p()], lr: 0.2, weightDecay: 0.3 }], { lr: 0.1 });
    src.setLrScale(0.5);
    const dst = new AdamW([{ params: [p()], lr: 1 }, { params: [p()], lr: 2 }], { lr: 1 });
    dst.loadStateDict(src.stateDict());
    expect(dst.groups.map((g) => [g.lr, g.baseLr, g.weightDecay])).toEqual([[0.05, 0.1, 0], [0.1, 0.2, 0.3]]);
  });

  test('loraPlus names itself in its refusals: an unknown option, a non-finite ratio', () => {
    const l = [{ A: p(), B: p() }];
    expect(() => loraPlus(l, { lr: 1, ratoi: 4 } as never)).toThrow(/^loraPlus: unknown option ratoi \(known: /);
    expect(() => loraPlus(l, { lr: 1, ratio: NaN })).toThrow(new LoraValueError('loraPlus ratio: expected a finite number, got NaN'));
  });
});
