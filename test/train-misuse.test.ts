// The training API's answers to misuse and its less-travelled paths, which a third, untouched sample of Stryker
// mutants showed untested: option names and messages (Linear, LoraLinear.fromInit, optimizer groups,
// LrSchedule.loadStateDict), Linear's forward without a saved activation, needDx: false under dropout, solveSylvester's shape checks and its
// non-symmetric rank limit at the boundary, and a checkpoint saved over an existing one.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  AdamW, Linear, LoraDisposedError, LoraLinear, LoraShapeError, LoraValueError, LrSchedule, Tensor, exportPeftAdapter, loadCheckpoint, param,
  saveCheckpoint, solveSylvester,
} from '../lib';
import { SYLVESTER_MAX_RANK } from '../lib/train/sylvester';
import { randTensor, refMatmul, relErr } from './helpers/ref';
import { add } from './helpers/linalg';

describe('Linear.forward', () => {
  const W = Tensor.from(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);

  test('an unknown option, a disposed x and a mismatched last dimension: typed errors with their own messages', () => {
    const lin = new Linear(W.clone());
    const x = Tensor.from(new Float32Array(6), [2, 3]);
    expect(() => lin.forward(x, { grads: false } as never)).toThrow('Linear.forward: unknown option grads (known: grad)');
    const bad = Tensor.from(new Float32Array(4), [2, 2]);
    expect(() => lin.forward(bad)).toThrow(LoraShapeError);
    expect(() => lin.forward(bad)).toThrow('Linear.forward: x [2, 2] f32 must be [..., 3] for W [2, 3] f32');
    const gone = Tensor.from(new Float32Array(6), [2, 3]);
    gone.dispose();
    expect(() => lin.forward(gone)).toThrow(LoraDisposedError);
    expect(() => lin.forward(gone)).toThrow(/^Linear\.forward x: tensor .* was disposed$/);
  });

  test('forward with { grad: false } saves nothing: a backward after it has no activation to use', () => {
    const lin = new Linear(W.clone());
    const x = Tensor.from(new Float32Array([1, 0, 0, 0, 1, 0]), [2, 3]);
    lin.forward(x, { grad: false });
    expect(() => lin.backward(Tensor.from(new Float32Array(4), [2, 2]))).toThrow(new LoraValueError('Linear.backward: call forward() first'));
    lin.forward(x);
    expect(lin.backward(Tensor.from(new Float32Array([1, 0, 0, 1]), [2, 2])).shape).toEqual([2, 3]);
  });
});

