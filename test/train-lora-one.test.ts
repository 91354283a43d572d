import { LoraOneAdamW, LoraOneOptimizer, LoraValueError, Tensor, initLoraOne, loraOnePrecondition, loraOneStepSize, param, svd } from '../lib';
import { randTensor, refMatmul, relErr, withSpectrum } from './helpers/ref';
import { add, eye, frob, refSolve, scale } from './helpers/linalg';

const out = 24, inF = 18, r = 3;
const sigma = [9, 7, 5, 3, 2, 1.5, 1, 0.5];  // distinct: the rank-3 truncation is unique

describe('LoRA-One init: one best rank-r gradient step, no offset of W', () => {
  test.each([true, false])('normalize %s: s·B₀·A₀ = −η·[G]_r with η = s/(γ·σ₁) (or s/γ)', (normalize) => {
    const Gv = withSpectrum(out, inF, sigma, 1);
    const G = Tensor.from(Gv, [out, inF]);
    const cfg = { rank: r, alpha: 16, gamma: 64, svd: 'exact' as const, precision: 'f64' as const, normalize };
    const init = initLoraOne(G, cfg);
    expect(init.W).toBeNull();
    expect(init.scaling).toBeCloseTo(16 / Math.sqrt(r), 12);  // rsLoRA by default, as the official runs
    const eta = loraOneStepSize(cfg, sigma[0], normalize);
    expect(eta).toBeCloseTo(init.scaling / (64 * (normalize ? 9 : 1)), 12);
    // [G]_r from the construction: the same spectrum truncated (withSpectrum with the tail zeroed, same seed).
    const Gr = withSpectrum(out, inF, [...sigma.slice(0, r), ...sigma.slice(r).map(() => 0)], 1);
    const step = scale(refMatmul(init.B.toFloat64(), out, r, init.A.toFloat64(), r, inF), init.scaling);
    expect(relErr(step, scale(Gr, -eta))).toBeLessThan(1e-10);
    // Balanced factors: ‖B₀[:, i]‖ = ‖A₀[i, :]‖ = √(σᵢ/(γ·c²)).
    const A = init.A.toFloat64(), B = init.B.toFloat64();
    for (let i = 0; i < r; i++) {
      let na = 0, nb = 0;
      for (let j = 0; j < inF; j++) na += A[i * inF + j] ** 2;
      for (let j = 0; j < out; j++) nb += B[j * r + i] ** 2;
      const want = sigma[i] / (64 * (normalize ? 9 : 1));
      expect(na).toBeCloseTo(want, 10);
      expect(nb).toBeCloseTo(want, 10);
    }
  });

  test('f32 randomized SVD agrees with the exact init (decaying spectrum)', () => {
    const G = Tensor.fromFloat64(withSpectrum(out, inF, sigma, 2), [out, inF], 'f32');
    const a = initLoraOne(G, { rank: r, alpha: 16, svd: 'exact' }), b = initLoraOne(G, { rank: r, alpha: 16, svd: 'randomized', seed: 3 });
    const pa = refMatmul(a.B.toFloat64(), out, r, a.A.toFloat64(), r, inF), pb = refMatmul(b.B.toFloat64(), out, r, b.A.toFloat64(), r, inF);
    expect(relErr(pb, pa)).toBeLessThan(1e-4); // f32 SVDs of a gap-3/5 spectrum
    expect(b.report!.method).toBe('randomized');
  });

  test('the default randomized SVD keeps q = 4r columns (oversample 3r): on a flat G its top-r σ are within 2% of exact', () => {
    // A flat (Gaussian) spectrum is where the range finder's width matters: measured on three seeds, q = 4r misses
    // σ₁…σ_r by ≤ 0.9%, q = r + 1 (no oversampling) by 5.5–6.2%.
    const G = Tensor.randn([300, 200], 'f32', 'cpu', 1);
    const exact = svd(G.to('f64'), { k: 8 }).S.toFloat64();
    const sigma8 = initLoraOne(G, { rank: 8, alpha: 16 }).report!.sigma;
    for (let i = 0; i < 8; i++) expect((exact[i] - sigma8[i]) / exact[i]).toBeLessThan(0.02);
    const narrow = initLoraOne(G, { rank: 8, alpha: 16, oversample: 0 }).report!.sigma;
    expect(Math.max(...Array.from({ length: 8 }, (_, i) => (exact[i] - narrow[i]) / exact[i]))).toBeGreaterThan(0.03);
  });

  test('zero gradient and bad rank are LoraValueError / LoraShapeError', () => {
    expect(() => initLoraOne(Tensor.zeros([out, inF]), { rank: r, alpha: 16, svd: 'exact' })).toThrow(LoraValueError);
    expect(() => initLoraOne(Tensor.zeros([4, 3]), { rank: 4, alpha: 16 })).toThrow(/rank 4/);
  });
});

