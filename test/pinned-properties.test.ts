/**
 * Properties that earlier bugs slipped past (issue "tests that catch the next bug", item 4): each test is named for
 * the property it pins and compares with an independent statement of it (PEFT's source, a float64 reference, the
 * IEEE formats decoded in JS), never with the code under test.
 */
import { Tensor, loraBackward, loraGAIndices, loraProAdjust, matmul } from '../lib';
import { dropoutMask } from '../lib/train/host';
import { randTensor, refMatmul, relErr, transpose } from './helpers/ref';
import { add, eye, refSolve } from './helpers/linalg';

/** IEEE binary16 decoded in JS (independent of the native conversion). */
function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
/** bfloat16: the upper half of an f32. */
function bf16(h: number): number {
  return new Float32Array(new Uint32Array([h << 16]).buffer)[0];
}

describe('loraGAIndices gives PEFT\'s index sets (peft/tuners/lora/layer.py, LoRA-GA init) for every direction', () => {
  test.each([
    ['ArBr', { a: [1, 3, 5, 7], b: [0, 2, 4, 6] }],  // A: Vh[1:2r:2], B: U[:, 0:2r:2]
    ['A2rBr', { a: [4, 5, 6, 7], b: [0, 1, 2, 3] }],  // A: Vh[r:2r], B: U[:, :r]
    ['ArB2r', { a: [0, 1, 2, 3], b: [4, 5, 6, 7] }],  // A: Vh[:r], B: U[:, r:2r]
  ] as const)('%s, r = 4', (direction, want) => {
    expect(loraGAIndices(direction, 4, 'peft', 0)).toEqual(want);
  });
  test('random under peft: A and B take the same r distinct indices of [0, 2r) (indices = randperm(2r)[:r])', () => {
    for (const seed of [0, 1, 2, 3]) {
      const { a, b } = loraGAIndices('random', 5, 'peft', seed);
      expect(b).toEqual(a);
      expect(new Set(a).size).toBe(5);
      expect(a.every((i) => Number.isInteger(i) && i >= 0 && i < 10)).toBe(true);
    }
  });
});

describe('isFinite scans every element (the host scan goes by blocks of 8192)', () => {
  // Lengths around the block size, and one non-finite value placed at a block's first and last element, in the
  // tail, and at either end; the finite extremes (largest, smallest subnormal, −0) are finite.
  const B = 8192, n = 2 * B + 5;
  const places = [0, 1, B - 1, B, B + 1, 2 * B - 1, 2 * B, n - 1];
  const extremes = { f32: [3.4028234663852886e38, -1.401298464324817e-45, -0], f64: [Number.MAX_VALUE, -Number.MIN_VALUE, -0] };
  test.each(['f32', 'f64'] as const)('%s: NaN, +Inf or −Inf at any of the boundary places is found; finite extremes are finite', (dt) => {
    const Arr = dt === 'f32' ? Float32Array : Float64Array;
    const base = new Arr(n).map((_, i) => extremes[dt][i % 3]);
    expect(Tensor.from(base, [n]).isFinite()).toBe(true);
    const missed: string[] = [];
    for (const bad of [NaN, Infinity, -Infinity])
      for (const at of places) {
        const d = base.slice();
        d[at] = bad;
        if (Tensor.from(d, [n]).isFinite()) missed.push(`${bad}@${at}`);
      }
    expect(missed).toEqual([]);
    for (const len of [B - 1, B, B + 1]) {
      const d = new Arr(len).fill(1);
      d[len - 1] = NaN;
      expect([len, Tensor.from(d, [len]).isFinite()]).toEqual([len, false]);
    }
  });
});

