/**
 * The inits' options: each default is the documented one, and each bad value is a typed error that names the init,
 * the option and what was given (lib/init/common.ts, the config checks of loraga.ts, pissa.ts, lora-one.ts, lora.ts).
 */
import {
  LoraDTypeError, LoraShapeError, LoraValueError, Tensor, initLora, initLoraGA, initLoraOne, initPiSSA, loraOneStepSize, moduleSeed,
  resolveLoraGAConfig, svd,
} from '../lib';
import { randTensor } from './helpers/ref';

const W = randTensor([12, 10], 1).t, G = randTensor([12, 10], 2).t;
const base = { rank: 2, alpha: 4 };

describe('resolveLoraGAConfig', () => {
  test("defaults: PEFT's convention, ArB2r, stable, γ = 16, randomized SVD with oversample 2r, 4 power iterations, f32, gap tolerance 1e-3", () => {
    expect(resolveLoraGAConfig({ rank: 3, alpha: 6 })).toEqual({
      rank: 3, alpha: 6, direction: 'ArB2r', scale: 'stable', gamma: 16, convention: 'peft', rsLora: false, fanInFanOut: false,
      svd: 'randomized', seed: 0, oversample: 6, powerIters: 4, precision: 'f32', gapTolerance: 1e-3,
    });
    expect(resolveLoraGAConfig({ ...base, convention: 'official', scale: 'weightS', rsLora: true, fanInFanOut: true, gamma: 2, gapTolerance: 0.1, precision: 'f64', svd: 'exact', oversample: 0, powerIters: 0, seed: 5 }))
      .toMatchObject({ convention: 'official', scale: 'weightS', rsLora: true, fanInFanOut: true, gamma: 2, gapTolerance: 0.1, precision: 'f64', svd: 'exact', oversample: 0, powerIters: 0, seed: 5 });
  });

  test.each([
    [null, 'initLoraGA: config must be an object'],
    [[2, 4], 'initLoraGA: config must be an object'],
    [4, 'initLoraGA: config must be an object'],
    ['rank', 'initLoraGA: config must be an object'],
    [{ ...base, rank: 1.5 }, 'initLoraGA rank: expected a positive integer, got 1.5'],
    [{ ...base, rank: 0 }, 'initLoraGA rank: expected a positive integer, got 0'],
    [{ ...base, alpha: 0 }, 'initLoraGA alpha: expected a positive finite number, got 0'],
    [{ ...base, alpha: Infinity }, 'initLoraGA alpha: expected a positive finite number, got Infinity'],
    [{ ...base, alpha: '4' }, 'initLoraGA alpha: expected a positive finite number, got 4'],
    [{ ...base, gamma: 0 }, 'initLoraGA gamma: expected a positive finite number, got 0'],
    [{ ...base, seed: -1 }, 'initLoraGA seed: expected a non-negative integer, got -1'],
    [{ ...base, seed: 2 ** 53 }, `initLoraGA seed: expected a non-negative integer, got ${2 ** 53}`],
    [{ ...base, oversample: 1.5 }, 'initLoraGA oversample: expected a non-negative integer, got 1.5'],
    [{ ...base, powerIters: '4' }, 'initLoraGA powerIters: expected a non-negative integer, got 4'],
    [{ ...base, svd: 'fast' }, 'initLoraGA svd: expected one of exact, randomized, krylov, got "fast"'],
    [{ ...base, svd: 1 }, 'initLoraGA svd: expected one of exact, randomized, krylov, got 1'],
    [{ ...base, precision: 'f16' }, 'initLoraGA precision: expected one of f32, f64, got "f16"'],
    [{ ...base, gapTolerance: 0 }, 'initLoraGA gapTolerance: expected a positive finite number, got 0'],
    [{ ...base, convention: 'hf' }, 'initLoraGA convention: expected one of peft, official, got "hf"'],
    [{ ...base, direction: 'BrAr' }, 'initLoraGA direction: expected one of ArBr, A2rBr, ArB2r, random, got "BrAr"'],
    [{ ...base, scale: 'big' }, `initLoraGA scale (convention 'peft'): expected one of stable, weight_svd, gd_scale, unit, got "big"`],
    [{ ...base, convention: 'official', scale: 'big' }, `initLoraGA scale (convention 'official'): expected one of stable, weightS, gd, unit, got "big"`],
    [{ ...base, scale: 'weightS' }, "initLoraGA scale under convention 'peft': 'weightS' is the official repository's scale (A and B by mean √(σᵢ(W)/s)): use convention 'official', or PEFT's 'weight_svd' (B by σ₁(W)/S_B[0])"],
    [{ ...base, scale: 'gd' }, "initLoraGA scale under convention 'peft': 'gd' is the official repository's name: PEFT calls the same scale 'gd_scale'"],
    [{ ...base, convention: 'official', scale: 'weight_svd' }, "initLoraGA scale under convention 'official': 'weight_svd' is PEFT's scale (B by σ₁(W)/S_B[0]): use convention 'peft', or the official 'weightS'"],
    [{ ...base, convention: 'official', scale: 'gd_scale' }, "initLoraGA scale under convention 'official': 'gd_scale' is PEFT's name: the official repository calls the same scale 'gd'"],
    [{ ...base, fanInFanOut: 'yes' }, 'initLoraGA fanInFanOut: expected a boolean, got "yes"'],
  ])('%j: "%s"', (config, msg) => {
    expect(() => resolveLoraGAConfig(config as never)).toThrow(new LoraValueError(msg));
  });
});

