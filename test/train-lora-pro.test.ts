import { LoraProAdamW, LoraShapeError, LoraValueError, Tensor, loraOnePrecondition, loraProAdjust, param, solveSylvester } from '../lib';
import { randTensor, refMatmul, relErr } from './helpers/ref';
import { add, eye, frob, refSolve, refSylvester, scale } from './helpers/linalg';
import { assign } from '../lib/train/host';

// Random instance: full gradient g [m, n], A [r, n], B [m, r], scale s; LoRA's gradients gA = s·Bᵀg, gB = s·g·Aᵀ.
const m = 20, n = 16, r = 4;

function instance(seed: number, s: number) {
  const g = randTensor([m, n], seed, 'f64'), A = randTensor([r, n], seed + 1, 'f64'), B = randTensor([m, r], seed + 2, 'f64');
  const gA = scale(refMatmul(B.v, m, r, g.v, m, n, true, false), s);
  const gB = scale(refMatmul(g.v, m, n, A.v, r, n, false, true), s);
  return { g: g.v, A, B, gA: Tensor.from(gA, [r, n]), gB: Tensor.from(gB, [m, r]) };
}

/** s·(B·gA + gB·A): how W moves per unit step. */
function equivalent(B: Float64Array, A: Float64Array, gA: Float64Array, gB: Float64Array, s: number): Float64Array {
  return scale(add(refMatmul(B, m, r, gA, r, n), refMatmul(gB, m, r, A, r, n)), s);
}

