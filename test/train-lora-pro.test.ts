import { LoraProAdamW, Tensor, loraProAdjust, param, solveSylvester } from '../lib';
import { randTensor, refMatmul, relErr } from './helpers/ref';
import { add, eye, frob, refSolve, scale } from './helpers/linalg';

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

function transposeM(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

/** X with P·X + X·Q = C by the naive Kronecker system (the reference for loraProAdjust's X). */
function refSylvester(P: Float64Array, Q: Float64Array, C: Float64Array, k: number): Float64Array {
  const K = new Float64Array(k ** 4);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let l = 0; l < k; l++) {
    K[(i * k + j) * k * k + l * k + j] += P[i * k + l];
    K[(i * k + j) * k * k + i * k + l] += Q[l * k + j];
  }
  return refSolve(K, C, k * k, 1);
}
