/**
 * Fuzz of the N-API boundary (issue 13): randomized calls of every function the raw binding exports, and of the
 * public ops, with wrong dtypes, shapes (zero, negative, huge, non-integer, BigInt, int64-wrapping), odd-length,
 * detached, resizable, shrunk and shared buffers, hostile getters and proxies, NaN/Inf/extreme data, disposed
 * tensors, overlapping outputs, read-only outputs, bad numbers, wrong arity, and async ops whose memory is
 * scribbled on, transferred or disposed while they run. The property: every call succeeds or throws (rejects) a
 * LoraError subclass — or passes our own getter's exception through unchanged; a call that must fail never
 * succeeds; a success with clean arguments matches a float64 JS reference; a rejection leaves its arguments'
 * bytes as they were. The driver is test/helpers/fuzz-binding.js; each batch runs in a child process, so a crash
 * fails that test instead of the run. Seeded: a failure reproduces with the same seed (FUZZ_TRACE=1 in the child
 * prints every call before it is made).
 */
import * as path from 'path';
import { describeChild, distBuilt, runChild } from './helpers/child';
import { native } from '../lib/native';
import { Tensor, loraBackward, loraForward } from '../lib';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS shared with the child processes
const fuzz = require('./helpers/fuzz-binding.js') as { RAW_OPS: string[]; LIB_OPS: string[]; MODES: string[] };
const DRIVER = path.join(__dirname, 'helpers', 'fuzz-binding.js');

interface Stats {
  calls: number;
  checked: number;
  byMode: Record<string, Record<string, number>>;
  byOp: Record<string, Record<string, number>>;
  byOutcome: Record<string, number>;
  failures: string[];
}

