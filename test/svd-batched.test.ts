// svdBatched: many SVDs in one call must give what one svd per matrix gives (seed + i, or seeds[i], for matrix i),
// up to rounding: on the CPU the batch runs a thread per core with single-threaded BLAS, and LAPACK's blocked steps
// sum in another order than with the default thread count (measured: σ 4e-7, vectors 3e-5 relative on 300×200).
import { LoraShapeError, LoraValueError, Tensor, svd, svdBatched, svdBatchedAsync } from '../lib';
import { native } from '../lib/native';
import { runChild } from './helpers/child';
import { randTensor, relErr } from './helpers/ref';

/** Same triplets up to f32 rounding; each singular pair may flip sign together (columns of U with rows of Vt). */
function expectSameSvd(a: { U: Tensor; S: Tensor; Vt: Tensor }, b: { U: Tensor; S: Tensor; Vt: Tensor }) {
  expect(relErr(a.S.toFloat64(), b.S.toFloat64())).toBeLessThan(1e-5);
  const [m, k] = a.U.shape, n = a.Vt.shape[1];
  const au = a.U.toFloat64(), bu = b.U.toFloat64(), av = a.Vt.toFloat64(), bv = b.Vt.toFloat64();
  for (let j = 0; j < k; j++) {
    let d = 0;
    for (let i = 0; i < m; i++) d += au[i * k + j] * bu[i * k + j];
    const sign = Math.sign(d);
    let eu = 0, ev = 0;
    for (let i = 0; i < m; i++) eu = Math.max(eu, Math.abs(au[i * k + j] - sign * bu[i * k + j]));
    for (let i = 0; i < n; i++) ev = Math.max(ev, Math.abs(av[j * n + i] - sign * bv[j * n + i]));
    expect(Math.max(eu, ev)).toBeLessThan(1e-3);   // well-separated top σ of a Gaussian matrix: ≤ 3e-5 measured
  }
}

const shapes: [number, number][] = [[40, 30], [25, 60], [50, 50]];

