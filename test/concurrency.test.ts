/**
 * Concurrency at the native boundary (issue 13): many async ops in flight at once on the same and on different
 * tensors give exactly what the sync ops give; disposing, transferring or scribbling on their tensors meanwhile is
 * safe; and a process with ops in flight exits without hanging. (test/ownership.test.ts has the single-op
 * scenarios: a view's owner disposed, a buffer transferred or shrunk, worker termination; these are the many-op
 * ones.) Process-level scenarios run in a child process with a timeout, so a hang or a crash fails one test.
 */
import {
  Tensor, gradAccumulateAsync, loraBackwardAsync, loraForwardAsync, matmul, matmulAsync, solve, solveAsync, svd, svdAsync,
  svdBatchedAsync,
} from '../lib';
import { describeChild, distBuilt, runChild } from './helpers/child';

const same = (a: Tensor, b: Tensor) => expect(Array.from(a.toFloat64())).toEqual(Array.from(b.toFloat64()));

describe('many async ops in flight at once', () => {
  test('64 ops on the SAME inputs (matmul, svd, solve, loraForward, svdBatched) equal the sync results exactly', async () => {
    const a = Tensor.randn([96, 80], 'f32', 'cpu', 1), b = Tensor.randn([80, 64], 'f32', 'cpu', 2);
    const sq = Tensor.randn([32, 32], 'f64', 'cpu', 3), rhs = Tensor.randn([32, 4], 'f64', 'cpu', 4);
    const W = Tensor.randn([48, 80], 'bf16', 'cpu', 5), A = Tensor.randn([4, 80], 'f32', 'cpu', 6), B = Tensor.randn([48, 4], 'f32', 'cpu', 7);
    const ref = { mm: matmul(a, b), s: svd(a, { k: 6 }), x: solve(sq, rhs) };
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 16; i++) {
      pending.push(matmulAsync(a, b).then((c) => same(c, ref.mm)));
      pending.push(svdAsync(a, { k: 6 }).then((r) => { same(r.S, ref.s.S); same(r.U, ref.s.U); }));
      pending.push(solveAsync(sq, rhs).then((x) => same(x, ref.x)));
      pending.push(loraForwardAsync(a, W, A, B, 2).then(async (y) => {
        const y2 = await loraForwardAsync(a, W, A, B, 2);
        same(y.y, y2.y);
      }));
    }
    pending.push(svdBatchedAsync([a, a, a], { k: 6 }).then((rs) => rs.forEach((r) => same(r.S, ref.s.S))));
    await Promise.all(pending);
    expect(Array.from(rhs.toFloat64())).toEqual(Array.from(Tensor.randn([32, 4], 'f64', 'cpu', 4).toFloat64()));  // inputs untouched
  });

  test('64 ops on DIFFERENT tensors at once, each equal to its sync twin', async () => {
    const jobs = Array.from({ length: 64 }, (_, i) => {
      const m = 20 + (i % 7) * 5, n = 10 + (i % 5) * 3;
      const M = Tensor.randn([m, n], i % 2 ? 'f32' : 'f64', 'cpu', 100 + i);
      return { M, ref: svd(M, { k: 3, method: i % 3 ? 'exact' : 'randomized', seed: i }).S, i };
    });
    await Promise.all(jobs.map(({ M, ref, i }) => svdAsync(M, { k: 3, method: i % 3 ? 'exact' : 'randomized', seed: i }).then((r) => same(r.S, ref))));
  });

  test('gradAccumulateAsync into 32 different G at once from shared dY and X; loraBackwardAsync alongside', async () => {
    const dY = Tensor.randn([64, 24], 'f32', 'cpu', 1), X = Tensor.randn([64, 16], 'f32', 'cpu', 2);
    const Gs = Array.from({ length: 32 }, () => Tensor.zeros([24, 16]));
    const W = Tensor.randn([24, 16], 'f32', 'cpu', 3), A = Tensor.randn([2, 16], 'f32', 'cpu', 4), B = Tensor.randn([24, 2], 'f32', 'cpu', 5);
    const back = Array.from({ length: 8 }, () => loraBackwardAsync(dY, X, W, A, B, 2));
    await Promise.all(Gs.map((G) => gradAccumulateAsync(G, dY, X)));
    const ref = matmul(dY, X, { transA: true });
    for (const G of Gs) same(G, ref);
    const r0 = await back[0];
    for (const p of back) same((await p).dA, r0.dA);
  });
});