/** One batch in a child process; its stats come back as JSON on the last line of stdout. */
function batch(opts: { seed: number; calls: number; ops?: string[]; lib?: boolean; init?: number }): Stats {
  const o = { ...opts, ops: opts.ops ?? (opts.lib ? fuzz.LIB_OPS : fuzz.RAW_OPS) };
  const body = `require(${JSON.stringify(DRIVER)}).run(L, N, Object.assign(${JSON.stringify(o)}, { dist: DIST }))
    .then((s) => console.log(JSON.stringify(s)), (e) => { console.error('driver failed', e); process.exit(3); });`;
  const r = runChild(body, 120_000);
  if (r.status !== 0) throw new Error(`fuzz child (seed ${opts.seed}) did not finish cleanly: ${describeChild(r)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Stats;
}

const all: Stats[] = [];
const BAD = ['UNTYPED', 'WRONG', 'ACCEPTED', 'HUNG', 'resolved', 'threw'];

function expectClean(s: Stats): void {
  expect(s.failures).toEqual([]);
  for (const b of BAD) expect([b, s.byOutcome[b] ?? 0]).toEqual([b, 0]);
}

const maybe = distBuilt ? describe : describe.skip;
if (!distBuilt) console.warn('fuzz-binding tests skipped: dist/ is not built (npm run build:ts)');

maybe('fuzz of the N-API boundary (each batch in a child process)', () => {
  test('every function the addon exports has a fuzz spec (a new export cannot go unfuzzed)', () => {
    const exported = Object.keys(native).filter((k) => typeof native[k] === 'function').sort();
    expect(exported).toEqual([...fuzz.RAW_OPS, 'init'].sort());
  });

  // 6 × 3,000 raw calls: every exported op about 900 times, spread over every mode. Seeds 616 and 705 came from a
  // longer campaign (seeds 500–1100): 616 found the block Krylov SVD keeping a noise block (σ above σ₁; now pinned in
  // test/block-krylov-svd.test.ts), 705 a claim the reference could not make (an f32 intermediate beyond range).
  for (const seed of [1, 2, 3, 4, 616, 705]) {
    test(`raw binding, seed ${seed}: 3,000 calls succeed (checked against a reference) or throw a LoraError`, () => {
      const s = batch({ seed, calls: 3000 });
      all.push(s);
      expectClean(s);
      expect(s.calls).toBe(3000);
    });
  }

  test('public ops, seed 11: 4,000 calls with random tensors and option objects succeed or throw a LoraError', () => {
    const s = batch({ seed: 11, calls: 4000, lib: true });
    all.push(s);
    expectClean(s);
    expect(Object.keys(s.byOp).sort()).toEqual([...fuzz.LIB_OPS].sort());
  });

  // Seeds 506 and 748 found option checks whose messages threw (JSON.stringify of 1n, String() of an object without a
  // prototype): TypeErrors instead of LoraValueErrors (pinned in test/error-values.test.ts).
  for (const seed of [506, 748]) {
    test(`public ops, seed ${seed}: 3,000 calls succeed or throw a LoraError`, () => {
      const s = batch({ seed, calls: 3000, lib: true });
      all.push(s);
      expectClean(s);
    });
  }

  test('init (the error classes\' registration) with junk, throwing getters, proxies and classes that cannot be constructed: never a crash, async ops still settle', () => {
    const s = batch({ seed: 21, calls: 0, init: 200 });
    all.push(s);
    expectClean(s);
    expect(s.byMode['async settles with odd classes']).toEqual({ rejected: 2 });
  });

  test('the fuzz is not vacuous: every op was both accepted and refused, every mode ran, ≥ 10,000 raw calls', () => {
    const raw = all.slice(0, 6);
    if (raw.length < 6) return;  // a batch above failed: that failure is the report
    const byOp: Record<string, Record<string, number>> = {};
    const byMode: Record<string, Record<string, number>> = {};
    for (const s of all)
      for (const [k, src] of [[byOp, s.byOp], [byMode, s.byMode]] as const)
        for (const [name, outs] of Object.entries(src))
          for (const [o, n] of Object.entries(outs)) (k[name] ??= {})[o] = (k[name][o] ?? 0) + n;
    const rawCalls = raw.reduce((n, s) => n + s.calls, 0);
    expect(rawCalls).toBeGreaterThanOrEqual(10_000);
    // Ops with a reference had successes checked against it; ops that take tensors were also refused, typed.
    const withRef = ['matmul', 'gradAccumulate', 'sketchUpdate', 'svd', 'svdBatched', 'orthonormalize', 'loraForward', 'loraBackward', 'adamwStep', 'sgdStep', 'solve', 'copy', 'allFinite', 'fillGaussian'];
    for (const op of withRef) {
      expect([op, (byOp[op]['ok (checked)'] ?? 0) > 20]).toEqual([op, true]);
      expect([op, Object.keys(byOp[op]).some((o) => o.startsWith('Lora'))]).toEqual([op, true]);
    }
    for (const mode of fuzz.MODES) expect([mode, Object.values(byMode[mode] ?? {}).reduce((a, b) => a + b, 0) > 100]).toEqual([mode, true]);
    const table = (rows: Record<string, Record<string, number>>) =>
      Object.entries(rows).map(([k, v]) => `  ${k.padEnd(32)} ${Object.values(v).reduce((a, b) => a + b, 0).toString().padStart(6)}  ${Object.entries(v).sort((a, b) => b[1] - a[1]).map(([o, n]) => `${o} ${n}`).join(', ')}`).join('\n');
    const total = all.reduce((n, s) => n + s.calls, 0), checked = all.reduce((n, s) => n + s.checked, 0);
    console.log(`fuzz-binding: ${total} calls (${rawCalls} raw), ${checked} successes checked against a reference\nper category (mode):\n${table(byMode)}\nper function:\n${table(byOp)}`);
  });
});

// What the fuzz found, pinned as plain tests (each was a bug: see the commit history).
maybe('regressions found by the fuzz (each in a child process)', () => {
  test('a later argument\'s getter shrinks an earlier argument\'s resizable buffer in place: LoraDisposedError, not a read of released memory', () => {
    const r = runChild(`
      const rab = new ArrayBuffer(14 * 8, { maxByteLength: 256 });
      const M = { _data: new Float64Array(rab, 0, 14).fill(1), dtype: 'f64', shape: [7, 2], device: 'cpu' };
      const z = (s) => ({ _data: new Float64Array(s[0] * (s[1] ?? 1)), dtype: 'f64', shape: s, device: 'cpu' });
      const S = z([2]);
      Object.defineProperty(S, 'shape', { get() { rab.resize(0); return [2]; } });
      try { N.svdBatched([M], [z([7, 2])], [S], [z([2, 2])], 0, 0, 0, 0, false); console.log('accepted'); }
      catch (e) { console.log(e.name); }`);
    expect([r.status, r.stdout.trim(), r.stderr]).toEqual([0, 'LoraDisposedError', '']);
  });

  test('a passed zero-element tensor is not an omitted one: a [0, 3] y for x [2, 0] is refused (it was written through a null pointer)', () => {
    // Found by the fuzz (seed 976, a segfault): V8 gives an empty buffer a null data pointer, and a null View read as
    // an absent optional tensor, so its shape was not checked and the op wrote 2×3 values into it.
    const r = runChild(`
      const z = (s, dtype = 'f64') => ({ _data: dtype === 'f64' ? new Float64Array(s[0] * s[1]) : new Uint16Array(s[0] * s[1]), dtype, shape: s, device: 'cpu' });
      const out = [];
      const tryIt = (f) => { try { f(); out.push('accepted'); } catch (e) { out.push(e.name); } };
      tryIt(() => N.loraForward(z([2, 0]), z([3, 0]), z([2, 0]), z([3, 2], 'bf16'), 0, z([0, 3]), null, false));
      tryIt(() => N.loraForward(z([2, 0]), z([3, 0]), z([2, 0]), z([3, 2], 'bf16'), 0, z([2, 3]), z([0, 2]), false));
      tryIt(() => N.loraBackward(z([0, 3]), z([2, 0]), z([3, 0]), z([2, 0]), z([3, 2]), 1, null, z([2, 0]), null, null, false));
      tryIt(() => N.matmul(z([2, 0]), z([0, 3]), z([0, 3]), false, false, 1, 0, false));
      console.log(out.join(' '));`);
    expect([r.status, r.stdout.trim(), r.stderr]).toEqual([0, 'LoraShapeError LoraShapeError LoraShapeError LoraShapeError', '']);
  });

  test('an async op rejected while init() has registered a class that cannot be constructed still settles', () => {
    const r = runChild(`
      const errors = require(DIST + '/errors.js');
      N.init({ ...errors, LoraValueError: () => 1 });
      const z = (s) => ({ _data: new Float32Array(s[0] * (s[1] ?? 1)), dtype: 'f32', shape: s, device: 'cpu' });
      const M = z([2, 2]); M._data[0] = NaN;
      const t = setTimeout(() => { console.log('HUNG'); process.exit(2); }, 10000);
      N.svd(M, z([2, 2]), z([2]), z([2, 2]), 0, 0, 0, 0, true).then(() => console.log('resolved'), (e) => { clearTimeout(t); console.log('rejected', e.code); });`);
    expect([r.status, r.stdout.trim()]).toEqual([0, 'rejected LORA_VALUE']);
  });
});

describe('half-precision outputs of the LoRA ops are rounded once (README: f32 compute, one rounding on the way out)', () => {
  // Found by the fuzz: y and dx were rounded to bf16 after their first product and again after the second.
  const x = Tensor.randn([7, 12], 'f32', 'cpu', 1), W = Tensor.randn([9, 12], 'f32', 'cpu', 2);
  const A = Tensor.randn([3, 12], 'f32', 'cpu', 3), B = Tensor.randn([9, 3], 'f32', 'cpu', 4), dY = Tensor.randn([7, 9], 'f32', 'cpu', 5);
  const bits = (t: { data: ArrayLike<number> }) => Array.from(t.data);
  for (const dt of ['bf16', 'f16'] as const) {
    test(`loraForward: a ${dt} y is the f32 y rounded once, also when h is saved in ${dt} (raw binding)`, () => {
      const y32 = loraForward(x, W, A, B, 2).y;
      const r = loraForward(x, W, A, B, 2, { out: Tensor.zeros([7, 9], dt) });
      expect(bits(r.y)).toEqual(bits(y32.to(dt)));
      const y = Tensor.zeros([7, 9], dt), h = Tensor.zeros([7, 3], dt);
      native.loraForward(x, W, A, B, 2, y, h, false);
      expect([bits(y), bits(h)]).toEqual([bits(y32.to(dt)), bits(loraForward(x, W, A, B, 2).h!.to(dt))]);
    });
    test(`loraBackward: a ${dt} dx is the f32 dx rounded once`, () => {
      const dx32 = loraBackward(dY, x, W, A, B, 2).dX!;
      const r = loraBackward(dY, x, W, A, B, 2, { dx: Tensor.zeros([7, 12], dt) });
      expect(bits(r.dX!)).toEqual(bits(dx32.to(dt)));
    });
  }
});