describe('svdBatched', () => {
  const big: [number, number][] = [...shapes, [300, 200], [200, 300], [64, 64], [90, 40]];
  test.each(['exact', 'randomized'] as const)('%s: each result equals the single-matrix svd (seed + i) up to rounding', (method) => {
    const Ms = big.map(([m, n], i) => randTensor([m, n], 50 + i).t);
    const batch = svdBatched(Ms, { k: 6, method, seed: 9 });
    Ms.forEach((M, i) => expectSameSvd(batch[i], svd(M, { k: 6, method, seed: 9 + i })));
  });

  test('seeds: matrix i draws with seeds[i]; seeds with seed, or of the wrong length, is a LoraValueError', () => {
    const Ms = big.map(([m, n], i) => randTensor([m, n], 70 + i).t);
    const seeds = [5, 123456789, 0, 42, 7, 7, 2 ** 40];
    // No power iterations or oversampling: the result depends on the draw, so the right seed is visible.
    const o = { k: 5, method: 'randomized' as const, powerIters: 0, oversample: 0 };
    const batch = svdBatched(Ms, { ...o, seeds });
    Ms.forEach((M, i) => {
      expectSameSvd(batch[i], svd(M, { ...o, seed: seeds[i] }));
      expect(relErr(batch[i].S.toFloat64(), svd(M, { ...o, seed: seeds[i] + 1 }).S.toFloat64())).toBeGreaterThan(1e-3);
    });
    expect(() => svdBatched(Ms, { seeds, seed: 1 })).toThrow(LoraValueError);
    expect(() => svdBatched(Ms, { seeds: seeds.slice(1) })).toThrow(/one per matrix/);
    expect(() => svdBatched(Ms, { seeds: seeds.map((s, i) => (i === 2 ? -1 : s)) })).toThrow(/seeds\[2\]/);
  });

  test('a NaN in one matrix (of a batch run on several threads): LoraValueError naming it', () => {
    const Ms = big.map(([m, n], i) => randTensor([m, n], 80 + i).t);
    const nan = Ms[5].clone();
    nan.data[17] = NaN;
    expect(() => svdBatched([...Ms.slice(0, 5), nan, ...Ms.slice(6)], { k: 4, method: 'randomized' })).toThrow(/M\[5\] holds NaN/);
  });

  test('the batch (single-threaded BLAS per worker) restores BLAS\'s thread count after, also when a job fails (a fresh process)', () => {
    const r = runChild(`
      const threads = () => /threads (\\d+)/.exec(L.backends()[0].details)[1];
      const Ms = [0, 1, 2].map((i) => L.Tensor.randn([60, 40], 'f32', 'cpu', i));
      const out = [threads()];
      L.svdBatched(Ms, { k: 3, method: 'randomized' });
      out.push(threads());
      const huge = Ms[1].clone(); huge.data.fill(3e37);
      try { L.svdBatched([Ms[0], huge, Ms[2]], { k: 3, method: 'randomized' }); } catch (e) { out.push(e.name); }
      out.push(threads());
      console.log(out.join(','));`);
    const [before, ...after] = r.stdout.trim().split(',');
    expect(after).toEqual([before, 'LoraValueError', before]);
  });

  test('a failure inside one worker thread (a randomized product overflowing f32) is that LoraValueError; the next batch runs', () => {
    const Ms = big.map(([m, n], i) => randTensor([m, n], 90 + i).t);
    const huge = Ms[4].clone();
    huge.data.fill(3e37);
    expect(() => svdBatched([...Ms.slice(0, 4), huge, ...Ms.slice(5)], { k: 4, method: 'randomized' })).toThrow(/overflowed/);
    // and the next batch runs normally
    svdBatched(Ms, { k: 4, method: 'randomized' }).forEach((r, i) => expectSameSvd(r, svd(Ms[i], { k: 4, method: 'randomized', seed: i })));
  });

  test('all or nothing: when a later job fails, the earlier jobs\' outputs are left as they were (the raw binding, sync)', () => {
    // Found by the N-API fuzz: the overflow of job 2 is found while it runs, after jobs 0 and 1 had written theirs.
    const Ms = [randTensor([30, 20], 1).t, randTensor([25, 20], 2).t, randTensor([30, 20], 3).t];
    Ms[2].data.fill(3e37);
    const out = Ms.map((M) => ({ U: Tensor.zeros([M.shape[0], 3]), S: Tensor.zeros([3]), Vt: Tensor.zeros([3, 20]) }));
    out.forEach((o) => { o.U.data.fill(7); o.S.data.fill(7); o.Vt.data.fill(7); });
    expect(() => native.svdBatched(Ms, out.map((o) => o.U), out.map((o) => o.S), out.map((o) => o.Vt), 1, 2, 1, 0, false)).toThrow(LoraValueError);
    for (const o of out) for (const t of [o.U, o.S, o.Vt]) expect(Array.from(t.data).every((x) => x === 7)).toBe(true);
    // The same call without the bad job writes every output.
    native.svdBatched(Ms.slice(0, 2), out.slice(0, 2).map((o) => o.U), out.slice(0, 2).map((o) => o.S), out.slice(0, 2).map((o) => o.Vt), 1, 2, 1, 0, false);
    expectSameSvd({ U: out[1].U, S: out[1].S, Vt: out[1].Vt }, svd(Ms[1], { k: 3, method: 'randomized', oversample: 2, powerIters: 1, seed: 1 }));
  });

  test('all or nothing, async: the rejected batch writes none of its outputs back (they are private copies until it succeeds)', async () => {
    const Ms = [randTensor([30, 20], 1).t, randTensor([30, 20], 3).t];
    Ms[1].data.fill(3e37);
    const out = Ms.map((M) => ({ U: Tensor.zeros([M.shape[0], 3]), S: Tensor.zeros([3]), Vt: Tensor.zeros([3, 20]) }));
    out.forEach((o) => { o.U.data.fill(7); o.S.data.fill(7); o.Vt.data.fill(7); });
    await expect(native.svdBatched(Ms, out.map((o) => o.U), out.map((o) => o.S), out.map((o) => o.Vt), 1, 2, 1, 0, true) as Promise<unknown>).rejects.toThrow(LoraValueError);
    for (const o of out) for (const t of [o.U, o.S, o.Vt]) expect(Array.from(t.data).every((x) => x === 7)).toBe(true);
  });

  test('async form resolves with the sync results', async () => {
    const Ms = shapes.map(([m, n], i) => randTensor([m, n], 60 + i).t);
    const a = svdBatched(Ms, { k: 4, method: 'randomized' }), b = await svdBatchedAsync(Ms, { k: 4, method: 'randomized' });
    b.forEach((r, i) => expect(Array.from(r.S.data)).toEqual(Array.from(a[i].S.data)));
  });

  test('an empty list, or a k too large for one matrix, is a LoraShapeError naming it', () => {
    expect(() => svdBatched([])).toThrow(LoraShapeError);
    const Ms = [Tensor.zeros([10, 10]), Tensor.zeros([3, 10])];
    expect(() => svdBatched(Ms, { k: 5 })).toThrow(/M\[1\]/);
  });
});