describe('LoRA-Pro adjustment', () => {
  test.each([[1, 2], [10, 0.5], [20, 4]])('seed %s, s = %s: closer to the full gradient than LoRA, and equal to the projection', (seed, s) => {
    const { g, A, B, gA, gB } = instance(seed, s);
    const adj = loraProAdjust(A.t, B.t, gA, gB, s, { delta: 0 });
    const pro = equivalent(B.v, A.v, adj.gA.toFloat64(), adj.gB.toFloat64(), s);
    const lora = equivalent(B.v, A.v, gA.toFloat64(), gB.toFloat64(), s);
    const errPro = frob(add(pro, g, -1)), errLora = frob(add(lora, g, -1));
    expect(errPro).toBeLessThan(errLora);
    // Closed form of the optimum: the orthogonal projection of g onto {B·X + Y·A}: P_B·g + g·P_A − P_B·g·P_A with
    // P_B = B(BᵀB)⁻¹Bᵀ, P_A = Aᵀ(AAᵀ)⁻¹A. Float64 throughout; tolerance is conditioning of BᵀB/AAᵀ times ε.
    const BtB = refMatmul(B.v, m, r, B.v, m, r, true, false), AAt = refMatmul(A.v, r, n, A.v, r, n, false, true);
    const PB = refMatmul(B.v, m, r, refSolve(BtB, transposeM(B.v, m, r), r, m), r, m);
    const PA = refMatmul(A.v, r, n, refSolve(AAt, A.v, r, n), r, n, true, false);
    const PBg = refMatmul(PB, m, m, g, m, n), gPA = refMatmul(g, m, n, PA, n, n);
    const proj = add(add(PBg, gPA), refMatmul(PBg, m, n, PA, n, n), -1);
    expect(relErr(pro, proj)).toBeLessThan(1e-9);
  });

  test('gA\' and gB\' equal the paper\'s closed form (Theorems 2.1-2.2) in float64', () => {
    const s = 3, { A, B, gA, gB } = instance(30, s);
    const adj = loraProAdjust(A.t, B.t, gA, gB, s, { delta: 0 });
    const BtB = refMatmul(B.v, m, r, B.v, m, r, true, false), AAt = refMatmul(A.v, r, n, A.v, r, n, false, true);
    const T1 = refSolve(BtB, gA.toFloat64(), r, n);                                     // (BᵀB)⁻¹·gA
    const X = refSylvester(BtB, AAt, scale(refMatmul(T1, r, n, A.v, r, n, false, true), -1 / (s * s)), r);
    const wantA = add(scale(T1, 1 / (s * s)), refMatmul(X, r, r, A.v, r, n));
    const PB = refMatmul(B.v, m, r, refSolve(BtB, transposeM(B.v, m, r), r, m), r, m);  // B(BᵀB)⁻¹Bᵀ
    const proj = add(gB.toFloat64(), refMatmul(PB, m, m, gB.toFloat64(), m, r), -1);    // (I − P_B)·gB
    const right = transposeM(refSolve(AAt, transposeM(proj, m, r), r, m), r, m);       // ·(AAᵀ)⁻¹
    const wantB = add(scale(right, 1 / (s * s)), refMatmul(B.v, m, r, X, r, r), -1);
    expect(relErr(adj.X.toFloat64(), X)).toBeLessThan(1e-9);
    expect(relErr(adj.gA.toFloat64(), wantA)).toBeLessThan(1e-9);
    expect(relErr(adj.gB.toFloat64(), wantB)).toBeLessThan(1e-9);
  });

  test('the equivalent gradient does not depend on the free X; the Sylvester X is closest to LoRA\'s gradients', () => {
    const s = 2, { A, B, gA, gB } = instance(5, s);
    const syl = loraProAdjust(A.t, B.t, gA, gB, s, { delta: 0 });
    const zero = loraProAdjust(A.t, B.t, gA, gB, s, { x: 'zero', delta: 0 });
    const sym = loraProAdjust(A.t, B.t, gA, gB, s, { x: 'symmetry', delta: 0 });
    const e = (a: { gA: Tensor; gB: Tensor }) => equivalent(B.v, A.v, a.gA.toFloat64(), a.gB.toFloat64(), s);
    expect(relErr(e(zero), e(syl))).toBeLessThan(1e-10);
    expect(relErr(e(sym), e(syl))).toBeLessThan(1e-10);
    // Theorem 2.2: X minimises ‖gA' − gA‖² + ‖gB' − gB‖²; gA' = gA⁰ + X·A, gB' = gB⁰ − B·X is quadratic in X,
    // so any perturbation of X increases it.
    const dist = (X: Float64Array) => {
      const a0 = zero.gA.toFloat64(), b0 = zero.gB.toFloat64();
      const a = add(a0, refMatmul(X, r, r, A.v, r, n)), b = add(b0, refMatmul(B.v, m, r, X, r, r), -1);
      return frob(add(a, gA.toFloat64(), -1)) ** 2 + frob(add(b, gB.toFloat64(), -1)) ** 2;
    };
    const X = syl.X.toFloat64(), best = dist(X);
    for (let k = 0; k < 5; k++) expect(dist(add(X, randTensor([r, r], 100 + k, 'f64', 1e-3).v))).toBeGreaterThan(best);
    expect(dist(new Float64Array(r * r))).toBeGreaterThan(best);
  });

  test('B = 0 (plain LoRA at step 0) is well defined: gA\' = 0, gB\' = (1/s²)·gB·(AAᵀ)⁻¹', () => {
    const s = 2, A = randTensor([r, n], 3, 'f64'), B = Tensor.zeros([m, r], 'f64');
    const gB = randTensor([m, r], 4, 'f64');
    const adj = loraProAdjust(A.t, B, Tensor.zeros([r, n], 'f64'), gB.t, s);
    expect(frob(adj.gA.toFloat64())).toBe(0);
    const AAt = add(refMatmul(A.v, r, n, A.v, r, n, false, true), eye(r, 1e-8));
    const want = scale(transposeM(refSolve(AAt, transposeM(gB.v, m, r), r, m), r, m), 1 / (s * s));
    expect(relErr(adj.gB.toFloat64(), want)).toBeLessThan(1e-10);
  });

  test('solveSylvester: P·X + X·Q = C (residual at float64 rounding)', () => {
    const k = 6;
    const P = add(refMatmul(randTensor([k, k], 1, 'f64').v, k, k, randTensor([k, k], 1, 'f64').v, k, k, true, false), eye(k, 0.1));
    const Q = add(refMatmul(randTensor([k, k], 2, 'f64').v, k, k, randTensor([k, k], 2, 'f64').v, k, k, true, false), eye(k, 0.1));
    const C = randTensor([k, k], 3, 'f64');
    const X = solveSylvester(Tensor.from(P, [k, k]), Tensor.from(Q, [k, k]), C.t).toFloat64();
    const lhs = add(refMatmul(P, k, k, X, k, k), refMatmul(X, k, k, Q, k, k));
    expect(relErr(lhs, C.v)).toBeLessThan(1e-12);
  });

  test('LoraProAdamW variant efficient steps A and B with AdamW on the adjusted gradients', () => {
    const s = 2, { A, B, gA, gB } = instance(7, s);
    const adj = loraProAdjust(A.t, B.t, gA, gB, s);
    const pa = param(A.t.clone()), pb = param(B.t.clone());
    pa.grad = gA; pb.grad = gB;
    new LoraProAdamW([{ A: pa, B: pb, scale: s }], { lr: 0.01, variant: 'efficient' }).step();
    // AdamW's first step moves each element by lr·g/(|g| + ε) = lr·sign(g) (ε relative to |g| ≥ 1e-6 here)
    const ga = adj.gA.toFloat64(), moved = pa.value.toFloat64(), a0 = A.v;
    for (let i = 0; i < ga.length; i++) if (Math.abs(ga[i]) > 1e-6) expect(a0[i] - moved[i]).toBeCloseTo(0.01 * Math.sign(ga[i]), 6);
  });
});