describe('Linear.backward', () => {
  // W [2, 3], x [1, 3]: weight.grad = dYᵀ·x exactly (small integers).
  const W = () => Tensor.from(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  const x1 = Tensor.from(new Float64Array([1, 0, 2]), [1, 3]), x2 = Tensor.from(new Float64Array([0, 3, 1]), [1, 3]);
  const dY = Tensor.from(new Float64Array([1, -2]), [1, 2]);

  test('with two forwards open, { output } says which one dY belongs to: weight.grad = dYᵀ·x of that forward', () => {
    const lin = new Linear(W());
    const y1 = lin.forward(x1), y2 = lin.forward(x2);
    lin.backward(dY, { output: y2, needDx: false });
    expect(Array.from(lin.weight.grad!.toFloat64())).toEqual([0, 3, 1, 0, -6, -2]);
    lin.backward(dY, { output: y1, needDx: false });
    expect(Array.from(lin.weight.grad!.toFloat64())).toEqual([1, 0, 2, -2, 0, -4]);
  });

  test('an unknown option and a disposed dY: typed errors naming Linear.backward', () => {
    const lin = new Linear(W());
    lin.forward(x1);
    expect(() => lin.backward(dY, { needDX: false } as never)).toThrow(new LoraValueError('Linear.backward: unknown option needDX (known: needDx, accumulate, output)'));
    const gone = dY.clone();
    gone.dispose();
    expect(() => lin.backward(gone)).toThrow(LoraDisposedError);
    expect(() => lin.backward(gone)).toThrow(/^Linear\.backward dY: tensor .* was disposed$/);
  });
});

describe('LoraLinear.fromInit', () => {
  const W = Tensor.from(new Float32Array(12).fill(0.5), [3, 4]);
  const A = Tensor.from(new Float32Array(8).fill(0.1), [2, 4]), B = Tensor.from(new Float32Array(6).fill(0.2), [3, 2]);

  test.each(['scale', 'alpha', 'rsLora'])('%s is the init’s (its scaling), so passing it is an unknown option', (key) => {
    expect(() => LoraLinear.fromInit(W, { A, B, scaling: 2 }, { [key]: 1 } as never)).toThrow(LoraValueError);
    expect(() => LoraLinear.fromInit(W, { A, B, scaling: 2 }, { [key]: 1 } as never))
      .toThrow(`LoraLinear.fromInit: unknown option ${key} (known: dropout, seed, name, bias, trainBias)`);
  });

  test('only an init that offset W (returned W′) keeps the initial A, B that export converts against', () => {
    expect(LoraLinear.fromInit(W, { A, B, scaling: 2 }).initial).toBeNull();
    expect(LoraLinear.fromInit(W, { A, B, scaling: 2, W: null }).initial).toBeNull();
    const withW = LoraLinear.fromInit(W, { A, B, scaling: 2, W: W.clone() });
    expect(withW.initial).not.toBeNull();
    expect(Array.from(withW.initial!.A.toFloat64())).toEqual(Array.from(A.toFloat64()));
  });
});

describe('LoraLinear.backward with dropout', () => {
  test('needDx: false returns null on the dropout path too, with the same dA, dB as with dX', () => {
    const mk = () => new LoraLinear(randTensor([6, 4], 85).t, randTensor([2, 4], 86).t, randTensor([6, 2], 87).t, { alpha: 2, dropout: 0.5, seed: 3 });
    const x = randTensor([3, 4], 88).t, dY = randTensor([3, 6], 89).t;
    const a = mk(), b = mk();
    a.forward(x); b.forward(x);
    expect(a.backward(dY)!.shape).toEqual([3, 4]);
    expect(b.backward(dY, { needDx: false })).toBeNull();
    expect(Array.from(b.A.grad!.data)).toEqual(Array.from(a.A.grad!.data));
    expect(Array.from(b.B.grad!.data)).toEqual(Array.from(a.B.grad!.data));
  });
});

describe('optimizer groups and schedule state', () => {
  test('an unknown key in a param group names the group and the known keys', () => {
    const p = param(Tensor.from(new Float32Array(2), [2]));
    expect(() => new AdamW([{ params: [p], lr: 0.1, weight_decay: 0.1 } as never], { lr: 0.1 }))
      .toThrow('AdamW group 0: unknown option weight_decay (did you mean weightDecay?) (known: params, lr, weightDecay)');
  });

  test.each([null, undefined, 5, 'state'])('LrSchedule.loadStateDict(%p) is a LoraValueError, not a TypeError', (s) => {
    const opt = new AdamW([param(Tensor.from(new Float32Array(2), [2]))], { lr: 0.1 });
    const sched = new LrSchedule(opt, { kind: 'linear', warmupSteps: 1, totalSteps: 4 });
    expect(() => sched.loadStateDict(s as never)).toThrow(LoraValueError);
    expect(() => sched.loadStateDict(s as never)).toThrow('LrSchedule.loadStateDict: expected an LrScheduleState');
  });
});

describe('solveSylvester', () => {
  const I3 = () => Tensor.from(new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]), [3, 3]);
  test.each([
    ['P not 2-D', [9], [3, 3], [3, 3]],
    ['Q not 2-D', [3, 3], [9], [3, 3]],
    ['C not 2-D', [3, 3], [3, 3], [9]],
    ['P not square', [3, 2], [3, 3], [3, 3]],
    ['Q with other rows', [3, 3], [2, 3], [3, 3]],
    ['Q with other columns', [3, 3], [3, 2], [3, 3]],
    ['C with other rows', [3, 3], [3, 3], [2, 3]],
    ['C with other columns', [3, 3], [3, 3], [3, 2]],
    // 3-D operands whose first two dimensions are r×r: only the rank check can refuse them.
    ['P 3-D', [3, 3, 1], [3, 3], [3, 3]],
    ['Q 3-D', [3, 3], [3, 3, 1], [3, 3]],
    ['C 3-D', [3, 3], [3, 3], [3, 3, 1]],
  ])('%s: LoraShapeError naming all three shapes', (_what, ps, qs, cs) => {
    const t = (s: number[]) => Tensor.zeros(s, 'f64').reshape(s);
    const [P, Q, C] = [t(ps), t(qs), t(cs)];
    expect(() => solveSylvester(P, Q, C)).toThrow(LoraShapeError);
    expect(() => solveSylvester(P, Q, C)).toThrow(`solveSylvester: P [${ps.join(', ')}] f64, Q [${qs.join(', ')}] f64, C [${cs.join(', ')}] f64 must all be r×r`);
    expect(solveSylvester(I3(), I3(), I3()).shape).toEqual([3, 3]); // the same call with r×r operands is fine
  });

  test('X is f32 for an f32 C and f64 for an f64 C, whatever the dtypes of P and Q', () => {
    // Diagonal P and Q: Xᵢⱼ = Cᵢⱼ / (Pᵢᵢ + Qⱼⱼ).
    const d = (a: number, b: number, dt: 'f32' | 'f64') => Tensor.fromFloat64(new Float64Array([a, 0, 0, b]), [2, 2], dt);
    const c = new Float64Array([3, 1, 2, 5]), want = [3 / 3, 1 / 5, 2 / 5, 5 / 7];
    for (const pq of ['f32', 'f64'] as const) {
      const X32 = solveSylvester(d(2, 4, pq), d(1, 3, pq), Tensor.fromFloat64(c, [2, 2], 'f32'));
      expect(X32.dtype).toBe('f32');
      expect(relErr(X32.toFloat64(), want)).toBeLessThan(1e-7);
      const X64 = solveSylvester(d(2, 4, pq), d(1, 3, pq), Tensor.fromFloat64(c, [2, 2], 'f64'));
      expect(X64.dtype).toBe('f64');
      expect(relErr(X64.toFloat64(), want)).toBeLessThan(1e-15);
    }
  });

  test(`non-symmetric P: r = ${SYLVESTER_MAX_RANK} is still solved (vectorised form); r = ${SYLVESTER_MAX_RANK + 1} is refused with the size it would need`, () => {
    const r = SYLVESTER_MAX_RANK;
    // P = N + r·I (non-symmetric, eigenvalues near r), Q = I: λ + μ far from 0.
    const P = randTensor([r, r], 31, 'f64').v.map((v, i) => v + (i % (r + 1) === 0 ? r : 0)), Q = new Float64Array(r * r).map((_, i) => (i % (r + 1) === 0 ? 1 : 0));
    const C = randTensor([r, r], 32, 'f64');
    const X = solveSylvester(Tensor.from(P, [r, r]), Tensor.from(Q, [r, r]), C.t).toFloat64();
    expect(relErr(add(refMatmul(P, r, r, X, r, r), refMatmul(X, r, r, Q, r, r)), C.v)).toBeLessThan(1e-11);
    const n = r + 1, N = randTensor([n, n], 33, 'f64').t, In = Tensor.from(new Float64Array(n * n).map((_, i) => (i % (n + 1) === 0 ? 1 : 0)), [n, n]);
    expect(() => solveSylvester(N, In, Tensor.zeros([n, n], 'f64'))).toThrow(
      `solveSylvester: P or Q is not symmetric and rank ${n} > ${r} would need a ${n * n}² system (symmetric P and Q have no limit)`);
  });
});