describe('disposing and scribbling while many ops run', () => {
  test('32 async ops whose inputs are disposed, overwritten with NaN or transferred right after the call: all equal the sync results', async () => {
    const base = Tensor.randn([60, 40], 'f32', 'cpu', 9), other = Tensor.randn([40, 30], 'f32', 'cpu', 10);
    const ref = matmul(base, other), refS = svd(base, { k: 4 }).S;
    const ps: Promise<void>[] = [];
    for (let i = 0; i < 32; i++) {
      const a = base.clone(), b = other.clone();
      ps.push(matmulAsync(a, b).then((c) => same(c, ref)));
      ps.push(svdAsync(a, { k: 4 }).then((r) => same(r.S, refS)));
      if (i % 3 === 0) { a.dispose(); b.dispose(); }
      else if (i % 3 === 1) { (a.data as Float32Array).fill(NaN); (b.data as Float32Array).fill(NaN); }
      else structuredClone(a.data.buffer, { transfer: [a.data.buffer] });
    }
    await Promise.all(ps);
  });

  test('an output disposed while its op runs: the op still completes into the array handed out before', async () => {
    const a = Tensor.randn([50, 50], 'f32', 'cpu', 1);
    const outs = Array.from({ length: 16 }, () => Tensor.zeros([50, 50]));
    const arrays = outs.map((o) => o.data);
    const ps = outs.map((out) => matmulAsync(a, a, { out }));
    outs.forEach((o) => o.dispose());
    await Promise.all(ps);
    const ref = matmul(a, a).data;
    for (const arr of arrays) expect(Array.from(arr)).toEqual(Array.from(ref));
  });
});

const maybe = distBuilt ? describe : describe.skip;
if (!distBuilt) console.warn('process-exit concurrency tests skipped: dist/ is not built (npm run build:ts)');

// At exit libuv lets its thread pool finish the work already queued (about 1 s for these 64 ops on 2 idle cores),
// so the bound is on hanging, not on speed: 60 s leaves room for a loaded CI machine.
maybe('exiting with ops in flight never hangs (each in a child process, 60 s timeout)', () => {
  const ops = `
    const M = L.Tensor.randn([300, 200], 'f32', 'cpu', 1), a = L.Tensor.randn([256, 256], 'f32', 'cpu', 2);
    const inFlight = [];
    for (let i = 0; i < 64; i++) inFlight.push(i % 2 ? L.svdAsync(M, { k: 8 }) : L.matmulAsync(a, a));
    inFlight.forEach((p) => p.catch(() => {}));`;

  test('process.exit() from the first op\'s completion with 63 still in flight: status 0, no output on stderr', () => {
    const r = runChild(ops + `\ninFlight[0].then(() => process.exit(0));`, 60_000);
    expect([r.status, r.signal, r.stderr]).toEqual([0, null, '']);
  });

  test('an uncaught exception with 64 ops in flight: the process exits with status 1, not a hang', () => {
    const r = runChild(ops + `\nsetImmediate(() => { throw new Error('boom'); });`, 60_000);
    expect([r.status, r.signal, /boom/.test(r.stderr)]).toEqual([1, null, true]);
  });

  test('no explicit exit: the process ends on its own once the 64 ops have settled', () => {
    const r = runChild(ops + `\nPromise.all(inFlight).then(() => console.log('settled'));`, 60_000);
    expect([r.status, r.signal, r.stdout.trim(), describeChild(r)]).toEqual([0, null, 'settled', describeChild(r)]);
  });

  test('process.exit() while ops in flight are pinning tensors that were disposed and collected', () => {
    const r = runChild(`
      require('v8').setFlagsFromString('--expose-gc');
      const gc = require('vm').runInNewContext('gc');
      for (let i = 0; i < 32; i++) { const t = L.Tensor.randn([200, 150], 'f32', 'cpu', i); L.svdAsync(t, { k: 4 }).catch(() => {}); t.dispose(); }
      gc();
      setImmediate(() => process.exit(0));`, 60_000);
    expect([r.status, r.signal, r.stderr]).toEqual([0, null, '']);
  });
});