describe('Sylvester solve without a rank cap', () => {
  /** A random symmetric k×k matrix G·Gᵀ + shift·I (positive definite for shift > 0). */
  const spd = (k: number, seed: number, shift: number) =>
    add(refMatmul(randTensor([k, k], seed, 'f64').v, k, k, randTensor([k, k], seed, 'f64').v, k, k, false, true), eye(k, shift));
  const residual = (P: Float64Array, Q: Float64Array, X: Float64Array, C: Float64Array, k: number) =>
    relErr(add(refMatmul(P, k, k, X, k, k), refMatmul(X, k, k, Q, k, k)), C);

  test.each([64, 96])('symmetric positive definite P, Q at r = %s (past the old 48): residual at float64 rounding', (k) => {
    const P = spd(k, 1, 1e-3), Q = spd(k, 2, 1e-3), C = randTensor([k, k], 3, 'f64');
    const X = solveSylvester(Tensor.from(P, [k, k]), Tensor.from(Q, [k, k]), C.t).toFloat64();
    expect(residual(P, Q, X, C.v, k)).toBeLessThan(1e-11);
  });

  test('symmetric indefinite P with eigenvalue pairs ±λ (singular vectors are not eigenvectors there) is still solved', () => {
    const k = 4;
    const P = new Float64Array([0, 2, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, -3]);  // eigenvalues ±2, ±3
    const Q = add(spd(k, 4, 0), eye(k, 10));                                        // eigenvalues > 10: λ + μ ≠ 0
    const C = randTensor([k, k], 5, 'f64');
    const X = solveSylvester(Tensor.from(P, [k, k]), Tensor.from(Q, [k, k]), C.t).toFloat64();
    expect(residual(P, Q, X, C.v, k)).toBeLessThan(1e-12);
  });

  test('non-symmetric P uses the vectorised form (r ≤ 48); beyond it, and a singular equation, are LoraValueError', () => {
    const k = 5, P = randTensor([k, k], 6, 'f64').v.map((v, i) => v + (i % (k + 1) === 0 ? 8 : 0)), Q = spd(k, 7, 1);
    const C = randTensor([k, k], 8, 'f64');
    const X = solveSylvester(Tensor.from(P, [k, k]), Tensor.from(Q, [k, k]), C.t).toFloat64();
    expect(residual(P, Q, X, C.v, k)).toBeLessThan(1e-12);
    const big = 49, N = randTensor([big, big], 9, 'f64');
    expect(() => solveSylvester(N.t, Tensor.from(spd(big, 10, 1), [big, big]), Tensor.zeros([big, big], 'f64'))).toThrow(LoraValueError);
    // P = I, Q = −I: λ + μ = 0 everywhere.
    expect(() => solveSylvester(Tensor.from(eye(3), [3, 3]), Tensor.from(eye(3, -1), [3, 3]), Tensor.zeros([3, 3], 'f64'))).toThrow(/singular/);
  });

  test('a P symmetric up to rounding (|Pᵢⱼ − Pⱼᵢ| ≤ 1e-12·max|P|) is solved as symmetric, past r = 48; P = 0 is symmetric too', () => {
    const k = 64, P = spd(k, 11, 1e-3), Q = spd(k, 12, 1e-3), C = randTensor([k, k], 13, 'f64');
    let big = 0;
    for (const v of P) big = Math.max(big, Math.abs(v));
    P[1 * k + 2] += 1e-13 * big;  // a GEMM's few ulps of asymmetry, 10× under the tolerance
    const X = solveSylvester(Tensor.from(P, [k, k]), Tensor.from(Q, [k, k]), C.t).toFloat64();
    expect(residual(P, Q, X, C.v, k)).toBeLessThan(1e-11);
    // P = 0 (max|P| = 0: only an exact zero difference is symmetric) and Q = I: X = C.
    const X0 = solveSylvester(Tensor.zeros([k, k], 'f64'), Tensor.from(eye(k), [k, k]), C.t).toFloat64();
    expect(relErr(X0, C.v)).toBeLessThan(1e-12);
  });

  test('a P asymmetric only away from its first row and column is not taken for symmetric (r ≤ 48: solved exactly)', () => {
    const k = 4, P = spd(k, 14, 1), Q = spd(k, 15, 1), C = randTensor([k, k], 16, 'f64');
    P[1 * k + 2] += 0.5;
    P[3 * k + 2] -= 0.25;
    const X = solveSylvester(Tensor.from(P, [k, k]), Tensor.from(Q, [k, k]), C.t).toFloat64();
    expect(residual(P, Q, X, C.v, k)).toBeLessThan(1e-12);
  });

  test('loraProAdjust at r = 64 (on the O(r³) path): the equivalent gradient is still the projection', () => {
    const mm = 96, nn = 80, k = 64, s = 2;
    const g = randTensor([mm, nn], 20, 'f64'), A = randTensor([k, nn], 21, 'f64'), B = randTensor([mm, k], 22, 'f64');
    const gA = scale(refMatmul(B.v, mm, k, g.v, mm, nn, true, false), s), gB = scale(refMatmul(g.v, mm, nn, A.v, k, nn, false, true), s);
    const adj = loraProAdjust(A.t, B.t, Tensor.from(gA, [k, nn]), Tensor.from(gB, [mm, k]), s, { delta: 0 });
    const zero = loraProAdjust(A.t, B.t, Tensor.from(gA, [k, nn]), Tensor.from(gB, [mm, k]), s, { delta: 0, x: 'zero' });
    const eq = (x: { gA: Tensor; gB: Tensor }) => scale(add(refMatmul(B.v, mm, k, x.gA.toFloat64(), k, nn), refMatmul(x.gB.toFloat64(), mm, k, A.v, k, nn)), s);
    expect(relErr(eq(adj), eq(zero))).toBeLessThan(1e-9);
    // The Sylvester X really solves BᵀB·X + X·AAᵀ = −(1/s²)(BᵀB)⁻¹·gA·Aᵀ at this rank.
    const BtB = refMatmul(B.v, mm, k, B.v, mm, k, true, false), AAt = refMatmul(A.v, k, nn, A.v, k, nn, false, true);
    const rhs = scale(refMatmul(refSolve(BtB, gA, k, nn), k, nn, A.v, k, nn, false, true), -1 / (s * s));
    const Xv = adj.X.toFloat64();
    expect(relErr(add(refMatmul(BtB, k, k, Xv, k, k), refMatmul(Xv, k, k, AAt, k, k)), rhs)).toBeLessThan(1e-9);
  });
});

