#!/usr/bin/env node
// `npm run bench:sketch-memory`: a GradientEstimator's memory per module, full path (the out×in fp32 accumulator PEFT
// also keeps) vs streaming sketch (svd 'sketch', size 4r + 1), for Llama-7B-shaped modules at r = 8 and 32, one and
// two passes. Two tables:
//  1. held: the bytes it keeps between batches (est.bytes: the accumulator, or the sketches).
//  2. peak, measured: each case in a fresh process (Linux), the resident-set high-water mark (VmHWM, reset through
//     /proc/self/clear_refs once the batches are in memory) over registering the module and folding B batches of T
//     tokens (the second pass replays them), minus the resident set before (after a warm-up that leaves the code and
//     OpenBLAS's buffers resident, as they are after a trainer's first step). It counts everything the process
//     touched meanwhile: the test matrices a sketch redraws for each batch, the products with X and dY, and garbage
//     the collector had not freed yet. The batches themselves are the caller's and not counted.
//   node scripts/bench/sketch-memory.js [--tokens 512] [--batches 4] [--quick]
'use strict';
const fs = require('fs');
const { execFileSync } = require('child_process');
const loraga = require('../..');
const { GradientEstimator, Tensor } = loraga;

const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 ? argv[i + 1] : d; };
const T = Number(arg('tokens', 512)), B = Number(arg('batches', 4));
const mb = (b) => (b / 2 ** 20).toFixed(1);

// One measured case (child mode): prints { peak, held } in bytes.
if (argv.includes('--child')) {
  const { out, inF, r, passes } = JSON.parse(arg('child'));
  const batches = Array.from({ length: B }, (_, b) => [Tensor.randn([T, inF], 'f32', 'cpu', 10 + b), Tensor.randn([T, out], 'f32', 'cpu', 20 + b)]);
  const status = () => Object.fromEntries([...fs.readFileSync('/proc/self/status', 'utf8').matchAll(/^(VmHWM|VmRSS):\s+(\d+) kB/gm)].map((m) => [m[1], Number(m[2]) * 1024]));
  const run = (batchesOf, o = out, i = inF) => {
    const est = new GradientEstimator().register('m', o, i, r ? { sketch: { size: Math.min(4 * r + 1, o, i), passes } } : {});
    for (let p = 0; p < (r ? passes : 1); p++) {
      if (p > 0) est.nextPass();
      for (const [X, dY] of batchesOf) est.accumulate('m', X, dY);
    }
    return est;
  };
  // Warm-up, thrown away: a large product (OpenBLAS's packing buffers) and the same run on a 64×48 module (the code
  // paths), so that the library's code and buffers are resident before the baseline in both cases alike, and what is
  // measured is the estimator's memory. Nothing of the module's size is allocated before the baseline.
  loraga.matmul(Tensor.randn([2048, 2048], 'f32', 'cpu', 3), Tensor.randn([2048, 512], 'f32', 'cpu', 4));
  run([[Tensor.randn([T, 48], 'f32', 'cpu', 5), Tensor.randn([T, 64], 'f32', 'cpu', 6)]], 64, 48).release('m');
  // The collector frees ArrayBuffers' memory on a background thread: settle (twice) before the baseline, or RSS
  // would fall below it during the run.
  global.gc();
  setTimeout(() => {
    global.gc();
    setTimeout(() => {
      fs.writeFileSync('/proc/self/clear_refs', '5');   // VmHWM := VmRSS
      const before = status().VmRSS;
      const est = run(batches);
      const held = est.bytes('m');
      console.log(JSON.stringify({ peak: status().VmHWM - before, held }));
      process.exit(0);
    }, 200);
  }, 200);
  return;
}

const shapes = argv.includes('--quick') ? [['q_proj', 1024, 1024]] : [['q_proj', 4096, 4096], ['up_proj', 11008, 4096], ['down_proj', 4096, 11008]];
const measure = (out, inF, r, passes) => JSON.parse(execFileSync(process.execPath,
  ['--expose-gc', __filename, '--child', JSON.stringify({ out, inF, r, passes }), '--tokens', String(T), '--batches', String(B)],
  { env: process.env, maxBuffer: 1 << 20 }).toString().trim().split('\n').pop());

console.log(`GradientEstimator memory per module (f32), ${B} batches of ${T} tokens`);
console.log('| module (out×in) | r | full: held (MiB) | sketch 1 pass: held (MiB) | ratio | sketch 2 passes: held (MiB) | ratio |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
const peaks = [];
for (const [name, out, inF] of shapes) {
  const X = Tensor.randn([T, inF], 'f32', 'cpu', 1), dY = Tensor.randn([T, out], 'f32', 'cpu', 2);
  const full = new GradientEstimator().register(name, out, inF);
  full.accumulate(name, X, dY);
  const fb = full.bytes(name);
  full.release(name);
  for (const r of [8, 32]) {
    const held = [1, 2].map((passes) => {
      const est = new GradientEstimator().register(name, out, inF, { sketch: { size: 4 * r + 1, passes } });
      est.accumulate(name, X, dY);
      if (passes === 2) est.nextPass(), est.accumulate(name, X, dY);
      const b = est.bytes(name);
      est.release(name);
      return b;
    });
    console.log(`| ${name} (${out}×${inF}) | ${r} | ${mb(fb)} | ${mb(held[0])} | ${(held[0] / fb).toFixed(3)} | ${mb(held[1])} | ${(held[1] / fb).toFixed(3)} |`);
  }
  if (process.platform === 'linux') {
    const fullPeak = measure(out, inF, 0, 1).peak;
    for (const r of [8, 32]) peaks.push({ name, out, inF, r, fullPeak, sketch: [1, 2].map((passes) => measure(out, inF, r, passes).peak) });
  }
}
if (peaks.length) {
  console.log(`\nPeak resident memory while registering a module and folding ${B} batches of ${T} tokens (each pass), measured (VmHWM, a fresh process per case; goal: sketch ≤ 1/8 of full)`);
  console.log('| module (out×in) | r | full: peak (MiB) | sketch 1 pass: peak (MiB) | ratio | sketch 2 passes: peak (MiB) | ratio |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const p of peaks)
    console.log(`| ${p.name} (${p.out}×${p.inF}) | ${p.r} | ${mb(p.fullPeak)} | ${mb(p.sketch[0])} | ${(p.sketch[0] / p.fullPeak).toFixed(3)} | ${mb(p.sketch[1])} | ${(p.sketch[1] / p.fullPeak).toFixed(3)} |`);
} else {
  console.log('\n(peak memory is measured on Linux only: /proc/self/status and clear_refs)');
}