describe('LoRA-One preconditioner', () => {
  test('(BᵀB + λI)⁻¹·∇A and ∇B·(AAᵀ + λI)⁻¹ against float64 Gauss-Jordan', () => {
    const A = randTensor([r, inF], 1, 'f64'), B = randTensor([out, r], 2, 'f64');
    const gA = randTensor([r, inF], 3, 'f64'), gB = randTensor([out, r], 4, 'f64'), lambda = 0.1;
    const { pA, pB } = loraOnePrecondition(A.t, B.t, gA.t, gB.t, lambda);
    const BtB = add(refMatmul(B.v, out, r, B.v, out, r, true, false), eye(r, lambda));
    const AAt = add(refMatmul(A.v, r, inF, A.v, r, inF, false, true), eye(r, lambda));
    expect(relErr(pA.toFloat64(), refSolve(BtB, gA.v, r, inF))).toBeLessThan(1e-12);
    expect(relErr(pB.toFloat64(), refMatmul(gB.v, out, r, refSolve(AAt, eye(r), r, r), r, r))).toBeLessThan(1e-12);
  });

  test('one step: A ← A − η·pA and B ← B − η·pB, both from the pre-step (A, B)', () => {
    const A = param(randTensor([r, inF], 5, 'f64').t), B = param(randTensor([out, r], 6, 'f64').t);
    A.grad = randTensor([r, inF], 7, 'f64').t; B.grad = randTensor([out, r], 8, 'f64').t;
    const { pA, pB } = loraOnePrecondition(A.value, B.value, A.grad, B.grad, 1e-6);
    const a0 = A.value.toFloat64(), b0 = B.value.toFloat64();
    new LoraOneOptimizer([{ A, B }], { lr: 0.05 }).step();
    expect(relErr(A.value.toFloat64(), add(a0, pA.toFloat64(), -0.05))).toBeLessThan(1e-14);
    expect(relErr(B.value.toFloat64(), add(b0, pB.toFloat64(), -0.05))).toBeLessThan(1e-14);
    expect(frob(pA.toFloat64())).toBeGreaterThan(0);
  });
});

describe('LoraOneAdamW options', () => {
  const pair = () => ({ A: param(randTensor([r, inF], 9, 'f64').t), B: param(randTensor([out, r], 10, 'f64').t) });

  test('scaled-adamw without bias correction is the default; adamw corrects by default', () => {
    const d = new LoraOneAdamW([pair()], { lr: 0.01 });
    expect([d.variant, d.biasCorrection]).toEqual(['scaled-adamw', false]);
    const a = new LoraOneAdamW([pair()], { lr: 0.01, variant: 'adamw' });
    expect([a.variant, a.biasCorrection]).toEqual(['adamw', true]);
    // The first uncorrected step is (1−β₁)/√(1−β₂) ≈ 3.16 times lr·sign(g) per element (Adam's own is 1).
    const l = pair();
    l.A.grad = randTensor([r, inF], 11, 'f64').t; l.B.grad = randTensor([out, r], 12, 'f64').t;
    const a0 = l.A.value.toFloat64();
    new LoraOneAdamW([l], { lr: 0.01, lambda: 0 }).step();
    const moved = add(a0, l.A.value.toFloat64(), -1);
    for (const d0 of moved) expect(Math.abs(d0)).toBeCloseTo(0.01 * 0.1 / Math.sqrt(0.001), 4);
  });

  test('either variant and either biasCorrection can be given explicitly, in any combination', () => {
    for (const variant of ['scaled-adamw', 'adamw'] as const)
      for (const biasCorrection of [true, false]) {
        const o = new LoraOneAdamW([pair()], { lr: 0.01, variant, biasCorrection });
        expect([o.variant, o.biasCorrection]).toEqual([variant, biasCorrection]);
      }
  });

  test('unknown options, a bad variant, a non-boolean biasCorrection and betas too close to 1 are LoraValueError', () => {
    expect(() => new LoraOneAdamW([pair()], { lr: 0.01, varient: 'adamw' } as never)).toThrow(LoraValueError);
    expect(() => new LoraOneAdamW([pair()], { lr: 0.01, varient: 'adamw' } as never)).toThrow(/^LoraOneAdamW: unknown option varient \(known: .*\bvariant\b/);
    expect(() => new LoraOneAdamW([pair()], { lr: 0.01, variant: 'sgd' as never })).toThrow(new LoraValueError("LoraOneAdamW: variant must be 'scaled-adamw' or 'adamw', got sgd"));
    expect(() => new LoraOneAdamW([pair()], { lr: 0.01, biasCorrection: 1 as never })).toThrow(new LoraValueError('LoraOneAdamW: biasCorrection must be a boolean, got 1'));
    // Without bias correction β^step must reach 0 (the "step" that turns it off is 1e14 steps): β = 1 − 1e-16 cannot.
    expect(() => new LoraOneAdamW([pair()], { lr: 0.01, betas: [0.9, 1 - 1e-16] }))
      .toThrow(new LoraValueError('LoraOneAdamW: biasCorrection: false needs betas below 1 − 1e-14, got [0.9, 0.9999999999999999]'));
  });

  test('a state of the other variant is refused', () => {
    const l = pair();
    l.A.grad = randTensor([r, inF], 13, 'f64').t; l.B.grad = randTensor([out, r], 14, 'f64').t;
    const a = new LoraOneAdamW([l], { lr: 0.01, variant: 'adamw' });
    a.step();
    expect(() => new LoraOneAdamW([pair()], { lr: 0.01 }).loadStateDict(a.stateDict())).toThrow(/variant/);
  });
});
