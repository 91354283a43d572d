/** Whole-model init: many modules, progress events, cancellation, loaders, methods; and the streaming writer. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  GradientEstimator, InitProgress, LoraAbortError, LoraDisposedError, LoraShapeError, LoraValueError, SafetensorsWriter, Tensor, initAdapters, initLora, initLoraGA,
  initLoraGAAsync, initLoraOne, initLoraOneAsync, initPiSSA, initPiSSAAsync, moduleSeed, readSafetensorsSync,
} from '../lib';
import { randTensor } from './helpers/ref';
import { offsetInvariant } from './helpers/compare';

const shapes: Record<string, [number, number]> = { 'l0.q': [24, 16], 'l0.up': [32, 16], 'l0.down': [16, 32], 'l1.q': [24, 16] };
const W: Record<string, Tensor> = {}, G: Record<string, Tensor> = {};
Object.entries(shapes).forEach(([m, [o, i]], k) => { W[m] = randTensor([o, i], 10 + k).t; G[m] = randTensor([o, i], 20 + k).t; });
const cfg = { rank: 2, alpha: 4, svd: 'exact' as const };

test('every module initialised as initLoraGA would; progress start/done i of n with growing seconds', async () => {
  const events: InitProgress[] = [];
  const res = await initAdapters(W, G, { ...cfg, onProgress: (e) => events.push(e) });
  expect(Object.keys(res.modules)).toEqual(Object.keys(shapes));
  for (const m of Object.keys(shapes)) {
    const one = initLoraGA(W[m], G[m], cfg);
    expect(Array.from(res.modules[m].A.data)).toEqual(Array.from(one.A.data));
    expect(offsetInvariant(res.modules[m].W!, res.modules[m].A, res.modules[m].B, 2, W[m])).toBeLessThan(1e-6);
  }
  expect(events.map((e) => `${e.phase}${e.index}/${e.total}`)).toEqual(['start1/4', 'done1/4', 'start2/4', 'done2/4', 'start3/4', 'done3/4', 'start4/4', 'done4/4']);
  for (let i = 1; i < events.length; i++) expect(events[i].seconds).toBeGreaterThanOrEqual(events[i - 1].seconds);
});

test('AbortSignal cancels between modules with LoraAbortError', async () => {
  const ac = new AbortController();
  let done = 0;
  const p = initAdapters(W, G, { ...cfg, signal: ac.signal, onProgress: (e) => { if (e.phase === 'done' && ++done === 2) ac.abort(); } });
  await expect(p).rejects.toThrow(LoraAbortError);
  expect(done).toBe(2);
});

test.each(['loraga', 'lora-one'] as const)('%s: an abort while a module is being initialised stops that module (its init gets the signal): no onModule, no done', async (method) => {
  // The gradient loader aborts as it hands over l0.up's G: only the module's own init can then notice, before its
  // first step; without the signal it would run to the end and report the module.
  const ac = new AbortController();
  const reported: string[] = [], done: string[] = [];
  const grads = { names: Object.keys(G), load: (m: string) => { if (m === 'l0.up') ac.abort(); return G[m].clone(); } };
  const p = initAdapters(W, grads as never, {
    ...cfg, method, signal: ac.signal, onModule: (name) => { reported.push(name); },
    onProgress: (e) => { if (e.phase === 'done') done.push(e.module); },
  });
  await expect(p).rejects.toThrow(LoraAbortError);
  expect(reported).toEqual(['l0.q']);
  expect(done).toEqual(['l0.q']);
});

test.each(['pissa', 'sketch'] as const)('%s: an abort while the last module is being initialised stops it (its init gets the signal): LoraAbortError, no onModule', async (kind) => {
  // The weight loader aborts as it hands over the last module's W: only that module's own init can then notice (no
  // module follows whose start would); without the signal it would run to the end and the run would resolve.
  const names = ['l0.q', 'l1.q'];
  let grads: GradientEstimator | null = null;
  if (kind === 'sketch') {
    grads = new GradientEstimator();
    for (const m of names) grads.register(m, 24, 16, { sketch: { size: 5 } }).accumulate(m, randTensor([8, 16], 50).t, randTensor([8, 24], 51).t);
    grads.nextPass();
  }
  const ac = new AbortController();
  const reported: string[] = [];
  const model = { names, load: (m: string) => { if (m === 'l1.q') ac.abort(); return W[m].clone(); } };
  const p = initAdapters(model, grads, {
    ...cfg, ...(kind === 'pissa' ? { method: 'pissa' as const } : { svd: 'sketch' as const }), signal: ac.signal, onModule: (name) => { reported.push(name); },
  });
  await expect(p).rejects.toThrow(LoraAbortError);
  expect(reported).toEqual(['l0.q']);
});

test("LoRA-One's normalize is passed through: each module as initLoraOne with that option", async () => {
  for (const normalize of [false, true]) {
    const res = await initAdapters(W, G, { ...cfg, method: 'lora-one', normalize });
    for (const m of Object.keys(shapes)) expect(Array.from(res.modules[m].A.data)).toEqual(Array.from(initLoraOne(G[m], { ...cfg, normalize }).A.data));
  }
  // and it matters: the official √σ₁ normalisation scales A and B
  const off = await initAdapters(W, G, { ...cfg, method: 'lora-one', normalize: false }), on = await initAdapters(W, G, { ...cfg, method: 'lora-one' });
  expect(Array.from(off.modules['l0.q'].A.data)).not.toEqual(Array.from(on.modules['l0.q'].A.data));
});

test('a model that is neither a record of weights nor a loader is a LoraValueError', async () => {
  for (const bad of [null, 5, 'W'])
    await expect(initAdapters(bad as never, G, cfg)).rejects.toThrow(new LoraValueError('initAdapters: model must be a record of weights or a loader'));
  await expect(initAdapters(W, G, { ...cfg, bogus: 1 } as never)).rejects.toThrow(/^initAdapters: unknown option bogus \(known: rank, alpha, /);
});

test('concurrency: an error while a window loads names the window\'s modules, keeps its type, and disposes what the window had loaded', async () => {
  const loadedG: Tensor[] = [], loadedW: Tensor[] = [];
  const grads = { names: Object.keys(G), load: (m: string) => { const g = G[m].clone(); loadedG.push(g); return g; } };
  const model = { names: Object.keys(W), load: (m: string) => { if (m === 'l0.up') throw new LoraShapeError('bad W'); const w = W[m].clone(); loadedW.push(w); return w; } };
  await expect(initAdapters(model, grads as never, { ...cfg, concurrency: 2 })).rejects.toThrow(new LoraShapeError("module 'l0.q, l0.up': bad W"));
  expect([loadedG.length, loadedW.length]).toEqual([1, 1]);
  expect([loadedG[0].disposed, loadedW[0].disposed]).toEqual([true, true]);
});

test('loaders + onModule + keepResults: false (bounded memory); GradientEstimator as the source; targets subset', async () => {
  const est = new GradientEstimator();
  for (const m of ['l0.q', 'l1.q']) {
    est.register(m, ...shapes[m]);
    for (let b = 0; b < 3; b++) est.accumulate(m, randTensor([8, shapes[m][1]], 100 + b).t, randTensor([8, shapes[m][0]], 200 + b).t);
  }
  const loaded: string[] = [], got: string[] = [];
  const res = await initAdapters({ names: Object.keys(W), load: (m) => { loaded.push(m); return W[m].clone(); } }, est, {
    ...cfg, targets: ['l0.q', 'l1.q'], keepResults: false, releaseGradients: true, onModule: (m) => { got.push(m); },
  });
  expect(res.modules).toEqual({});
  expect(loaded).toEqual(['l0.q', 'l1.q']);
  expect(got).toEqual(['l0.q', 'l1.q']);
  expect(() => est.gradient('l0.q')).toThrow(/no batches/); // released
});

test('what initAdapters disposes: a loaded W once its W′ replaces it, never a ready gradient the caller gave', async () => {
  const est = new GradientEstimator(), ready: Record<string, Tensor> = {};
  for (const m of ['l0.q', 'l1.q']) est.register(m, ...shapes[m]).setGradient(m, (ready[m] = G[m].clone()));
  const loaded: Tensor[] = [];
  const res = await initAdapters({ names: Object.keys(W), load: (m) => { const w = W[m].clone(); loaded.push(w); return w; } }, est, { ...cfg, targets: ['l0.q', 'l1.q'] });
  expect(loaded.map((w) => w.disposed)).toEqual([true, true]);
  expect(Object.values(res.modules).map((r) => r.W!.disposed)).toEqual([false, false]);
  expect([ready['l0.q'].disposed, ready['l1.q'].disposed]).toEqual([false, false]);
  expect(est.gradient('l0.q')).toBe(ready['l0.q']);
});

test('an abort that comes after the last module is done changes nothing: every result is returned', async () => {
  const ac = new AbortController();
  const names = Object.keys(shapes);
  const res = await initAdapters(W, G, { ...cfg, signal: ac.signal, onModule: (m) => { if (m === names[names.length - 1]) ac.abort(); } });
  expect(Object.keys(res.modules)).toEqual(names);
});

test('methods pissa and lora; missing gradients and unknown targets are clear errors', async () => {
  const p = await initAdapters(W, null, { ...cfg, method: 'pissa' });
  expect(offsetInvariant(p.modules['l0.up'].W!, p.modules['l0.up'].A, p.modules['l0.up'].B, 2, W['l0.up'])).toBeLessThan(1e-6);
  const l = await initAdapters(W, null, { ...cfg, method: 'lora' });
  expect(l.modules['l0.q'].W).toBeNull();
  await expect(initAdapters(W, null, cfg)).rejects.toThrow(LoraValueError);
  await expect(initAdapters(W, { 'l0.q': G['l0.q'] }, cfg)).rejects.toThrow(/^initAdapters: no gradient for l0\.up, l0\.down, l1\.q$/);
  await expect(initAdapters(W, G, { ...cfg, targets: ['zz'] })).rejects.toThrow(/zz matched no module/);
});

test('GradientEstimator: G = mean of dYᵀ·X; shape errors name the module and shapes', () => {
  const est = new GradientEstimator().register('m', 3, 2);
  const x1 = Tensor.from([1, 2, 3, 4], [2, 2]), d1 = Tensor.from([1, 0, 0, 0, 1, 0], [2, 3]);
  const x2 = Tensor.from([1, 1], [1, 2]), d2 = Tensor.from([0, 0, 2], [1, 3]);
  est.accumulate('m', x1, d1).accumulate('m', x2, d2);
  // dY1ᵀX1 = [[1,2],[3,4],[0,0]], dY2ᵀX2 = [[0,0],[0,0],[2,2]] → mean
  expect(Array.from(est.gradient('m').data)).toEqual([0.5, 1, 1.5, 2, 1, 1]);
  expect(() => est.accumulate('m', Tensor.zeros([2, 5]), Tensor.zeros([2, 3]))).toThrow(/X \[2, 5\] f32 must be \[tokens, 2\]/);
  expect(() => est.accumulate('zz', x1, d1)).toThrow(/unknown module 'zz'/);
  const est2 = new GradientEstimator().register('m', 3, 2).setGradient('m', Tensor.zeros([3, 2]));
  expect(() => est2.accumulate('m', x1, d1)).toThrow(/ready gradient/);
});

test('SafetensorsWriter streams tensors in any order into a declared layout; a missing tensor is an error', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-sw-'));
  const a = randTensor([3, 5], 1).t, b = randTensor([4], 2, 'bf16').t;
  const w = new SafetensorsWriter(path.join(dir, 'x.safetensors'), [{ name: 'a', dtype: 'f32', shape: [3, 5] }, { name: 'b', dtype: 'bf16', shape: [4] }]);
  w.write('b', b);
  expect(() => w.write('a', Tensor.zeros([5, 3]))).toThrow(/declared \[3, 5\]/);
  w.write('a', a);
  w.close();
  const back = readSafetensorsSync(path.join(dir, 'x.safetensors'));
  expect(Array.from(back.a.data)).toEqual(Array.from(a.data));
  expect(Array.from(back.b.data)).toEqual(Array.from(b.data));
  const w2 = new SafetensorsWriter(path.join(dir, 'y.safetensors'), [{ name: 'a', dtype: 'f32', shape: [1] }]);
  expect(() => w2.close()).toThrow(/never written: a/);
  expect(fs.existsSync(path.join(dir, 'y.safetensors'))).toBe(false);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('GradientEstimator.accumulateAsync: concurrent batches of one module are serialised and all counted', async () => {
  const est = new GradientEstimator().register('m', 6, 5);
  const xs = [0, 1, 2, 3].map((i) => randTensor([7, 5], 50 + i).t), dys = [0, 1, 2, 3].map((i) => randTensor([7, 6], 60 + i).t);
  await Promise.all(xs.map((x, i) => est.accumulateAsync('m', x, dys[i])));
  const ref = new GradientEstimator().register('m', 6, 5);
  xs.forEach((x, i) => ref.accumulate('m', x, dys[i]));
  expect(est.batches('m')).toBe(4);
  const a = est.gradient('m').toFloat64(), b = ref.gradient('m').toFloat64();
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5); // same sums, fp32, order may differ
});

describe('per-module seeds', () => {
  const same = (a: Tensor, b: Tensor) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));

  test("method 'lora': same-shaped modules get different A (defect: one seed for all), each exactly initLora with moduleSeed(seed, name)", async () => {
    const res = await initAdapters(W, null, { ...cfg, method: 'lora', seed: 7 });
    expect(same(res.modules['l0.q'].A, res.modules['l1.q'].A)).toBe(false);   // both [24, 16]
    for (const m of Object.keys(shapes)) {
      const one = initLora(...shapes[m], { rank: 2, alpha: 4, seed: moduleSeed(7, m) });
      expect(same(res.modules[m].A, one.A)).toBe(true);
    }
    // Deterministic, and a module's init does not depend on the other targets or their order.
    const again = await initAdapters(W, null, { ...cfg, method: 'lora', seed: 7, targets: ['l1.q', 'l0.q'] });
    expect(same(again.modules['l0.q'].A, res.modules['l0.q'].A)).toBe(true);
    const other = await initAdapters(W, null, { ...cfg, method: 'lora', seed: 8, targets: ['l0.q'] });
    expect(same(other.modules['l0.q'].A, res.modules['l0.q'].A)).toBe(false);
  });

  test('randomized SVDs and the random direction use the module seed too (LoRA-GA, PiSSA)', async () => {
    const rcfg = { rank: 2, alpha: 4, svd: 'randomized' as const, powerIters: 0, oversample: 0, seed: 3 };
    const ga = await initAdapters(W, G, { ...rcfg, direction: 'random', targets: ['l0.q', 'l1.q'] });
    const pi = await initAdapters(W, null, { ...rcfg, method: 'pissa', targets: ['l0.q'] });
    for (const m of ['l0.q', 'l1.q']) {
      const one = initLoraGA(W[m], G[m], { ...rcfg, direction: 'random', seed: moduleSeed(3, m) });
      expect(same(ga.modules[m].A, one.A) && same(ga.modules[m].B, one.B)).toBe(true);
    }
    expect(same(pi.modules['l0.q'].A, initPiSSA(W['l0.q'], { ...rcfg, seed: moduleSeed(3, 'l0.q') }).A)).toBe(true);
    // With no power iteration the sketch's seed shows in the result: the run seed alone would not reproduce it.
    expect(same(pi.modules['l0.q'].A, initPiSSA(W['l0.q'], rcfg).A)).toBe(false);
  });

  test('moduleSeed: a safe integer, stable across calls, distinct across names and seeds; bad seeds refused', () => {
    const seeds = new Set<number>();
    for (let s = 0; s < 4; s++) for (const m of ['a', 'b', 'model.layers.0.q_proj', 'model.layers.1.q_proj']) seeds.add(moduleSeed(s, m));
    expect(seeds.size).toBe(16);
    for (const v of seeds) expect(Number.isSafeInteger(v) && v >= 0).toBe(true);
    expect(moduleSeed(0, 'q')).toBe(moduleSeed(0, 'q'));
    // Pinned (a regression pin, value from this implementation): the docs promise the same seed in every version,
    // so changing the hash, which would change every run's init, must fail here.
    expect(moduleSeed(0, 'model.layers.0.q_proj')).toBe(1314164891199461);
    expect(() => moduleSeed(-1, 'q')).toThrow(LoraValueError);
  });
});

test("method 'lora-one': each module is initLoraOne of its gradient with the module seed; W left alone; needs gradients", async () => {
  const res = await initAdapters(W, G, { rank: 2, alpha: 4, method: 'lora-one', seed: 5, gamma: 64 });
  for (const m of Object.keys(shapes)) {
    const one = initLoraOne(G[m], { rank: 2, alpha: 4, gamma: 64, seed: moduleSeed(5, m) });
    expect(res.modules[m].W).toBeNull();
    expect(Array.from(res.modules[m].A.data)).toEqual(Array.from(one.A.data));
    expect(Array.from(res.modules[m].B.data)).toEqual(Array.from(one.B.data));
    expect(res.modules[m].scaling).toBe(one.scaling);
  }
  await expect(initAdapters(W, null, { ...cfg, method: 'lora-one' })).rejects.toThrow(/need gradients/);
});

describe('concurrency: modules in windows, their SVDs in one svdBatched call', () => {
  // Bigger modules so the batched SVDs are real work; 7 modules in windows of 3 (3 + 3 + 1).
  const big: Record<string, [number, number]> = { a: [96, 64], b: [64, 96], c: [128, 64], d: [96, 64], e: [64, 64], f: [80, 72], g: [72, 80] };
  const Wb: Record<string, Tensor> = {}, Gb: Record<string, Tensor> = {};
  Object.entries(big).forEach(([m, [o, i]], k) => { Wb[m] = randTensor([o, i], 300 + k).t; Gb[m] = randTensor([o, i], 400 + k).t; });
  const rel = (a: Tensor, b: Tensor) => {
    const x = a.toFloat64(), y = b.toFloat64();
    let d = 0, n = 0;
    for (let i = 0; i < x.length; i++) { d += (x[i] - y[i]) ** 2; n += y[i] ** 2; }
    return Math.sqrt(d / n);
  };

  test.each([['randomized', false], ['exact', false], ['randomized', true]] as const)(
    '%s SVD (fanInFanOut %s): the same adapters as concurrency 1, W\' + s·B·A = W, progress for every module', async (svd, ffo) => {
      const tr = (t: Tensor) => Tensor.fromFloat64(((d, [r, c]) => Float64Array.from({ length: r * c }, (_, k) => d[(k % r) * c + Math.floor(k / r)]))(t.toFloat64(), t.shape), [t.shape[1], t.shape[0]], 'f32');
      const Ws = ffo ? Object.fromEntries(Object.entries(Wb).map(([m, t]) => [m, tr(t)])) : Wb;
      const Gs = ffo ? Object.fromEntries(Object.entries(Gb).map(([m, t]) => [m, tr(t)])) : Gb;
      const c = { rank: 4, alpha: 8, svd, seed: 5, fanInFanOut: ffo };
      const events: string[] = [];
      const one = await initAdapters(Ws, Gs, c);
      const three = await initAdapters(Ws, Gs, { ...c, concurrency: 3, onProgress: (e) => events.push(`${e.phase}${e.index}`) });
      expect(Object.keys(three.modules)).toEqual(Object.keys(big));
      for (const m of Object.keys(big)) {
        // Equal up to rounding: the batch runs BLAS single-threaded (svd-batched.test.ts).
        expect(rel(three.modules[m].A, one.modules[m].A)).toBeLessThan(1e-4);
        expect(rel(three.modules[m].B, one.modules[m].B)).toBeLessThan(1e-4);
        expect(rel(three.modules[m].W!, one.modules[m].W!)).toBeLessThan(1e-6);
        if (!ffo) expect(offsetInvariant(three.modules[m].W!, three.modules[m].A, three.modules[m].B, 2, Wb[m])).toBeLessThan(1e-6);
      }
      // A window's modules all start, then each is done in order.
      expect(events).toEqual(['start1', 'start2', 'start3', 'done1', 'done2', 'done3', 'start4', 'start5', 'start6', 'done4', 'done5', 'done6', 'start7', 'done7']);
    });

  test("precision 'f64' with f32 gradients: the window's SVDs run in float64 too, the same adapters as concurrency 1 to float64 rounding", async () => {
    // A and B asked in f64, so nothing rounds them to f32: float64 SVDs (batched or not) agree to ~1e-13, while an
    // SVD in float32 would be off by ~1e-6 relative.
    const names = ['a', 'b', 'c'];
    const Ws = Object.fromEntries(names.map((m) => [m, Wb[m]])), Gs = Object.fromEntries(names.map((m) => [m, Gb[m]]));
    const c = { rank: 4, alpha: 8, seed: 5, precision: 'f64' as const, dtype: 'f64' as const };
    const one = await initAdapters(Ws, Gs, c), three = await initAdapters(Ws, Gs, { ...c, concurrency: 3 });
    for (const m of names) {
      expect(rel(three.modules[m].A, one.modules[m].A)).toBeLessThan(1e-10);
      expect(rel(three.modules[m].B, one.modules[m].B)).toBeLessThan(1e-10);
    }
  });

  test.each(['exact', 'randomized'] as const)('%s SVD: modules whose SVDs differ in size in one window (one with min(out, in) = 2r) each get their own, as with concurrency 1', async (svd) => {
    // r = 2: x [4, 12] has only 2r = 4 singular values (k = 4, no room to oversample); y and z have 2r + 1 (k = 5).
    const Ws = { x: randTensor([4, 12], 60).t, y: randTensor([12, 10], 61).t, z: randTensor([20, 16], 62).t };
    const Gs = { x: randTensor([4, 12], 63).t, y: randTensor([12, 10], 64).t, z: randTensor([20, 16], 65).t };
    const c = { rank: 2, alpha: 4, svd, seed: 3 };
    const one = await initAdapters(Ws, Gs, c), three = await initAdapters(Ws, Gs, { ...c, concurrency: 3 });
    for (const m of ['x', 'y', 'z']) {
      expect(three.modules[m].report!.sigma.length).toBe(one.modules[m].report!.sigma.length);
      // Equal up to rounding: the batch runs BLAS single-threaded (svd-batched.test.ts).
      expect(rel(three.modules[m].A, one.modules[m].A)).toBeLessThan(1e-4);
      expect(rel(three.modules[m].B, one.modules[m].B)).toBeLessThan(1e-4);
    }
    expect(three.modules.x.report!.sigma.length).toBe(4);
    expect(three.modules.y.report!.sigma.length).toBe(5);
  });

  test('a NaN in one G names that module; an abort between windows is LoraAbortError; loaders work with windows', async () => {
    const bad = { ...Gb, e: Gb.e.clone() };
    bad.e.data[3] = NaN;
    await expect(initAdapters(Wb, bad, { rank: 4, alpha: 8, concurrency: 3 })).rejects.toThrow(/module 'e'.*NaN/);
    const ac = new AbortController();
    let done = 0;
    const p = initAdapters(Wb, Gb, { rank: 4, alpha: 8, concurrency: 3, signal: ac.signal, onProgress: (e) => { if (e.phase === 'done' && ++done === 3) ac.abort(); } });
    await expect(p).rejects.toThrow(LoraAbortError);
    expect(done).toBe(3);
    const loaded: string[] = [], got: string[] = [];
    await initAdapters({ names: Object.keys(Wb), load: (m) => { loaded.push(m); return Wb[m].clone(); } }, { names: Object.keys(Gb), load: (m: string) => Gb[m].clone() } as never,
      { rank: 4, alpha: 8, concurrency: 4, keepResults: false, onModule: (m) => { got.push(m); } });
    expect(loaded).toEqual(Object.keys(big));
    expect(got).toEqual(Object.keys(big));
  });

  test("a module's own error in a window (a NaN G, W and G of different shapes) names that module alone, once, and keeps its type", async () => {
    const bad = { ...Gb, e: Gb.e.clone() };
    bad.e.data[3] = NaN;
    const nan = await initAdapters(Wb, bad, { rank: 4, alpha: 8, concurrency: 3 }).catch((e: Error) => e);
    expect(nan).toBeInstanceOf(LoraValueError);
    expect((nan as Error).message).toBe("module 'e': initLoraGA G: [64, 64] f32 contains NaN or Inf");
    const shape = await initAdapters(Wb, { ...Gb, e: randTensor([64, 32], 1).t }, { rank: 4, alpha: 8, concurrency: 3 }).catch((e: Error) => e);
    expect(shape).toBeInstanceOf(LoraShapeError);
    expect((shape as Error).message).toBe("module 'e': initLoraGA: W [64, 64] f32 and G [64, 32] f32 must have the same shape");
  });

  test('in a window, a G with the wrong number of rows is refused like one with the wrong number of columns', async () => {
    const rows = await initAdapters(Wb, { ...Gb, e: randTensor([32, 64], 2).t }, { rank: 4, alpha: 8, concurrency: 3 }).catch((e: Error) => e);
    expect(rows).toBeInstanceOf(LoraShapeError);
    expect((rows as Error).message).toBe("module 'e': initLoraGA: W [64, 64] f32 and G [32, 64] f32 must have the same shape");
  });

  test("an abort inside a window stops before the window's next module and disposes the weights loaded for the rest of the window", async () => {
    const ac = new AbortController();
    const loaded: Tensor[] = [], events: string[] = [], got: string[] = [];
    const model = { names: Object.keys(Wb), load: (m: string) => { const w = Wb[m].clone(); loaded.push(w); return w; } };
    const p = initAdapters(model, Gb, {
      rank: 4, alpha: 8, concurrency: 3, signal: ac.signal, onModule: (m) => { got.push(m); },
      onProgress: (e) => { events.push(`${e.phase}${e.index}`); if (e.phase === 'done' && e.index === 1) ac.abort(); },
    });
    await expect(p).rejects.toThrow(LoraAbortError);
    expect(events).toEqual(['start1', 'start2', 'start3', 'done1']);
    expect(got).toEqual(['a']);
    // a's W was replaced by its W′; b's and c's were loaded for the window and never used
    expect(loaded.map((w) => w.disposed)).toEqual([true, true, true]);
  });

  test("an abort that comes after the loop's check for a window's last module is seen by that module's own init (it gets the signal): LoraAbortError", async () => {
    // setImmediate runs once a's init has resolved and the loop has passed its abort check for b and started b's
    // first step (microtasks only in between), before that step's result comes back: only b's init can then notice.
    // Without the signal, b would finish and the run resolve with both modules.
    const ac = new AbortController();
    const got: string[] = [];
    const names = ['a', 'b'];
    const p = initAdapters(Object.fromEntries(names.map((m) => [m, Wb[m]])), Object.fromEntries(names.map((m) => [m, Gb[m]])), {
      rank: 4, alpha: 8, concurrency: 2, signal: ac.signal,
      onModule: (m) => { got.push(m); if (m === 'a') setImmediate(() => ac.abort()); },
    });
    await expect(p).rejects.toThrow(LoraAbortError);
    expect(got).toEqual(['a']);
  });

  test('an abort as a window ends stops before the next window: none of its modules is loaded or announced', async () => {
    const ac = new AbortController();
    const loaded: string[] = [], events: string[] = [];
    const model = { names: Object.keys(Wb), load: (m: string) => { loaded.push(m); return Wb[m].clone(); } };
    const p = initAdapters(model, Gb, {
      rank: 4, alpha: 8, concurrency: 3, signal: ac.signal,
      onModule: (m) => { if (m === 'c') ac.abort(); }, onProgress: (e) => { events.push(`${e.phase}${e.index}`); },
    });
    await expect(p).rejects.toThrow(LoraAbortError);
    expect(loaded).toEqual(['a', 'b', 'c']);
    expect(events).toEqual(['start1', 'start2', 'start3', 'done1', 'done2', 'done3']);
  });

  test('concurrency is LoRA-GA from G only, and a positive integer', async () => {
    for (const method of ['lora-one', 'pissa', 'lora'] as const)
      await expect(initAdapters(Wb, Gb, { rank: 4, alpha: 8, method, concurrency: 2 })).rejects.toThrow(/concurrency > 1 is for LoRA-GA/);
    for (const bad of [0, 1.5, -2, NaN])
      await expect(initAdapters(Wb, Gb, { rank: 4, alpha: 8, concurrency: bad })).rejects.toThrow(LoraValueError);
    // 1 is the default and allowed for every method
    await expect(initAdapters(Wb, null, { rank: 4, alpha: 8, method: 'lora', concurrency: 1 })).resolves.toBeDefined();
  });
});

describe('initAdapters refuses a run it cannot do, before any work, saying why', () => {
  const est = () => {
    const e = new GradientEstimator();
    for (const [m, [o, i]] of Object.entries(shapes)) e.register(m, o, i).setGradient(m, G[m]);
    return e;
  };

  test.each([
    ['no model', () => initAdapters(null as never, G, cfg), /^initAdapters: model must be a record of weights or a loader$/],
    ['an unknown method', () => initAdapters(W, G, { ...cfg, method: 'dora' as never }), /^initAdapters: unknown method "dora"$/],
    ["svd 'sketch' with PiSSA", () => initAdapters(W, null, { ...cfg, method: 'pissa', svd: 'sketch' as never }), /^initAdapters: svd 'sketch' is for method 'loraga' \(got 'pissa'\)$/],
    ['LoRA-One without gradients', () => initAdapters(W, null, { ...cfg, method: 'lora-one' }), /^initAdapters: LoRA-GA and LoRA-One need gradients \(a GradientEstimator or a record of G\)$/],
    ['an estimator without some targets', () => initAdapters(W, new GradientEstimator().register('l0.q', 24, 16).setGradient('l0.q', G['l0.q']), cfg),
      /^initAdapters: the estimator has no gradient for l0\.up, l0\.down, l1\.q$/],
    ['an estimator of the other layout', () => initAdapters(W, est(), { ...cfg, fanInFanOut: true }), /^initAdapters: fanInFanOut is true but the estimator registered l0\.q, l0\.up, l0\.down, l1\.q with fanInFanOut false$/],
    ["svd 'sketch' with an estimator without sketches", () => initAdapters(W, est(), { ...cfg, svd: 'sketch' }), /^initAdapters: svd 'sketch' needs every target registered with a sketch; not: l0\.q, l0\.up, l0\.down, l1\.q$/],
    ["svd 'sketch' with a record of G", () => initAdapters(W, G, { ...cfg, svd: 'sketch' }), /^initAdapters: svd 'sketch' needs a GradientEstimator whose targets were registered with a sketch$/],
    ['a bad LoRA-GA option', () => initAdapters(W, G, { ...cfg, direction: 'sideways' as never }), /direction/],
    ['a bad seed', () => initAdapters(W, null, { ...cfg, method: 'lora', seed: -1 }), /^initAdapters seed: expected a non-negative integer, got -1$/],
    ['a fanInFanOut that is not a boolean', () => initAdapters(W, null, { ...cfg, method: 'lora', fanInFanOut: 'yes' as never }), /^initAdapters fanInFanOut: expected a boolean, got "yes"$/],
    ['a concurrency that is not a positive integer', () => initAdapters(W, null, { ...cfg, method: 'lora', concurrency: 0 }), /^initAdapters concurrency: expected a positive integer, got 0$/],
    ['concurrency > 1 with PiSSA', () => initAdapters(W, null, { ...cfg, method: 'pissa', concurrency: 2 }),
      /^initAdapters: concurrency > 1 is for LoRA-GA from G \(got method 'pissa'\); leave it at 1$/],
    ["concurrency > 1 with svd 'sketch'", () => initAdapters(W, G, { ...cfg, svd: 'sketch', concurrency: 2 }),
      /^initAdapters: concurrency > 1 is for LoRA-GA from G \(got method 'loraga' with svd 'sketch'\); leave it at 1$/],
  ])('%s', async (_, run, msg) => {
    await expect(run()).rejects.toThrow(LoraValueError);
    await expect(run()).rejects.toThrow(msg);
  });

  test("svd 'sketch': sketches with passes left, or smaller than 2r + 1, are refused", async () => {
    const w = { m: W['l0.q'] };
    const X = randTensor([8, 16], 40).t, dY = randTensor([8, 24], 41).t;
    const open = new GradientEstimator().register('m', 24, 16, { sketch: { size: 8, passes: 2 } }).accumulate('m', X, dY);
    await expect(initAdapters(w, open, { ...cfg, svd: 'sketch' })).rejects.toThrow(
      /^initAdapters: the sketches of m have passes left \(call estimator\.nextPass\(\) after each pass over the batches\)$/);
    const small = new GradientEstimator().register('m', 24, 16, { sketch: { size: 4, passes: 1 } }).accumulate('m', X, dY);
    small.nextPass();
    await expect(initAdapters(w, small, { ...cfg, svd: 'sketch' })).rejects.toThrow(/^initAdapters: rank 2 needs sketches of size ≥ 2r \+ 1 = 5; smaller: m$/);
  });

  test('a weight that is not a 2-D tensor is a LoraShapeError naming the module and its layout', async () => {
    await expect(initAdapters({ m: Tensor.zeros([24]) }, null, { ...cfg, method: 'lora' })).rejects.toThrow(/^initAdapters: weight of 'm' must be a 2-D \[out, in\] tensor$/);
    await expect(initAdapters({ m: [1, 2] as never }, null, { ...cfg, method: 'lora', fanInFanOut: true })).rejects.toThrow(/^initAdapters: weight of 'm' must be a 2-D \[in, out\] tensor$/);
  });

  test('an error inside one module is re-thrown with its type, naming the module', async () => {
    await expect(initAdapters({ m: W['l0.q'] }, { m: G['l0.up'] }, cfg)).rejects.toThrow(/^module 'm': /);
  });

  test('an abort before the first module: LoraAbortError saying when, for every method', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(initAdapters(W, G, { ...cfg, signal: ac.signal })).rejects.toThrow(/^initAdapters: aborted after \d+\.\d\d s$/);
    await expect(initAdapters(W, null, { ...cfg, method: 'lora', signal: ac.signal })).rejects.toThrow(LoraAbortError);
  });

  test('method lora of a fan-in-fan-out W: A [r, in], B [out, r] from W [in, out]; the dtype follows an f64 W', async () => {
    const r = await initAdapters({ m: Tensor.zeros([16, 24], 'f64') }, null, { ...cfg, method: 'lora', fanInFanOut: true });
    expect({ A: r.modules.m.A.shape, B: r.modules.m.B.shape, dtype: r.modules.m.A.dtype }).toEqual({ A: [2, 16], B: [24, 2], dtype: 'f64' });
  });

  test('releaseGradients frees each module\'s accumulated gradient once its init is done', async () => {
    const e = new GradientEstimator();
    e.register('m', 24, 16).accumulate('m', randTensor([8, 16], 42).t, randTensor([8, 24], 43).t);
    expect(e.bytes('m')).toBe(24 * 16 * 4);
    await initAdapters({ m: W['l0.q'] }, e, { ...cfg, releaseGradients: true });
    expect(e.bytes('m')).toBe(0);
  });
});

describe("svd 'sketch': each module from its estimator's sketch", () => {
  const sketched = (names: string[], size: number, passes = 1) => {
    const e = new GradientEstimator();
    names.forEach((m, k) => e.register(m, 24, 16, { sketch: { size, passes } }).accumulate(m, randTensor([8, 16], 60 + k).t, randTensor([8, 24], 70 + k).t));
    return e;
  };
  const weights = { a: W['l0.q'], b: W['l1.q'] };

  test('the refusals name every module concerned', async () => {
    await expect(initAdapters(weights, sketched(['a', 'b'], 8, 2), { ...cfg, svd: 'sketch' })).rejects.toThrow(
      /^initAdapters: the sketches of a, b have passes left \(call estimator\.nextPass\(\) after each pass over the batches\)$/);
    const small = sketched(['a', 'b'], 4);
    small.nextPass();
    await expect(initAdapters(weights, small, { ...cfg, svd: 'sketch' })).rejects.toThrow(/^initAdapters: rank 2 needs sketches of size ≥ 2r \+ 1 = 5; smaller: a, b$/);
  });

  test('a sketch of exactly 2r + 1 is enough', async () => {
    const e = sketched(['a'], 5);
    e.nextPass();
    const res = await initAdapters({ a: weights.a }, e, { ...cfg, svd: 'sketch' });
    expect(res.modules.a.report!.method).toBe('sketch');
    expect(res.modules.a.A.shape).toEqual([2, 16]);
  });

  test("releaseGradients frees each module's sketch once its init is done; without it the sketches stay", async () => {
    const kept = sketched(['a', 'b'], 6), freed = sketched(['a', 'b'], 6);
    kept.nextPass(); freed.nextPass();
    const size = kept.bytes('a');
    expect(size).toBeGreaterThan(0);
    await initAdapters(weights, kept, { ...cfg, svd: 'sketch' });
    expect([kept.bytes('a'), kept.bytes('b')]).toEqual([size, size]);
    expect(kept.sketch('a').S.shape).toEqual([6]);
    await initAdapters(weights, freed, { ...cfg, svd: 'sketch', releaseGradients: true });
    expect([freed.bytes('a'), freed.bytes('b')]).toEqual([0, 0]);
  });

  test("a module's own error names the module and keeps its type; an abort during a module is initAdapters' abort", async () => {
    const e = sketched(['a', 'b'], 5);
    e.nextPass();
    const nan = weights.b.clone();
    nan.data[7] = NaN;
    await expect(initAdapters({ a: weights.a, b: nan }, e, { ...cfg, svd: 'sketch' })).rejects.toThrow(
      new LoraValueError("module 'b': initLoraGA W: [24, 16] f32 contains NaN or Inf"));
    // Aborted as module b starts: only b's own init (which gets the signal) can notice.
    const ac = new AbortController();
    const p = initAdapters(weights, e, { ...cfg, svd: 'sketch', signal: ac.signal, onProgress: (ev) => { if (ev.phase === 'start' && ev.module === 'b') ac.abort(); } });
    await expect(p).rejects.toThrow(LoraAbortError);
    await expect(p).rejects.toThrow(/^initAdapters: aborted after \d+\.\d\d s$/);
  });
});

describe('GradientEstimator refuses misuse with typed errors that say what is wrong', () => {
  test('construction and registration', () => {
    expect(() => new GradientEstimator({ dtype: 'bf16' as never })).toThrow(new LoraValueError('GradientEstimator: dtype must be f32 or f64, got bf16'));
    expect(new GradientEstimator({ dtype: 'f64' }).register('m', 2, 2).accumulate('m', Tensor.zeros([1, 2], 'f64'), Tensor.zeros([1, 2], 'f64')).gradient('m').dtype).toBe('f64');
    const e = new GradientEstimator().register('m', 3, 2);
    expect(() => e.register('', 3, 2)).toThrow(new LoraValueError('GradientEstimator.register: name must be a non-empty string'));
    expect(() => e.register(7 as never, 3, 2)).toThrow(/name must be a non-empty string/);
    expect(() => e.register('m', 3, 2)).toThrow(new LoraValueError("GradientEstimator.register: 'm' is already registered"));
    expect(() => e.register('n', 3, 2, { fanInFanOut: 1 as never })).toThrow(new LoraValueError("GradientEstimator.register 'n': fanInFanOut must be a boolean"));
    expect(() => e.register('n', 3, 2, { fan_in_fan_out: true } as never)).toThrow(new LoraValueError(`GradientEstimator.register 'n': unknown option "fan_in_fan_out"`));
    expect(() => e.register('n', 0, 2)).toThrow(/register 'n' out/);
    expect(() => e.register('n', 3, 1.5)).toThrow(/register 'n' in/);
    // null options are no options, as undefined: [out, in] layout, no sketch
    const n = new GradientEstimator().register('p', 3, 2, null as never);
    expect({ ffo: n.fanInFanOut('p'), pass: n.pass('p'), shape: n.shape('p') }).toEqual({ ffo: false, pass: 0, shape: [3, 2] });
    expect({ modules: e.modules, shape: e.shape('m'), batches: e.batches('m'), pass: e.pass('m'), bytes: e.bytes('m') }).toEqual({ modules: ['m'], shape: [3, 2], batches: 0, pass: 0, bytes: 0 });
    expect(() => new GradientEstimator().gradient('x')).toThrow(new LoraValueError("GradientEstimator: unknown module 'x' (registered: none)"));
    expect(() => e.gradient('x')).toThrow(new LoraValueError("GradientEstimator: unknown module 'x' (registered: m)"));
  });

  test('gradients: none before a batch; a ready G of the right shape only, and not after batches; fanInFanOut takes [in, out]', () => {
    const e = new GradientEstimator().register('m', 3, 2).register('t', 3, 2, { fanInFanOut: true });
    expect(() => e.gradient('m')).toThrow(new LoraValueError("GradientEstimator: no batches accumulated for 'm'"));
    expect(() => e.setGradient('m', Tensor.zeros([2, 3]))).toThrow(new LoraShapeError("GradientEstimator.setGradient 'm': G [2, 3] f32 must be [3, 2]"));
    expect(() => e.setGradient('m', Tensor.zeros([3, 2, 1]))).toThrow(LoraShapeError);
    expect(() => e.setGradient('m', Tensor.zeros([3, 3]))).toThrow(LoraShapeError);
    expect(() => e.setGradient('m', Tensor.zeros([2, 2]))).toThrow(LoraShapeError);
    const gone = Tensor.zeros([3, 2]);
    gone.dispose();
    expect(() => e.setGradient('m', gone)).toThrow(/setGradient 'm' G/);
    expect(() => e.setGradient('t', Tensor.zeros([3, 2]))).toThrow(new LoraShapeError("GradientEstimator.setGradient 't': G [3, 2] f32 must be [2, 3] (fanInFanOut: [in, out], as its W)"));
    const Gt = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    e.setGradient('t', Gt);
    expect(e.gradient('t')).toBe(Gt);
    expect(e.bytes('t')).toBe(24);
    e.accumulate('m', Tensor.from([1, 0], [1, 2]), Tensor.from([1, 2, 3], [1, 3]));
    expect(() => e.setGradient('m', Tensor.zeros([3, 2]))).toThrow(new LoraValueError("GradientEstimator.setGradient 'm': batches were already accumulated"));
    e.release('m');
    expect(e.bytes('m')).toBe(0);
  });

  test('accumulated fan-in-fan-out gradients come out [in, out]: the transpose of the same mean', () => {
    const e = new GradientEstimator().register('m', 3, 2).register('t', 3, 2, { fanInFanOut: true });
    const X = Tensor.from([1, 2, 3, 4], [2, 2]), dY = Tensor.from([1, 0, 2, 0, 1, 1], [2, 3]);
    e.accumulate('m', X, dY).accumulate('t', X, dY);
    const g = Array.from(e.gradient('m').data), gt = e.gradient('t');
    expect(gt.shape).toEqual([2, 3]);
    expect(Array.from(gt.data)).toEqual([g[0], g[2], g[4], g[1], g[3], g[5]]);
  });

  test('dY and X must agree with the registered shape and with each other in tokens; tokens may have more dimensions', () => {
    const e = new GradientEstimator().register('m', 3, 2);
    expect(() => e.accumulate('m', Tensor.zeros([4, 2]), Tensor.zeros([5, 3]))).toThrow(
      new LoraShapeError("GradientEstimator 'm' (W [3, 2]): X [4, 2] f32 must be [tokens, 2] and dY [5, 3] f32 [tokens, 3] with the same tokens"));
    expect(() => e.accumulate('m', Tensor.zeros([4, 2]), Tensor.zeros([4, 4]))).toThrow(LoraShapeError);
    expect(() => e.accumulate('m', Tensor.zeros([2]), Tensor.zeros([3]))).toThrow(LoraShapeError);
    e.accumulate('m', Tensor.from([1, 0, 0, 1], [2, 1, 2]), Tensor.from([1, 0, 0, 0, 1, 0], [2, 1, 3]));
    expect(Array.from(e.gradient('m').data)).toEqual([1, 0, 0, 1, 0, 0]);
  });

  test('sketched modules: no G, no ready G; sketch() only of a sketched module; nextPass() only while a pass is left', () => {
    const e = new GradientEstimator().register('s', 6, 5, { sketch: { size: 3, passes: 1 } }).register('m', 6, 5);
    expect(() => e.gradient('s')).toThrow(new LoraValueError("GradientEstimator.gradient: 's' is sketched, G is never formed: use sketch('s') or initAdapters with svd 'sketch'"));
    expect(() => e.setGradient('s', Tensor.zeros([6, 5]))).toThrow(new LoraValueError("GradientEstimator.setGradient 's': registered with a sketch (G is never formed)"));
    expect(() => e.sketch('m')).toThrow(new LoraValueError("GradientEstimator.sketch: 'm' was registered without a sketch"));
    e.accumulate('s', randTensor([4, 5], 44).t, randTensor([4, 6], 45).t);
    expect(e.pass('s')).toBe(1);
    expect(e.bytes('s')).toBeGreaterThan(0);
    expect(e.nextPass()).toBe(2);
    expect(() => e.sketch('s', 0)).toThrow(/GradientEstimator\.sketch 's' used/);
    expect(() => e.nextPass()).toThrow(new LoraValueError('GradientEstimator.nextPass: no sketched module has a pass left'));
  });

  test('a failed async accumulation is not counted', async () => {
    const e = new GradientEstimator().register('m', 3, 2);
    const X = Tensor.zeros([1, 2]);
    X.dispose();
    await expect(e.accumulateAsync('m', X, Tensor.zeros([1, 3]))).rejects.toThrow();
    expect(e.batches('m')).toBe(0);
  });
});

describe('progress times and estimator memory', () => {
  test('seconds are wall-clock seconds since the start: growing, and never more than the run took', async () => {
    const seen: number[] = [];
    const t0 = Date.now();
    const res = await initAdapters(W, G, { ...cfg, onProgress: (p) => { seen.push(p.seconds); } });
    const wall = (Date.now() - t0) / 1000;
    expect(seen.length).toBe(8);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(seen[0]).toBeGreaterThanOrEqual(0);
    expect(res.seconds).toBeGreaterThanOrEqual(seen[seen.length - 1]);
    expect(res.seconds).toBeLessThanOrEqual(wall + 0.01);
  });

  test('bytes(): what the accumulator or the ready gradient holds, at its element size', () => {
    const e = new GradientEstimator({ dtype: 'f64' }).register('acc', 3, 2).register('half', 3, 2);
    e.accumulate('acc', Tensor.zeros([1, 2], 'f64'), Tensor.zeros([1, 3], 'f64'));
    expect(e.bytes('acc')).toBe(6 * 8);
    e.setGradient('half', Tensor.zeros([3, 2], 'bf16'));
    expect(e.bytes('half')).toBe(6 * 2);
  });

  test('initPiSSAAsync, initLoraOneAsync and initLoraGAAsync aborted: LoraAbortError naming the init', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(initLoraGAAsync(W['l0.q'], G['l0.q'], { rank: 2, alpha: 4 }, { signal: ac.signal })).rejects.toThrow(new LoraAbortError('initLoraGA: aborted'));
    await expect(initPiSSAAsync(W['l0.q'], { rank: 2, alpha: 4 }, { signal: ac.signal })).rejects.toThrow(new LoraAbortError('initPiSSA: aborted'));
    await expect(initLoraOneAsync(G['l0.q'], { rank: 2, alpha: 4 }, { signal: ac.signal })).rejects.toThrow(new LoraAbortError('initLoraOne: aborted'));
  });
});

describe('GradientEstimator after a refused batch', () => {
  test.each(['accumulate', 'accumulateAsync'] as const)('%s refusing a NaN batch leaves no batch counted: gradient() says so instead of returning G·∞ or NaN', async (how) => {
    const est = new GradientEstimator().register('m', 2, 3);
    const X = Tensor.from(new Float32Array([1, NaN, 0]), [1, 3]), dY = Tensor.from(new Float32Array([1, 1]), [1, 2]);
    if (how === 'accumulate') expect(() => est.accumulate('m', X, dY)).toThrow(LoraValueError);
    else await expect(est.accumulateAsync('m', X, dY)).rejects.toThrow(LoraValueError);
    expect(est.batches('m')).toBe(0);
    expect(() => est.gradient('m')).toThrow(new LoraValueError("GradientEstimator: no batches accumulated for 'm'"));
  });
});

describe('initAdapters checks its options before loading anything', () => {
  test('a bad LoRA-GA option is refused before the first weight or gradient is loaded', async () => {
    const loaded: string[] = [];
    const model = { names: Object.keys(W), load: (m: string) => { loaded.push(`W ${m}`); return W[m].clone(); } };
    const grads = { names: Object.keys(G), load: (m: string) => { loaded.push(`G ${m}`); return G[m].clone(); } };
    await expect(initAdapters(model, grads, { ...cfg, gamma: -1 })).rejects.toThrow(LoraValueError);
    expect(loaded).toEqual([]);
  });

  test("a target that matches no module is refused naming the option 'initAdapters targets'", async () => {
    await expect(initAdapters(W, G, { ...cfg, targets: ['zz'] })).rejects.toThrow(
      new LoraValueError('initAdapters targets: zz matched no module (a target is a full module name or a dotted suffix of one, as in PEFT); available: l0.q, l0.up, l0.down, l1.q'));
  });
});

describe('GradientEstimator: a batch must be [tokens, features]', () => {
  // A 1-D X or dY is one token-column, not a batch: refused even where its length happens to fit.
  test('a 1-D X or dY is refused, even when the registered width is 1', () => {
    const e = new GradientEstimator().register('x1', 3, 1).register('y1', 1, 2);
    expect(() => e.accumulate('x1', Tensor.zeros([4]), Tensor.zeros([4, 3]))).toThrow(
      new LoraShapeError("GradientEstimator 'x1' (W [3, 1]): X [4] f32 must be [tokens, 1] and dY [4, 3] f32 [tokens, 3] with the same tokens"));
    expect(() => e.accumulate('y1', Tensor.zeros([4, 2]), Tensor.zeros([4]))).toThrow(
      new LoraShapeError("GradientEstimator 'y1' (W [1, 2]): X [4, 2] f32 must be [tokens, 2] and dY [4] f32 [tokens, 1] with the same tokens"));
    expect(e.batches('x1')).toBe(0);
    expect(e.batches('y1')).toBe(0);
  });

  test('a dY wider than the registered out is refused with the registered shape in the message', () => {
    const e = new GradientEstimator().register('m', 3, 2);
    expect(() => e.accumulate('m', Tensor.zeros([4, 2]), Tensor.zeros([4, 4]))).toThrow(
      new LoraShapeError("GradientEstimator 'm' (W [3, 2]): X [4, 2] f32 must be [tokens, 2] and dY [4, 4] f32 [tokens, 3] with the same tokens"));
  });
});

describe('GradientEstimator.release of a sketched module', () => {
  test("release frees the module's sketch: bytes() drops to 0 (as for an accumulator), and its factors or another batch are a LoraDisposedError naming the module", () => {
    const e = new GradientEstimator().register('s', 6, 5, { sketch: { size: 3, passes: 1 } });
    e.accumulate('s', randTensor([4, 5], 44).t, randTensor([4, 6], 45).t);
    e.nextPass();
    expect(e.sketch('s').S.shape).toEqual([3]);
    expect(e.bytes('s')).toBeGreaterThan(0);
    e.release('s');
    expect(e.bytes('s')).toBe(0);
    expect(() => e.sketch('s')).toThrow(new LoraDisposedError("GradientEstimator.sketch: 's' was released"));
    expect(() => e.accumulate('s', randTensor([4, 5], 46).t, randTensor([4, 6], 47).t)).toThrow(new LoraDisposedError("GradientEstimator.accumulate 's': its sketch was released"));
  });

  test('a released sketched module takes no part in nextPass: the others go on to their next pass', () => {
    const e = new GradientEstimator().register('a', 6, 5, { sketch: { size: 2, passes: 2 } }).register('b', 6, 5, { sketch: { size: 2, passes: 2 } });
    for (const n of ['a', 'b']) e.accumulate(n, randTensor([4, 5], 50).t, randTensor([4, 6], 51).t);
    e.release('a');
    expect(e.nextPass()).toBe(2);
    expect([e.pass('a'), e.pass('b')]).toEqual([1, 2]);
  });
});