describe('16-bit formats', () => {
  test('bf16 and f16 isFinite agree with Number.isFinite of the decoded value over all 65,536 bit patterns', () => {
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
    for (const [dt, decode] of [['bf16', bf16], ['f16', f16]] as const) {
      const wrong: number[] = [];
      for (let i = 0; i < 65536; i += 1) {
        const one = Tensor.from(bits.subarray(i, i + 1), [1], { dtype: dt });
        if (one.isFinite() !== Number.isFinite(decode(i))) wrong.push(i);
      }
      expect([dt, wrong.slice(0, 5)]).toEqual([dt, []]);
    }
  });

  test.each([['f16', f16, 0x7bff], ['bf16', bf16, 0x7f7f]] as const)(
    'f32 → %s rounds to nearest, ties to even, at every midpoint between neighbours, subnormals included', (dt, decode, maxFinite) => {
      // Midpoints of neighbouring 16-bit values need one more significand bit than the format: exact in f32.
      const mids: number[] = [], lower: number[] = [];
      for (let h = 0; h < maxFinite; h++) {
        mids.push((decode(h) + decode(h + 1)) / 2, -(decode(h) + decode(h + 1)) / 2);
        lower.push(h, h | 0x8000);
      }
      const got = Tensor.from(Float32Array.from(mids), [mids.length]).to(dt).data as Uint16Array;
      const wrong: number[] = [];
      for (let i = 0; i < mids.length; i++) {
        const even = lower[i] & 1 ? lower[i] + 1 : lower[i];  // the neighbour with an even last bit
        if (got[i] !== even) wrong.push(i);
      }
      expect(wrong.slice(0, 5)).toEqual([]);
    });
});

describe('matmul into a 16-bit out with beta ≠ 0 keeps C (merge() into a bf16 W)', () => {
  test.each(['bf16', 'f16'] as const)('%s out: alpha·A·B + beta·C, against float64 from the stored values, one rounding', (dt) => {
    const m = 9, k = 7, n = 11;
    const A = randTensor([m, k], 1, 'f32'), B = randTensor([k, n], 2, 'f32'), C = randTensor([m, n], 3, dt, 4);
    const out = C.t.clone();
    matmul(A.t, B.t, { out, alpha: 0.5, beta: 1 });
    const ab = refMatmul(A.v, m, k, B.v, k, n);
    const want = ab.map((v, i) => 0.5 * v + C.v[i]);
    expect(relErr(out.toFloat64(), want)).toBeLessThan(dt === 'bf16' ? 4e-3 : 5e-4);  // one rounding of the sum
    // and C really mattered: without it the result would be far off
    expect(relErr(out.toFloat64(), ab.map((v) => 0.5 * v))).toBeGreaterThan(0.5);
  });
});

describe('loraBackward with bf16 dY and x matches float64 from the stored values (fp32 accumulation, no bf16 intermediate)', () => {
  test('dA, dB and dX within f32 accumulation error', () => {
    const T = 37, inF = 29, out = 23, r = 5, s = 2;
    const x = randTensor([T, inF], 11, 'bf16'), dY = randTensor([T, out], 12, 'bf16');
    const W = randTensor([out, inF], 13, 'f32'), A = randTensor([r, inF], 14, 'f32'), B = randTensor([out, r], 15, 'f32');
    const g = loraBackward(dY.t, x.t, W.t, A.t, B.t, s);
    const dYB = refMatmul(dY.v, T, out, B.v, out, r);  // [T, r]
    const dA = refMatmul(dYB, T, r, x.v, T, inF, true).map((v) => s * v);
    const h = refMatmul(x.v, T, inF, A.v, r, inF, false, true);
    const dB = refMatmul(dY.v, T, out, h, T, r, true).map((v) => s * v);
    const dX = refMatmul(dY.v, T, out, W.v, out, inF).map((v, i) => v + s * refMatmul(dYB, T, r, A.v, r, inF)[i]);
    expect(relErr(g.dA.toFloat64(), dA)).toBeLessThan(1e-5);  // a bf16 intermediate gives ~1e-3
    expect(relErr(g.dB.toFloat64(), dB)).toBeLessThan(1e-5);
    expect(relErr(g.dX!.toFloat64(), dX)).toBeLessThan(1e-5);
  });
});

describe('dropout masks', () => {
  test('the draws are Mulberry32\'s for the seed (an independent transcription of the published generator)', () => {
    // Mulberry32 (Tommy Ettinger): a += 0x6D2B79F5; t = (a ^ a >>> 15) * (a | 1); t ^= t + (t ^ t >>> 7) * (t | 61);
    // u = (t ^ t >>> 14) / 2^32, all in 32-bit unsigned arithmetic (BigInt here, not Math.imul).
    const M = 0xffffffffn;
    let a = 7n;
    const p = 0.3, keep = Math.fround(1 / (1 - p)), want: number[] = [];
    for (let i = 0; i < 1000; i++) {
      a = (a + 0x6d2b79f5n) & M;
      let t = ((a ^ (a >> 15n)) * (a | 1n)) & M;
      t = (t ^ ((t + (((t ^ (t >> 7n)) * (t | 61n)) & M)) & M)) & M;
      const u = Number((t ^ (t >> 14n)) & M) / 4294967296;
      want.push(u < p ? 0 : keep);
    }
    expect(Array.from(dropoutMask(1000, p, 7))).toEqual(want);
  });


  test('every entry is 0 or 1/(1 − p), and about a fraction p are 0', () => {
    for (const p of [0.05, 0.1, 0.5, 0.9]) {
      const n = 200_000, m = dropoutMask(n, p, 123);
      const keep = Math.fround(1 / (1 - p));
      let zeros = 0, other = 0;
      for (const v of m) {
        if (v === 0) zeros++;
        else if (v !== keep) other++;
      }
      expect([p, other]).toEqual([p, 0]);
      expect(Math.abs(zeros / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));  // 5 standard errors
    }
  });
});