describe('the inits refuse bad inputs naming them', () => {
  test('initLoraGA: the dtype of A and B, a rank too large for 2r directions, G of another shape, non-finite entries', () => {
    expect(() => initLoraGA(W, G, { ...base, dtype: 'int8' as never })).toThrow(new LoraDTypeError('initLoraGA dtype: unknown dtype "int8"'));
    expect(() => initLoraGA(W, G, { rank: 6, alpha: 4 })).toThrow(new LoraShapeError('initLoraGA: rank 6 needs 2·r = 12 singular directions, but a [12, 10] matrix has only 10'));
    expect(initLoraGA(W, G, { rank: 5, alpha: 4, svd: 'exact' }).A.shape).toEqual([5, 10]);
    expect(() => initLoraGA(W, Tensor.zeros([10, 12]), base)).toThrow(new LoraShapeError('initLoraGA: W [12, 10] f32 and G [10, 12] f32 must have the same [out, in] shape'));
    expect(() => initLoraGA(W, Tensor.zeros([12, 12]), { ...base, fanInFanOut: true })).toThrow(/must have the same \[in, out\] \(fanInFanOut\) shape/);
    // A G that differs from W in its rows alone (the columns agree) is refused the same way.
    expect(() => initLoraGA(W, Tensor.zeros([10, 10]), base)).toThrow(new LoraShapeError('initLoraGA: W [12, 10] f32 and G [10, 10] f32 must have the same [out, in] shape'));
    const bad = W.clone(); (bad.data as Float32Array)[0] = Infinity;
    expect(() => initLoraGA(bad, G, base)).toThrow(new LoraValueError('initLoraGA W: [12, 10] f32 contains NaN or Inf'));
    expect(initLoraGA(W, G, { ...base, dtype: 'bf16', svd: 'exact' }).B.dtype).toBe('bf16');
  });

  test('initPiSSA and initLoraOne: their own names in every message; PiSSA needs r directions, LoRA-One a non-zero G', () => {
    expect(() => initPiSSA(W, { rank: 11, alpha: 4 })).toThrow(new LoraShapeError('initPiSSA: rank 11 needs 1·r = 11 singular directions, but a [12, 10] matrix has only 10'));
    expect(initPiSSA(W, { rank: 10, alpha: 4 }).A.shape).toEqual([10, 10]);
    expect(() => initPiSSA(W, { rank: 2, alpha: -1 })).toThrow(new LoraValueError('initPiSSA alpha: expected a positive finite number, got -1'));
    expect(() => initPiSSA(W, { rank: 0, alpha: 4 })).toThrow(new LoraValueError('initPiSSA rank: expected a positive integer, got 0'));
    expect(() => initPiSSA(W, { rank: 2, alpha: 4, fanInFanOut: 'yes' as never })).toThrow(new LoraValueError('initPiSSA fanInFanOut: expected a boolean, got "yes"'));
    expect(() => initPiSSA(W, { rank: 2, alpha: 4, dtype: 'f8' as never })).toThrow(new LoraDTypeError('initPiSSA dtype: unknown dtype "f8"'));
    const nan = W.clone();
    nan.data[3] = NaN;
    expect(() => initPiSSA(nan, { rank: 2, alpha: 4 })).toThrow(new LoraValueError('initPiSSA W: [12, 10] f32 contains NaN or Inf'));
    expect(() => initPiSSA(W, { rank: 2, alpha: 4, svd: 'sketch' as never })).toThrow(/initPiSSA svd: expected one of exact, randomized/);
    expect(() => initPiSSA(W, { rank: 2, alpha: 4, oops: 1 } as never)).toThrow(/^initPiSSA: unknown option oops \(known: rank, alpha, /);
    expect(() => initLoraOne(G, null as never)).toThrow(new LoraValueError('initLoraOne: config must be an object'));
    expect(() => initLoraOne(G, { rank: 2, alpha: 4, oops: 1 } as never)).toThrow(/^initLoraOne: unknown option oops \(known: rank, alpha, /);
    expect(() => initLoraOne(G, { rank: 0, alpha: 4 })).toThrow(new LoraValueError('initLoraOne rank: expected a positive integer, got 0'));
    expect(() => initLoraOne(G, { rank: 2, alpha: 4, gamma: -2 })).toThrow(new LoraValueError('initLoraOne gamma: expected a positive finite number, got -2'));
    expect(() => initLoraOne(Tensor.zeros([12, 10]), { rank: 2, alpha: 4, svd: 'exact' })).toThrow(new LoraValueError('initLoraOne: the gradient [12, 10] f32 is zero; there is no direction to align with'));
    expect(() => initLoraOne(G, { rank: 11, alpha: 4 })).toThrow(/initLoraOne: rank 11 needs 1·r = 11 singular directions/);
  });

  test('initPiSSA\'s adapters are f64 for an f64 W and f32 otherwise (bf16 included), unless dtype says', () => {
    expect(initPiSSA(W.to('f64'), { rank: 2, alpha: 4 }).A.dtype).toBe('f64');
    expect(initPiSSA(W, { rank: 2, alpha: 4 }).B.dtype).toBe('f32');
    expect(initPiSSA(W.to('bf16'), { rank: 2, alpha: 4 }).A.dtype).toBe('f32');
    expect(initPiSSA(W.to('f64'), { rank: 2, alpha: 4, dtype: 'bf16' }).A.dtype).toBe('bf16');
  });

  test('loraOneStepSize: s/(γ·σ₁) with rsLoRA unless told otherwise, γ = 128 by default; σ₁ must be positive', () => {
    expect(loraOneStepSize({ alpha: 8, rank: 4 }, 2)).toBe((8 / 2) / (128 * 2));
    expect(loraOneStepSize({ alpha: 8, rank: 4, rsLora: false, gamma: 4 }, 2)).toBe((8 / 4) / (4 * 2));
    expect(loraOneStepSize({ alpha: 8, rank: 4, gamma: 4 }, 2, false)).toBe((8 / 2) / 4);
    expect(() => loraOneStepSize({ alpha: 8, rank: 4 }, 0)).toThrow(new LoraShapeError('loraOneStepSize: sigma1 must be positive'));
    expect(() => loraOneStepSize({ alpha: 8, rank: 4 }, NaN)).toThrow(LoraShapeError);
  });

  test('initLora names itself in config errors: not an object, an unknown option, a rank that is not a positive integer', () => {
    expect(() => initLora(12, 10, null as never)).toThrow(new LoraValueError('initLora: config must be an object'));
    expect(() => initLora(12, 10, { ...base, svd: 'exact' } as never)).toThrow(new LoraValueError('initLora: unknown option svd (known: rank, alpha, seed, rsLora, dtype)'));
    expect(() => initLora(12, 10, { rank: 0, alpha: 1 })).toThrow(new LoraValueError('initLora rank: expected a positive integer, got 0'));
    expect(() => initLora(12, 10, { rank: 1.5, alpha: 1 })).toThrow(new LoraValueError('initLora rank: expected a positive integer, got 1.5'));
  });

  test('initLora: out, in and rank positive integers, rank ≤ min(out, in); alpha, seed, dtype checked', () => {
    expect(() => initLora(0, 10, base)).toThrow(new LoraValueError('initLora out: expected a positive integer, got 0'));
    expect(() => initLora(12, 2.5, base)).toThrow(new LoraValueError('initLora in: expected a positive integer, got 2.5'));
    expect(() => initLora(12, 10, { rank: 11, alpha: 1 })).toThrow(new LoraValueError('initLora: rank 11 exceeds min(out, in) = 10'));
    expect(initLora(12, 10, { rank: 10, alpha: 1 }).A.shape).toEqual([10, 10]);
    expect(() => initLora(12, 10, { rank: 2, alpha: 0 })).toThrow(/initLora alpha/);
    expect(() => initLora(12, 10, { rank: 2, alpha: 1, seed: -3 })).toThrow(/initLora seed/);
    expect(() => initLora(12, 10, { rank: 2, alpha: 1, dtype: 'u8' as never })).toThrow(new LoraDTypeError('initLora dtype: unknown dtype "u8"'));
    const r = initLora(12, 10, { rank: 2, alpha: 3, rsLora: true, dtype: 'f64' });
    expect({ dtype: r.A.dtype, B: r.B.dtype, scaling: r.scaling, W: r.W }).toEqual({ dtype: 'f64', B: 'f64', scaling: 3 / Math.sqrt(2), W: null });
    expect(initLora(12, 10, base).scaling).toBe(2);
  });

  test('moduleSeed: a non-negative integer seed and a string name', () => {
    expect(() => moduleSeed(-1, 'm')).toThrow(new LoraValueError('moduleSeed: seed must be a non-negative integer, got -1'));
    expect(() => moduleSeed(1.5, 'm')).toThrow(LoraValueError);
    expect(() => moduleSeed(1, 3 as never)).toThrow(new LoraValueError('moduleSeed: name must be a string'));
    const s = moduleSeed(0, '');
    expect(Number.isSafeInteger(s) && s >= 0).toBe(true);
  });
});

test("a scale named like an Object.prototype member ('toString', 'constructor') is refused as an unknown scale, not with a function's source", () => {
  const W = randTensor([12, 10], 1).t, G = randTensor([12, 10], 2).t;
  for (const scale of ['toString', 'constructor', '__proto__']) {
    expect(() => initLoraGA(W, G, { rank: 2, alpha: 4, scale: scale as never })).toThrow(LoraValueError);
    expect(() => initLoraGA(W, G, { rank: 2, alpha: 4, scale: scale as never })).not.toThrow(/native code|function|\[object/);
  }
});

test("scale 'weightS' (official): every row of A and column of B has norm mean √(σᵢ(W)/s) over W's top r σ", () => {
  // A = f·V_Aᵀ and B = f·U_B with orthonormal singular vectors of G, so each row of A and column of B has norm f.
  const W = Tensor.randn([40, 30], 'f64', 'cpu', 3), G = Tensor.randn([40, 30], 'f64', 'cpu', 4);
  const r = 3, alpha = 6, s = alpha / r;
  const res = initLoraGA(W, G, { rank: r, alpha, convention: 'official', scale: 'weightS', svd: 'exact', precision: 'f64' });
  const sw = svd(W, { k: r }).S.toFloat64();
  const f = Array.from(sw).reduce((acc, x) => acc + Math.sqrt(x / s), 0) / r;
  const A = res.A.toFloat64(), B = res.B.toFloat64();
  for (let i = 0; i < r; i++) {
    let na = 0, nb = 0;
    for (let j = 0; j < 30; j++) na += A[i * 30 + j] ** 2;
    for (let j = 0; j < 40; j++) nb += B[j * r + i] ** 2;
    expect(Math.sqrt(na)).toBeCloseTo(f, 10);
    expect(Math.sqrt(nb)).toBeCloseTo(f, 10);
  }
});

test("scale 'weightS' with the default randomized SVD: W's σ from q = 4r columns (svd_lowrank's q in the official code), not r", () => {
  // On a flat spectrum q = r (no oversampling) underestimates σ₁…σᵣ by ~2 % here; q = 4r is within 3e-5 of exact.
  const W = Tensor.randn([40, 30], 'f64', 'cpu', 3), G = Tensor.randn([40, 30], 'f64', 'cpu', 4);
  const r = 3, alpha = 6, s = alpha / r;
  const f = Array.from(svd(W, { k: r }).S.toFloat64()).reduce((acc, x) => acc + Math.sqrt(x / s), 0) / r;
  const A = initLoraGA(W, G, { rank: r, alpha, convention: 'official', scale: 'weightS', precision: 'f64' }).A.toFloat64();
  let na = 0;
  for (let j = 0; j < 30; j++) na += A[j] ** 2;
  expect(Math.abs(Math.sqrt(na) - f) / f).toBeLessThan(1e-3);
});

test("scale 'weight_svd' (PEFT) with S_B[0] = 0 (a zero G) leaves B unscaled, as PEFT does: B = 0 and W' = W, nothing infinite", () => {
  const W = Tensor.randn([12, 10], 'f64', 'cpu', 5);
  const res = initLoraGA(W, Tensor.zeros([12, 10], 'f64'), { rank: 2, alpha: 4, scale: 'weight_svd', svd: 'exact', precision: 'f64' });
  expect(res.B.toFloat64().every((v) => v === 0)).toBe(true);
  expect(Array.from(res.W!.toFloat64())).toEqual(Array.from(W.toFloat64()));
});