describe('LoraProAdamW variants', () => {
  const s = 2;
  function run(variant: 'full' | 'efficient', steps: number, opt?: LoraProAdamW) {
    const { A, B } = instance(40, s);
    const pa = param(A.t.clone()), pb = param(B.t.clone());
    const o = opt ?? new LoraProAdamW([{ A: pa, B: pb, scale: s }], { lr: 0.01, variant });
    return { pa, pb, o, steps: () => { for (let t = 0; t < steps; t++) { const i = instance(41 + t, s); o.layers[0].A.grad = i.gA; o.layers[0].B.grad = i.gB; o.step(); } } };
  }

  test('full is the default and keeps [out, in] moments (wm, wv) under A; a saved state resumes bit-identically', () => {
    const a = run('full', 3);
    expect(new LoraProAdamW([{ A: a.pa, B: a.pb, scale: s }], { lr: 0.01 }).variant).toBe('full');
    a.steps();
    const st = a.o.stateDict();
    expect(Object.keys(st.state).sort()).toEqual(['0.wm', '0.wv']);
    expect(st.state['0.wm'].shape).toEqual([m, n]);
    // Continue a copy from the saved state and the original by the same 3 steps: identical.
    const b = run('full', 3);
    assign(b.pa.value, a.pa.value); assign(b.pb.value, a.pb.value);
    const copy = new LoraProAdamW([{ A: b.pa, B: b.pb, scale: s }], { lr: 0.01 });
    copy.loadStateDict(st);
    const more = (o: LoraProAdamW) => { for (let t = 0; t < 3; t++) { const i = instance(60 + t, s); o.layers[0].A.grad = i.gA; o.layers[0].B.grad = i.gB; o.step(); } };
    more(a.o); more(copy);
    expect(Array.from(b.pa.value.toFloat64())).toEqual(Array.from(a.pa.value.toFloat64()));
    expect(Array.from(b.pb.value.toFloat64())).toEqual(Array.from(a.pb.value.toFloat64()));
    // Another variant's state is refused.
    const e = run('efficient', 1); e.steps();
    expect(() => copy.loadStateDict(e.o.stateDict())).toThrow(/variant/);
    // The efficient variant keeps no [out, in] moments: the full state relabelled 'efficient' is refused by shape.
    const relabelled = { ...st, hyper: { ...st.hyper, variant: 'efficient' } };
    expect(() => e.o.loadStateDict(relabelled)).toThrow(LoraShapeError);
    expect(() => e.o.loadStateDict(relabelled)).toThrow(new RegExp(`: 0\\.wm \\[${m}, ${n}\\] f\\d+ does not match param 0's state \\[`));
  });

  test("full's first moment after one step is (1 − β₁)·E, E = s·(B·gA⁰ + gB⁰·A) of the δ-regularised projection (X = 0), float64 by hand", () => {
    const delta = 0.5, { A, B, gA, gB } = instance(70, s);
    const pa = param(A.t.clone()), pb = param(B.t.clone());
    pa.grad = gA; pb.grad = gB;
    const opt = new LoraProAdamW([{ A: pa, B: pb, scale: s }], { lr: 0.01, delta });
    opt.step();
    const BtB = add(refMatmul(B.v, m, r, B.v, m, r, true, false), eye(r, delta)), AAt = add(refMatmul(A.v, r, n, A.v, r, n, false, true), eye(r, delta));
    const gA0 = scale(refSolve(BtB, gA.toFloat64(), r, n), 1 / (s * s));
    const Z = add(gB.toFloat64(), refMatmul(B.v, m, r, refSolve(BtB, refMatmul(B.v, m, r, gB.toFloat64(), m, r, true, false), r, r), r, r), -1);
    const gB0 = scale(transposeM(refSolve(AAt, transposeM(Z, m, r), r, m), r, m), 1 / (s * s)); // Z·(AAᵀ + δI)⁻¹
    const E = equivalent(B.v, A.v, gA0, gB0, s);
    expect(relErr(opt.stateDict().state['0.wm'].toFloat64(), scale(E, 1 - 0.9))).toBeLessThan(1e-10);
  });

  describe('full computes in f64 only when A, B and both gradients are f64', () => {
    // Operands with more precision than f32 (f64 values), made f32 one at a time; gradients small, so that Adam's
    // m̂/(√v̂ + ε) keeps E's precision instead of rounding it to ±1.
    const ops = () => {
      const { A, B, gA, gB } = instance(80, s);
      return [A.t, B.t, gA.to('f64'), gB.to('f64')].map((t, i) => (i < 2 ? t : Tensor.fromFloat64(scale(t.toFloat64(), 1e-8), t.shape as number[], 'f64')));
    };
    const step = (t: Tensor[]) => {
      const pa = param(t[0].clone()), pb = param(t[1].clone());
      pa.grad = t[2]; pb.grad = t[3];
      const opt = new LoraProAdamW([{ A: pa, B: pb, scale: s }], { lr: 1 });
      opt.step();
      return { A: pa.value, wm: opt.stateDict().state['0.wm'] };
    };

    test.each([['B', 1], ['gA', 2], ['gB', 3]] as const)('%s in f32, the others f64: E (the first moment over 1 − β₁) is a float32 number', (_name, k) => {
      const E = scale(step(ops().map((t, i) => (i === k ? t.to('f32') : t))).wm.toFloat64(), 1 / (1 - 0.9));
      expect(relErr(Array.from(E, (v) => Math.fround(v)), E)).toBeLessThan(1e-14);
      const all64 = scale(step(ops()).wm.toFloat64(), 1 / (1 - 0.9));
      expect(relErr(Array.from(all64, (v) => Math.fround(v)), all64)).toBeGreaterThan(1e-10);
    });

    test('A in f32, the others f64: the step is bit-identical to the one with every operand rounded to f32 first', () => {
      const mixed = step(ops().map((t, i) => (i === 0 ? t.to('f32') : t))).A;
      const rounded = step(ops().map((t) => t.to('f32'))).A;
      expect(Array.from(mixed.toFloat64())).toEqual(Array.from(rounded.toFloat64()));
    });
  });

  test('full and efficient are different updates', () => {
    const f = run('full', 4), e = run('efficient', 4);
    f.steps(); e.steps();
    expect(relErr(f.pa.value.toFloat64(), e.pa.value.toFloat64())).toBeGreaterThan(1e-3);
  });

  test('an unknown option, a bad variant and a zero scale are LoraValueError', () => {
    const { A, B } = instance(50, s);
    const pa = param(A.t.clone()), pb = param(B.t.clone());
    expect(() => new LoraProAdamW([{ A: pa, B: pb, scale: s }], { lr: 0.01, varient: 'full' } as never)).toThrow(LoraValueError);
    expect(() => new LoraProAdamW([{ A: pa, B: pb, scale: s }], { lr: 0.01, variant: 'fast' as never })).toThrow(LoraValueError);
    expect(() => new LoraProAdamW([{ A: pa, B: pb, scale: 0 }], { lr: 0.01 })).toThrow(LoraValueError);
  });

  test('LoraProAdamW takes its own options (delta, x, variant) and names itself when it refuses one or an empty layer list', () => {
    const { A, B } = instance(50, s);
    const pa = param(A.t.clone()), pb = param(B.t.clone());
    const o = new LoraProAdamW([{ A: pa, B: pb, scale: s }], { lr: 0.01, delta: 1e-6, x: 'symmetry', variant: 'efficient' });
    expect(o.stateDict().hyper).toMatchObject({ delta: 1e-6, x: 'symmetry', variant: 'efficient' });
    expect(() => new LoraProAdamW([{ A: pa, B: pb, scale: s }], { lr: 0.01, varient: 'full' } as never)).toThrow(/^LoraProAdamW: unknown option varient \(known: /);
    const empty = new LoraValueError('LoraProAdamW: expected a non-empty list of layers ({A, B, scale})');
    expect(() => new LoraProAdamW([], { lr: 0.01 })).toThrow(empty);
    expect(() => new LoraProAdamW({} as never, { lr: 0.01 })).toThrow(empty);
  });

  test('the defaults are the documented ones (delta 1e-8, x sylvester, variant full): a state saved with them spelled out loads into a default one', () => {
    const { A, B } = instance(50, s);
    const pa = param(A.t.clone()), pb = param(B.t.clone());
    const dflt = new LoraProAdamW([{ A: pa, B: pb, scale: s }], { lr: 0.01 });
    expect(dflt.stateDict().hyper).toMatchObject({ delta: 1e-8, x: 'sylvester', variant: 'full' });
    const spelled = new LoraProAdamW([{ A: pa, B: pb, scale: s }], { lr: 0.01, delta: 1e-8, x: 'sylvester', variant: 'full' });
    expect(() => dflt.loadStateDict(spelled.stateDict())).not.toThrow();
  });

  test('LoraProAdamW checks delta, x and each layer scale when built, naming the one it refuses and the value', () => {
    const { A, B } = instance(50, s);
    const pa = param(A.t.clone()), pb = param(B.t.clone());
    const mk = (o: object, scale = s) => () => new LoraProAdamW([{ A: pa, B: pb, scale }], { lr: 0.01, ...o });
    for (const x of ['sylvester', 'zero', 'symmetry'] as const) expect(mk({ x })().stateDict().hyper).toMatchObject({ x });
    expect(mk({ x: 'half' })).toThrow(new LoraValueError("LoraProAdamW: x must be 'sylvester', 'zero' or 'symmetry', got half"));
    expect(mk({ variant: 'fast' })).toThrow(new LoraValueError("LoraProAdamW: variant must be 'full' or 'efficient', got fast"));
    expect(mk({ delta: NaN })).toThrow(new LoraValueError('LoraProAdamW delta: expected a finite number, got NaN'));
    expect(mk({}, Infinity)).toThrow(new LoraValueError('LoraProAdamW layer scale: expected a finite number, got Infinity'));
    expect(mk({}, 0)).toThrow(new LoraValueError('LoraProAdamW: a layer scale must be non-zero'));
  });
});

function transposeM(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}


describe('loraProAdjust and loraOnePrecondition: arguments and the dtype of what they return', () => {
  const A = () => randTensor([2, 5], 90).t, B = () => randTensor([4, 2], 91).t, gA = () => randTensor([2, 5], 92).t, gB = () => randTensor([4, 2], 93).t;

  test('f32 in, f32 out; f64 only when every operand is f64', () => {
    const f32 = loraProAdjust(A(), B(), gA(), gB(), 2);
    expect([f32.gA.dtype, f32.gB.dtype, f32.X.dtype]).toEqual(['f32', 'f32', 'f32']);
    const all64 = loraProAdjust(A().to('f64'), B().to('f64'), gA().to('f64'), gB().to('f64'), 2);
    expect([all64.gA.dtype, all64.gB.dtype, all64.X.dtype]).toEqual(['f64', 'f64', 'f64']);
    for (const k of [0, 1, 2, 3]) {
      const ops = [A(), B(), gA(), gB()].map((t, i) => (i === k ? t : t.to('f64')));
      const mixed = loraProAdjust(ops[0], ops[1], ops[2], ops[3], 2);
      expect([mixed.gA.dtype, mixed.gB.dtype]).toEqual(['f32', 'f32']);
      const pre = loraOnePrecondition(ops[0], ops[1], ops[2], ops[3], 0.1);
      expect([pre.pA.dtype, pre.pB.dtype]).toEqual(['f32', 'f32']);
    }
    const p64 = loraOnePrecondition(A().to('f64'), B().to('f64'), gA().to('f64'), gB().to('f64'), 0.1);
    expect([p64.pA.dtype, p64.pB.dtype]).toEqual(['f64', 'f64']);
  });

  test('a shape that does not fit A [r, in], B [out, r], gA like A, gB like B is LoraShapeError listing all four shapes', () => {
    const f = (shape: number[]) => randTensor(shape, 94).t;
    const cases: [string, Tensor[]][] = [
      ['B [out, r + 1]', [A(), f([4, 3]), gA(), gB()]],
      ['gA [r + 1, in]', [A(), B(), f([3, 5]), gB()]],
      ['gA [r, in + 1]', [A(), B(), f([2, 6]), gB()]],
      ['gB [out + 1, r]', [A(), B(), gA(), f([5, 2])]],
      ['gB [out, r + 1]', [A(), B(), gA(), f([4, 3])]],
    ];
    for (const [, [a, b, ga, gb]] of cases) {
      const shapes = [a, b, ga, gb].map((t) => `[${t.shape.join(', ')}] f32`);
      expect(() => loraProAdjust(a, b, ga, gb, 2)).toThrow(new LoraShapeError(
        `loraProAdjust: A ${shapes[0]}, B ${shapes[1]}, gA ${shapes[2]}, gB ${shapes[3]}: need A [r, in], B [out, r], gA like A, gB like B`));
    }
  });

  test('an operand that is not a matrix is LoraShapeError naming it (A, B, gA or gB)', () => {
    const ops = () => [A(), B(), gA(), gB()];
    ['A', 'B', 'gA', 'gB'].forEach((name, k) => {
      const t = ops();
      t[k] = randTensor([10], 95).t;
      expect(() => loraProAdjust(t[0], t[1], t[2], t[3], 2)).toThrow(new LoraShapeError(`loraProAdjust ${name}: expected a 2-D matrix, got [10] f32`));
    });
  });

  test('s must be finite and non-zero, delta finite, x one of the three', () => {
    expect(() => loraProAdjust(A(), B(), gA(), gB(), 0)).toThrow(new LoraValueError('loraProAdjust: scale s must be non-zero'));
    expect(() => loraProAdjust(A(), B(), gA(), gB(), NaN)).toThrow(/^loraProAdjust s: /);
    expect(() => loraProAdjust(A(), B(), gA(), gB(), 1, { delta: Infinity })).toThrow(/^loraProAdjust delta: /);
    expect(() => loraProAdjust(A(), B(), gA(), gB(), 1, { x: 'half' as never })).toThrow(new LoraValueError("loraProAdjust: x must be 'sylvester', 'zero' or 'symmetry', got half"));
  });
});

test('solveSylvester (symmetric P, Q): λᵢ + μⱼ within 1e-14·max|eig|·r of 0 is singular; just outside it is solved', () => {
  const d = (a: number, b: number) => Tensor.from(new Float64Array([a, 0, 0, b]), [2, 2]);
  const C = Tensor.from(new Float64Array([1, 2, 3, 4]), [2, 2]);
  // scale = 1e6, r = 2: the threshold is 2e-8.
  expect(() => solveSylvester(d(1e6, 1), d(-1e6 + 1e-8, 5), C)).toThrow(/^solveSylvester: P and −Q share the eigenvalue/);
  const X = solveSylvester(d(1e6, 1), d(-1e6 + 1e-7, 5), C).toFloat64();
  expect(X[0]).toBeCloseTo(1 / 1e-7, -3);
  expect(X[3]).toBeCloseTo(4 / 6, 12);
});

describe('solveSylvester with symmetric coefficients at the ends of the float64 range', () => {
  const lhs = (P: Float64Array, Q: Float64Array, X: Float64Array, k: number) => add(refMatmul(P, k, k, X, k, k), refMatmul(X, k, k, Q, k, k));

  test('entries near 1e200 (the Frobenius norm overflows to Infinity): solved to float64 rounding', () => {
    // Symmetric, diagonally dominant; X ~ 1e-200·C, so P·X + X·Q is of C's size. Tolerance: a few ulps times r.
    const k = 4, P = new Float64Array(k * k), Q = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      P[i * k + j] = i === j ? (i + 1) * 1e200 : 3e199 / (1 + i + j);
      Q[i * k + j] = i === j ? (i + 2) * 1e200 : 2e199 / (1 + i + j);
    }
    const C = randTensor([k, k], 17, 'f64');
    const X = solveSylvester(Tensor.from(P, [k, k]), Tensor.from(Q, [k, k]), C.t).toFloat64();
    expect(relErr(lhs(P, Q, X, k), C.v)).toBeLessThan(1e-14);
  });

  test('entries near 1e-162 (their squares underflow) with eigenvalue pairs ±λ, next to Q = I: solved to float64 rounding', () => {
    // P = a·[[0, J], [J, 0]], J = ones(2, 2): eigenvalues ±2a, 0, 0, whose singular vectors are not eigenvectors.
    const k = 4, a = 1.5e-162, P = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) P[i * k + j] = (i < 2) !== (j < 2) ? a : 0;
    const Q = eye(k), C = randTensor([k, k], 18, 'f64');
    const X = solveSylvester(Tensor.from(P, [k, k]), Tensor.from(Q, [k, k]), C.t).toFloat64();
    expect(relErr(lhs(P, Q, X, k), C.v)).toBeLessThan(1e-14);
  });

  test('P with pairs ±λ and Q, both with entries near 1e-162: still a well-posed equation (λᵢ + μⱼ ≥ 4e-162), solved to rounding', () => {
    // Both tiny: the norm of each underflows to 0, which once accepted a decomposition of P whose vectors mix ±λ.
    const k = 4, a = 1.5e-162, P = new Float64Array(k * k), Q = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) P[i * k + j] = (i < 2) !== (j < 2) ? a : 0;
    for (let i = 0; i < k; i++) Q[i * k + i] = (i + 7) * 1e-162;
    const C = randTensor([k, k], 18, 'f64');
    const X = solveSylvester(Tensor.from(P, [k, k]), Tensor.from(Q, [k, k]), C.t).toFloat64();
    // X ~ C / 1e-162 and the terms cancel to C's size: relative 1e-12 leaves room for that cancellation.
    expect(relErr(lhs(P, Q, X, k), C.v)).toBeLessThan(1e-12);
  });
});