/** Small dense float64 helpers (row-major), independent of the library: test/helpers. */
const mm = (a: Float64Array, ar: number, ac: number, b: Float64Array, bc: number) => refMatmul(a, ar, ac, b, ac, bc);
const inv = (a: Float64Array, n: number) => refSolve(a, eye(n), n, n);
const addEye = (a: Float64Array, n: number, d: number) => add(a, eye(n, d));

describe('loraProAdjust: X for each choice equals its closed form (not only the equivalent gradient, which any X gives)', () => {
  const r = 3, inF = 7, out = 6, s = 2, delta = 1e-8;
  const A = randTensor([r, inF], 31, 'f64'), B = randTensor([out, r], 32, 'f64');
  const gA = randTensor([r, inF], 33, 'f64'), gB = randTensor([out, r], 34, 'f64');
  const P = addEye(mm(transpose(B.v, out, r), r, out, B.v, r), r, delta);       // BᵀB + δI
  const Q = addEye(mm(A.v, r, inF, transpose(A.v, r, inF), r), r, delta);       // AAᵀ + δI
  const X = (x: 'zero' | 'symmetry' | 'sylvester') => loraProAdjust(A.t, B.t, gA.t, gB.t, s, { x, delta }).X.toFloat64();
  test('zero: X = 0', () => {
    expect(Array.from(X('zero'))).toEqual(Array(r * r).fill(0));
  });
  test('symmetry: X = −½·(1/s²)·(BᵀB)⁻¹·Bᵀ·gB·AAᵀ', () => {
    const want = mm(mm(mm(inv(P, r), r, r, transpose(B.v, out, r), out), r, out, gB.v, r), r, r, Q, r).map((v) => (-0.5 / (s * s)) * v);
    expect(relErr(X('symmetry'), want)).toBeLessThan(1e-10);
  });
  test('sylvester: BᵀB·X + X·AAᵀ = −(1/s²)·(BᵀB)⁻¹·gA·Aᵀ', () => {
    const x = X('sylvester');
    const lhs = mm(P, r, r, x, r).map((v, i) => v + mm(x, r, r, Q, r)[i]);
    const rhs = mm(mm(inv(P, r), r, r, gA.v, inF), r, inF, transpose(A.v, r, inF), r).map((v) => -v / (s * s));
    expect(relErr(lhs, rhs)).toBeLessThan(1e-10);
    expect(relErr(x, X('symmetry'))).toBeGreaterThan(1e-3);  // the choices really differ
  });
});

describe('dropout masks: the drop threshold', () => {
  test('an entry is dropped exactly when its draw is below p: a draw equal to p is kept (so a fraction p of the 2^32 draws drop, not p + 2^-32)', () => {
    // The first draws of Mulberry32 for seed 7 (transcribed as above, in BigInt), each used as p itself.
    const M = 0xffffffffn;
    let a = 7n;
    const draws: number[] = [];
    for (let i = 0; i < 4; i++) {
      a = (a + 0x6d2b79f5n) & M;
      let t = ((a ^ (a >> 15n)) * (a | 1n)) & M;
      t = (t ^ ((t + (((t ^ (t >> 7n)) * (t | 61n)) & M)) & M)) & M;
      draws.push(Number((t ^ (t >> 14n)) & M) / 4294967296);
    }
    for (const [i, p] of draws.entries()) {
      const m = dropoutMask(4, p, 7), keep = Math.fround(1 / (1 - p));
      expect([i, m[i]]).toEqual([i, keep]);
      // and every other entry as its own draw says
      for (let j = 0; j < 4; j++) expect([j, m[j]]).toEqual([j, draws[j] < p ? 0 : keep]);
    }
  });
});
