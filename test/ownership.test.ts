/**
 * Ownership and lifetimes at the native boundary (README "Memory and ownership"): what a tensor owns or borrows,
 * what dispose() does, what an async op holds, which ops write in place — and that nothing a caller does to its
 * memory (dispose, transfer, resize, worker threads, exit) crashes the process. Scenarios that crashed before run in
 * a child process (test/helpers/child.ts): a regression fails one test, not the run. Each scenario prints OK.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  AdamW, LoraDisposedError, LoraIOError, LoraLayoutError, LoraLinear, LoraShapeError, LoraValueError, Tensor,
  adamwStep, gradAccumulate, initAdapters, initLora, initLoraGA, loraBackward, loraForward, matmul, matmulAsync, param, parseSafetensors,
  readSafetensors, readSafetensorsSync, sgdStep, solve, svd, svdAsync, svdBatched, writeSafetensorsSync,
} from '../lib';
import { describeChild, distBuilt, runChild, runInWorker } from './helpers/child';

const CHECK = `function check(got, ref) {
  for (let i = 0; i < ref.length; i++)
    if (!(Math.abs(got[i] - ref[i]) <= 1e-5 * Math.abs(ref[0]))) { console.log('MISMATCH', i, got[i], ref[i]); process.exit(2); }
  console.log('OK');
}
function fill(a) { for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 0.37) + Math.cos(i * 0.011); return a; }
`;

// The scenarios of the items 1–3: the memory an async op reads is let go of, moved or shrunk meanwhile.
const SCENARIOS: Record<string, string> = {
  'svdAsync on a reshape() view, the owner disposed while it runs': `
    const t = L.Tensor.randn([300, 200], 'f32', 'cpu', 1), v = t.reshape([300, 200]);
    const ref = L.svd(t.clone(), { k: 5 }).S.toFloat64();
    const p = L.svdAsync(v, { k: 5 });
    t.dispose(); v.dispose();
    if (global.gc) global.gc();
    p.then((r) => check(r.S.toFloat64(), ref));`,
  'the caller\'s buffer transferred away (structuredClone) while svdAsync reads it': `
    const arr = fill(new Float32Array(300 * 200));
    const t = L.Tensor.from(arr, [300, 200]);
    const ref = L.svd(t, { k: 5 }).S.toFloat64();
    const p = L.svdAsync(t, { k: 5 });
    const moved = structuredClone(arr.buffer, { transfer: [arr.buffer] });
    new Float32Array(moved).fill(NaN);
    if (arr.length !== 0 || !t.disposed) { console.log('transfer did not detach'); process.exit(2); }
    p.then((r) => check(r.S.toFloat64(), ref));`,
  'a resizable ArrayBuffer shrunk to 0 while svdAsync reads it': `
    const n = 300 * 200, rab = new ArrayBuffer(n * 4, { maxByteLength: n * 4 });
    const t = L.Tensor.from(fill(new Float32Array(rab)), [300, 200]);
    const ref = L.svd(t, { k: 5 }).S.toFloat64();
    const p = L.svdAsync(t, { k: 5 });
    rab.resize(0);
    p.then((r) => check(r.S.toFloat64(), ref));`,
  'an output whose buffer is shrunk while the op runs rejects with LoraDisposedError (its result is lost, loudly)': `
    const rab = new ArrayBuffer(64 * 64 * 4, { maxByteLength: 64 * 64 * 4 });
    const out = L.Tensor.from(new Float32Array(rab), [64, 64], { writable: true });
    const a = L.Tensor.randn([64, 64], 'f32', 'cpu', 3);
    const p = L.matmulAsync(a, a, { out });
    rab.resize(0);
    p.then(() => { console.log('resolved'); process.exit(2); },
           (e) => console.log(e instanceof L.LoraDisposedError && /detached or resized/.test(e.message) ? 'OK' : 'WRONG ' + e));`,
};

const maybe = distBuilt ? describe : describe.skip;
if (!distBuilt) console.warn('ownership child-process tests skipped: dist/ is not built (npm run build:ts)');

maybe('async ops survive what callers do to their memory (each in a child process)', () => {
  for (const [name, body] of Object.entries(SCENARIOS)) {
    test(`${name}: on the main thread`, () => {
      const r = runChild(CHECK + body);
      expect([r.status, r.stdout.trim()]).toEqual([0, 'OK']);
    });
    test(`${name}: in a worker thread`, () => {
      const r = runInWorker(CHECK + body);
      expect([r.status, r.stdout.trim(), describeChild(r)]).toEqual([0, 'OK', describeChild(r)]);
    });
    test(`${name}: the process exits while the op is in flight`, () => {
      const r = runChild(CHECK + body + '\nsetImmediate(() => process.exit(0));');
      expect([r.status, r.signal, r.stderr]).toEqual([0, null, '']);
    });
  }
});

maybe('worker threads and process exit (each in a child process)', () => {
  const REQ = (file: string) => `require(${JSON.stringify(path.join(__dirname, '..', 'dist', file))})`;
  test('a worker that loaded loraga exits; typed errors still work on the main thread (per-environment state)', () => {
    const r = runChild(`
      const { Worker } = require('worker_threads');
      let n = 0;
      const next = () => {
        if (n++ === 3) {
          if (global.gc) global.gc();
          try {
            N.svd(L.Tensor.from([NaN, 1, 2, 3], [2, 2]), L.Tensor.zeros([2, 2]), L.Tensor.zeros([2]), L.Tensor.zeros([2, 2]), 0, 0, 0, 0, false);
            console.log('no error');
          } catch (e) { console.log(e instanceof L.LoraValueError ? 'OK' : 'WRONG ' + e); }
          return;
        }
        new Worker(${JSON.stringify(REQ('index.js'))} + '; ' + 'try { ' + ${JSON.stringify(REQ('native.js'))} + '.native.svd({}, 0) } catch (e) {}', { eval: true }).on('exit', next);
      };
      next();`);
    expect([r.status, r.stdout.trim(), r.stderr]).toEqual([0, 'OK', '']);
  });

  test('worker.terminate() with async ops in flight: the main thread carries on', () => {
    const r = runChild(`
      const { Worker } = require('worker_threads');
      const w = new Worker('const L = ' + ${JSON.stringify(REQ('index.js'))} + '; const a = L.Tensor.randn([300, 300], "f32", "cpu", 1);' +
        'for (let i = 0; i < 6; i++) L.svdAsync(a, { k: 10 }).catch(() => {});' +
        'require("worker_threads").parentPort.postMessage("go");', { eval: true });
      w.on('message', async () => { await w.terminate(); setTimeout(() => console.log('OK'), 300); });`);
    expect([r.status, r.signal, r.stdout.trim(), r.stderr]).toEqual([0, null, 'OK', '']);
  });

  test('exit after native errors and with async ops in flight: status 0, nothing on stderr', () => {
    const r = runChild(`
      try { N.svd(L.Tensor.from([NaN, 1, 2, 3], [2, 2]), L.Tensor.zeros([2, 2]), L.Tensor.zeros([2]), L.Tensor.zeros([2, 2]), 0, 0, 0, 0, false); } catch (e) {}
      const a = L.Tensor.randn([400, 300], 'f32', 'cpu', 1);
      for (let i = 0; i < 4; i++) L.svdAsync(a, { k: 8 }).catch(() => {});
      process.exit(0);`);
    expect([r.status, r.signal, r.stderr]).toEqual([0, null, '']);
  });

  test('exit from a worker with async ops in flight, then from the main thread', () => {
    const r = runInWorker(`
      try { N.svd(L.Tensor.from([NaN, 1, 2, 3], [2, 2]), L.Tensor.zeros([2, 2]), L.Tensor.zeros([2]), L.Tensor.zeros([2, 2]), 0, 0, 0, 0, false); } catch (e) {}
      L.svdAsync(L.Tensor.randn([400, 300], 'f32', 'cpu', 1), { k: 8 }).catch(() => {});
      console.log('OK');
      process.exit(0);`);
    expect([r.status, r.signal, r.stdout.trim(), r.stderr]).toEqual([0, null, 'OK', '']);
  });
});

maybe('the raw binding refuses what would corrupt memory (each in a child process)', () => {
  test('element counts that wrap int64, shapes past 2^53 and dimensions that are not safe integers (even with 0 elements) are LoraShapeError', () => {
    const r = runChild(`
      const out = [];
      for (const shape of [[242243305, 19037413721], [9e15, 9e15, 0], [2 ** 53, 2], [2 ** 53, 0], [0, 2 ** 53]]) {
        try { N.fillGaussian({ _data: new Float32Array(shape.includes(0) ? 0 : 1), dtype: 'f32', shape }, 0); out.push('accepted'); }
        catch (e) { out.push(e.name); }
      }
      console.log(out.join(','));`);
    expect([r.status, r.stdout.trim()]).toEqual([0, Array(5).fill('LoraShapeError').join(',')]);
  });

  test('an argument getter that moves an earlier argument\'s buffer away: LoraDisposedError, nothing written', () => {
    const r = runChild(`
      const pArr = new Float32Array(1000).fill(1), keep = [];
      const p = { _data: pArr, dtype: 'f32', shape: [1000] };
      const g = { _data: new Float32Array(1000).fill(1), shape: [1000],
        get dtype() { keep.push(structuredClone(pArr.buffer, { transfer: [pArr.buffer] })); return 'f32'; } };
      try { N.sgdStep(p, g, null, 0.5, 0, 0, false); console.log('accepted'); }
      catch (e) { console.log(e.name, new Float32Array(keep[0])[0]); }`);
    expect([r.status, r.stdout.trim()]).toEqual([0, 'LoraDisposedError 1']);
  });

  test('integers out of range (step ≥ 2^63, ±Inf/NaN/1e30 seeds, Infinity) are LoraValueError before any conversion', () => {
    const r = runChild(`
      const p = L.Tensor.zeros([4]), g = L.Tensor.zeros([4]), m = L.Tensor.zeros([4]), v = L.Tensor.zeros([4]);
      const out = [];
      for (const step of [2 ** 63, Infinity, NaN, 0, 1.5]) {
        try { N.adamwStep(p, g, m, v, 0.1, 0.9, 0.999, 1e-8, 0, step, null, false); out.push('accepted'); } catch (e) { out.push(e.name); }
      }
      for (const seed of [Infinity, -Infinity, NaN, 1e30, -1]) {
        try { N.fillGaussian(p, seed); out.push('accepted'); } catch (e) { out.push(e.name); }
      }
      try { N.svd(L.Tensor.randn([4, 4]), L.Tensor.zeros([4, 2]), L.Tensor.zeros([2]), L.Tensor.zeros([2, 4]), true, Infinity, 2, 0, false); out.push('accepted'); } catch (e) { out.push(e.name); }
      console.log(out.join(','));`);
    expect([r.status, r.stdout.trim()]).toEqual([0, Array(11).fill('LoraValueError').join(',')]);
  });

  test('empty tensors copy and convert (no memmove from a null pointer)', () => {
    const r = runChild(`
      const a = L.Tensor.zeros([0, 3]);
      console.log([a.to('f64').size, a.clone().size, L.Tensor.zeros([5, 0], 'bf16').to('f32').size].join(','));`);
    expect([r.status, r.stdout.trim(), r.stderr]).toEqual([0, '0,0,0', '']);
  });
});

describe('.data and dispose', () => {
  test('an array taken from .data stays valid after dispose(); the disposed tensor itself refuses use loudly', () => {
    const t = Tensor.from([1, 2, 3, 4], [2, 2]);
    const handedOut = t.data;  // e.g. tf.tensor2d(t.data, [2, 2]) on TF.js's pure-JS backend, zero-copy
    t.dispose();
    expect(Array.from(handedOut)).toEqual([1, 2, 3, 4]);
    expect(() => t.data).toThrow(LoraDisposedError);
    expect(() => matmul(t, t)).toThrow(LoraDisposedError);
  });
});

describe('borrowed vs owned memory; in-place writes into borrowed memory are opt-in', () => {
  test('ownership is a visible property', () => {
    const arr = new Float32Array(4);
    const cases: [string, Tensor][] = [
      ['zeros', Tensor.zeros([2, 2])], ['from numbers', Tensor.from([1, 2, 3, 4], [2, 2])],
      ['from a Float32Array', Tensor.from(arr, [2, 2])], ['from a Float32Array, writable', Tensor.from(arr, [2, 2], { writable: true })],
      ['reshape of an owned tensor', Tensor.zeros([4]).reshape([2, 2])], ['reshape of a read-only one', Tensor.from(arr, [4]).reshape([2, 2])],
      ['clone of a borrowed one', Tensor.from(arr, [4]).clone()],
    ];
    expect(cases.map(([n, t]) => [n, t.borrowed, t.writable])).toEqual([
      ['zeros', false, true], ['from numbers', false, true], ['from a Float32Array', true, false],
      ['from a Float32Array, writable', true, true], ['reshape of an owned tensor', true, true],
      ['reshape of a read-only one', true, false], ['clone of a borrowed one', false, true],
    ]);
  });

  test('every op that writes refuses a read-only output and leaves the caller\'s array untouched', () => {
    const ro = (n: number) => { const a = new Float32Array(n).fill(7); return { a, t: (shape: number[]) => Tensor.from(a, shape) }; };
    const x = Tensor.randn([3, 4], 'f32', 'cpu', 1), W = Tensor.randn([5, 4], 'f32', 'cpu', 2);
    const A = Tensor.randn([2, 4], 'f32', 'cpu', 3), B = Tensor.randn([5, 2], 'f32', 'cpu', 4);
    const writers: [string, (r: ReturnType<typeof ro>) => unknown, number][] = [
      ['matmul out', (r) => matmul(x, W, { out: r.t([3, 5]), transB: true }), 15],
      ['gradAccumulate G', (r) => gradAccumulate(r.t([5, 4]), Tensor.randn([3, 5]), x), 20],
      ['loraForward out', (r) => loraForward(x, W, A, B, 2, { out: r.t([3, 5]) }), 15],
      ['loraBackward dA', (r) => loraBackward(Tensor.randn([3, 5]), x, W, A, B, 2, { dA: r.t([2, 4]) }), 8],
      ['adamwStep p', (r) => adamwStep(r.t([4]), Tensor.zeros([4]), Tensor.zeros([4]), Tensor.zeros([4]), { lr: 1, step: 1 }), 4],
      ['sgdStep p', (r) => sgdStep(r.t([4]), Tensor.from([1, 1, 1, 1], [4]), null, { lr: 1 }), 4],
      ['solve in place b', (r) => solve(Tensor.from([2, 0, 0, 2], [2, 2]), r.t([2, 1]), { inPlace: true }), 2],
    ];
    for (const [name, op, n] of writers) {
      const r = ro(n);
      expect([name, () => op(r)]).toEqual([name, expect.any(Function)]);
      expect(() => op(r)).toThrow(/read-only.*writable: true/);
      expect([name, Array.from(r.a)]).toEqual([name, Array(n).fill(7)]);
    }
  });

  test('with { writable: true } the same ops write into the caller\'s array', () => {
    const arr = new Float32Array([1, 2, 3, 4]);
    adamwStep(Tensor.from(arr, [4], { writable: true }), Tensor.from([1, 1, 1, 1], [4]), Tensor.zeros([4]), Tensor.zeros([4]), { lr: 0.5, step: 1 });
    expect(Array.from(arr).map((v) => Math.round(v * 100) / 100)).toEqual([0.5, 1.5, 2.5, 3.5]);
  });

  test('an optimizer over a parameter that borrows read-only memory fails on step, naming the way out', () => {
    const p = param(Tensor.from(new Float32Array(4), [4]), 'w');
    p.grad = Tensor.from([1, 1, 1, 1], [4]);
    expect(() => new AdamW([p], { lr: 0.1 }).step()).toThrow(LoraValueError);
  });

  test('merge() into a frozen W that borrows read-only memory is refused and W stays as it was', () => {
    const arr = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i));
    const layer = new LoraLinear(Tensor.from(arr, [6, 5]), Tensor.randn([2, 5], 'f32', 'cpu', 1), Tensor.randn([6, 2], 'f32', 'cpu', 2), { alpha: 4 });
    expect(() => layer.merge()).toThrow(/read-only/);
    expect([layer.merged, Array.from(arr)]).toEqual([false, Array.from(Float32Array.from({ length: 30 }, (_, i) => Math.sin(i)))]);
    const own = new LoraLinear(Tensor.from(arr, [6, 5], { writable: true }), Tensor.randn([2, 5], 'f32', 'cpu', 1), Tensor.randn([6, 2], 'f32', 'cpu', 2), { alpha: 4 });
    own.merge();
    expect(own.merged).toBe(true);
  });

  test('LoraLinear.fromInit trains its own copies: init.A and init.B are never written', () => {
    const W = Tensor.randn([6, 5], 'f32', 'cpu', 1);
    const init = initLoraGA(W, Tensor.randn([6, 5], 'f32', 'cpu', 2), { rank: 2, alpha: 4, svd: 'exact' });
    const A0 = Array.from(init.A.data), B0 = Array.from(init.B.data);
    const layer = LoraLinear.fromInit(W, init);
    expect(layer.A.value).not.toBe(init.A);
    const x = Tensor.randn([3, 5], 'f32', 'cpu', 3);
    layer.forward(x);
    layer.backward(Tensor.randn([3, 6], 'f32', 'cpu', 4));
    new AdamW(layer.parameters(), { lr: 0.1 }).step();
    expect(Array.from(layer.A.value.data)).not.toEqual(A0);
    expect([Array.from(init.A.data), Array.from(init.B.data)]).toEqual([A0, B0]);
  });

  test('zero-copy tensors parsed from a caller\'s bytes are read-only; files read from disk are the library\'s own', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-own-'));
    const f = path.join(dir, 'a.safetensors');
    writeSafetensorsSync(f, { w: Tensor.from([1, 2, 3, 4], [2, 2]) });
    const parsed = parseSafetensors(fs.readFileSync(f)).w;
    const fromDisk = readSafetensorsSync(f).w;
    expect([parsed.writable, fromDisk.writable]).toEqual([false, true]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('a rejected op leaves its inputs unchanged', () => {
  test('solve(a, b, { inPlace: true }) with a singular a: LoraValueError, a and b as they were', () => {
    const a = Tensor.from([1, 2, 2, 4], [2, 2]), b = Tensor.from([1, 1], [2, 1]);
    expect(() => solve(a, b, { inPlace: true })).toThrow(LoraValueError);
    expect([Array.from(a.data), Array.from(b.data)]).toEqual([[1, 2, 2, 4], [1, 1]]);
  });
  test('solve never writes a, in place or not', () => {
    const a = Tensor.from([4, 1, 2, 3], [2, 2]), b = Tensor.from([1, 2], [2, 1]);
    const x = solve(a, b, { inPlace: true });
    expect(x).toBe(b);
    expect(Array.from(a.data)).toEqual([4, 1, 2, 3]);
  });
});

describe('large private copies (≥ 32 MiB: huge-page mappings, binding/hold.cc)', () => {
  // 3000×3000 f32 = 36 MB: above the 32 MiB from which an async op's private copy is its own mapping.
  test('async matmul with a 36 MB input and a 36 MB in-place output (beta 1) gives what the sync op gives, bit for bit', async () => {
    const a = Tensor.randn([3000, 3000], 'f32', 'cpu', 3), b = Tensor.randn([3000, 8], 'f32', 'cpu', 4);
    const c0 = Tensor.randn([3000, 8], 'f32', 'cpu', 5);
    const cSync = c0.clone(), cAsync = c0.clone();
    matmul(a, b, { out: cSync, beta: 1 });
    const p = matmulAsync(a, b, { out: cAsync, beta: 1 });
    (a.data as Float32Array).fill(NaN);   // the op works on its copy of a, made when it was called
    await p;
    expect(Buffer.compare(Buffer.from(cAsync.data.buffer), Buffer.from(cSync.data.buffer))).toBe(0);
    const w0 = Tensor.randn([3000, 3000], 'f32', 'cpu', 6), wSync = w0.clone(), wAsync = w0.clone();
    const u = Tensor.randn([3000, 4], 'f32', 'cpu', 7), v = Tensor.randn([4, 3000], 'f32', 'cpu', 8);
    matmul(u, v, { out: wSync, beta: 1, alpha: -0.5 });
    await matmulAsync(u, v, { out: wAsync, beta: 1, alpha: -0.5 });   // a 36 MB output, copied in and written back
    expect(Buffer.compare(Buffer.from(wAsync.data.buffer), Buffer.from(wSync.data.buffer))).toBe(0);
  });
});

describe('inputs changed while an async op runs', () => {
  test('an async op sees its inputs as they were when it was called (200 tries: NaN written in flight never leaks in)', async () => {
    const base = Tensor.randn([60, 40], 'f32', 'cpu', 7);
    const ref = Array.from(svd(base, { k: 4 }).S.toFloat64());
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const t = base.clone();
      const p = svdAsync(t, { k: 4 });
      (t.data as Float32Array)[(i * 37) % t.size] = NaN;
      let key;
      try {
        const S = Array.from((await p).S.toFloat64());
        key = S.every((s, j) => Math.abs(s - ref[j]) <= 1e-5 * ref[0]) ? 'same result' : 'different result';
      } catch (e) {
        key = `${(e as Error).name}`;
      }
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(outcomes)).toEqual({ 'same result': 200 });
  });
});

describe('every error is a typed LoraError', () => {
  test('SharedArrayBuffer memory is refused with LoraLayoutError (another thread could change it under an op)', () => {
    expect(() => Tensor.from(new SharedArrayBuffer(16), [2, 2])).toThrow(LoraLayoutError);
    expect(() => Tensor.from(new Float32Array(new SharedArrayBuffer(16)), [2, 2])).toThrow(LoraLayoutError);
  });

  test('null or non-object options are LoraValueError, for every op', () => {
    const a = Tensor.randn([3, 3], 'f32', 'cpu', 1);
    const calls: [string, () => unknown][] = [
      ['matmul', () => matmul(a, a, null as never)], ['svd', () => svd(a, null as never)],
      ['svdBatched', () => svdBatched([a], null as never)], ['solve', () => solve(a, a, null as never)],
      ['gradAccumulate', () => gradAccumulate(a, a, a, null as never)], ['loraForward', () => loraForward(a, a, a, a, 1, null as never)],
      ['adamwStep without options', () => (adamwStep as (...x: unknown[]) => unknown)(a, a.clone(), Tensor.zeros([3, 3]), Tensor.zeros([3, 3]))],
      ['Tensor.from(null)', () => Tensor.from(null as never, [1])], ['Tensor.from(data, shape, null)', () => Tensor.from([1], [1], null as never)],
      ['byteOffset -8', () => Tensor.from(new ArrayBuffer(16), [2], { byteOffset: -8 })],
      ['Tensor.from(\'abc\')', () => Tensor.from('abc' as never, [3])], ['Tensor.from([\'a\'])', () => Tensor.from(['a'] as never, [1])],
      ['a misspelt option', () => svd(a, { powerIter: 2 } as never)],
      ['initLoraGA bogusOption', () => initLoraGA(a, a, { rank: 1, alpha: 2, bogusOption: 1 } as never)],
      ['initLoraGA powerIter', () => initLoraGA(a, a, { rank: 1, alpha: 2, powerIter: 2 } as never)],
      ['initLora rank > min(out, in)', () => initLora(1, 1e6, { rank: 1e6, alpha: 1 })],
    ];
    for (const [name, f] of calls) {
      let err: unknown = null;
      try { f(); } catch (e) { err = e; }
      expect([name, (err as Error)?.name]).toEqual([name, 'LoraValueError']);
    }
  });

  test('initAdapters refuses an unknown or misspelt option before any work', async () => {
    const W = { m: Tensor.randn([6, 5], 'f32', 'cpu', 1) }, G = { m: Tensor.randn([6, 5], 'f32', 'cpu', 2) };
    await expect(initAdapters(W, G, { rank: 1, alpha: 2, powerIter: 2 } as never)).rejects.toThrow(/initAdapters: unknown option powerIter/);
    await expect(initAdapters(W, G, null as never)).rejects.toThrow(LoraValueError);
  });

  test('a BigInt or non-number dimension is LoraShapeError with a readable message', () => {
    expect(() => Tensor.zeros([1n as never, 2])).toThrow(/dimensions must be non-negative integers.*\[1n, 2\]/);
    expect(() => Tensor.zeros([1n as never, 2])).toThrow(LoraShapeError);
  });

  test('a randomized SVD whose products overflow f32 is a LoraValueError that says why', () => {
    const M = Tensor.from(Float32Array.from({ length: 64 * 48 }, (_, i) => 3e38 * Math.sin(i + 1)), [64, 48]);
    expect(() => svd(M, { k: 4, method: 'randomized' })).toThrow(/overflowed f32.*scale M down/);
    expect(svd(M, { k: 4 }).S.isFinite()).toBe(false);  // exact: the values themselves exceed f32 (documented, not an error)
  });

  test('file-system failures are LoraIOError naming the path and the reason', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-io-'));
    await expect(readSafetensors('/nope.safetensors')).rejects.toMatchObject({ name: 'LoraIOError', errno: 'ENOENT', path: '/nope.safetensors' });
    expect(() => readSafetensorsSync('/nope.safetensors')).toThrow(LoraIOError);
    await expect(readSafetensors(dir)).rejects.toMatchObject({ name: 'LoraIOError', errno: 'EISDIR', path: dir });
    expect(() => readSafetensorsSync(dir)).toThrow(/cannot read .*is a directory \(EISDIR\)/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