test('exportPeftAdapter: an unknown option is named, with the known ones', async () => {
  const layer = new LoraLinear(Tensor.zeros([3, 4], 'f32'), Tensor.zeros([2, 4], 'f32'), Tensor.zeros([3, 2], 'f32'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-export-opt-'));
  try {
    await expect(exportPeftAdapter(path.join(dir, 'a'), [{ name: 'q', layer }], { rs_lora: true } as never))
      .rejects.toThrow('exportPeftAdapter: unknown option rs_lora (did you mean rsLora?) (known: rsLora, dtype, baseModelName, bias, taskType, fanInFanOut)');
    expect(fs.readdirSync(dir)).toEqual([]); // refused before anything was written
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('exportPeftAdapter: layers it cannot export are refused before anything is written', () => {
  const layer = (trainBias = false) =>
    new LoraLinear(Tensor.zeros([3, 4], 'f32'), Tensor.zeros([2, 4], 'f32'), Tensor.zeros([3, 2], 'f32'), trainBias ? { bias: Tensor.zeros([3], 'f32'), trainBias } : {});
  let dir = '';
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-export-misuse-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['an entry without a name', [{ layer: layer() }]],
    ['an entry that is null', [{ name: 'q', layer: layer() }, null]],
  ])('%s: every layer needs a module name', async (_what, layers) => {
    await expect(exportPeftAdapter(path.join(dir, 'a'), layers as never)).rejects.toThrow(new LoraValueError('exportPeftAdapter: every layer needs a module name'));
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test("bias 'none' with layers that trained their bias names each of them", async () => {
    const layers = [{ name: 'q', layer: layer(true) }, { name: 'k', layer: layer() }, { name: 'v', layer: layer(true) }];
    await expect(exportPeftAdapter(path.join(dir, 'a'), layers, { bias: 'none' }))
      .rejects.toThrow(new LoraValueError("exportPeftAdapter: q, v trained their bias; bias 'none' would drop it (use 'all')"));
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

test('loadCheckpoint: a state without an optimizer is refused, naming loadCheckpoint', async () => {
  await expect(loadCheckpoint(os.tmpdir(), {} as never)).rejects.toThrow(new LoraValueError('loadCheckpoint: state.optimizer must be an Optimizer'));
});

describe('saveCheckpoint over an existing checkpoint', () => {
  test('replaces it whole and leaves no staging (.tmp-*) or previous (.old-*) directory behind', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-ckpt-over-'));
    try {
      const p = param(Tensor.from(new Float32Array([1, 2]), [2], { writable: true }));
      const opt = new AdamW([p], { lr: 0.1 });
      const step = () => { p.grad = Tensor.from(new Float32Array([1, -1]), [2]); opt.step(); };
      step();
      await saveCheckpoint(path.join(root, 'ck'), { optimizer: opt });
      step();
      step();
      await saveCheckpoint(path.join(root, 'ck'), { optimizer: opt });
      expect(fs.readdirSync(root)).toEqual(['ck']);
      const q = param(Tensor.from(new Float32Array([0, 0]), [2], { writable: true }));
      const info = await loadCheckpoint(path.join(root, 'ck'), { optimizer: new AdamW([q], { lr: 0.1 }) });
      expect(info.step).toBe(3);
      expect(Array.from(q.value.toFloat64())).toEqual(Array.from(p.value.toFloat64()));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
