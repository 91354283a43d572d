#!/usr/bin/env node
// `npm run bench:sketch-memory`: what a GradientEstimator holds per module for the full path (the out×in fp32
// accumulator PEFT also keeps) vs the streaming sketch (svd 'sketch'), for Llama-7B-shaped modules at r = 8 and 32
// (sketch size 4r + 1), one and two passes, after one batch of T tokens: the bytes it holds between batches
// (est.bytes: the accumulator, or the sketches — the sketch's test matrices are redrawn from the seed for each batch
// and freed after it, so a batch adds O((in + out)·(k + s + t) + T·(k + s + t)) transiently, for one module at a time).
//   node scripts/bench/sketch-memory.js [--tokens 512] [--quick]
'use strict';
const loraga = require('../..');
const { GradientEstimator, Tensor } = loraga;

const argv = process.argv.slice(2);
const T = Number(argv.includes('--tokens') ? argv[argv.indexOf('--tokens') + 1] : 512);
const shapes = argv.includes('--quick') ? [['q_proj', 1024, 1024]] : [['q_proj', 4096, 4096], ['up_proj', 11008, 4096], ['down_proj', 4096, 11008]];
const mb = (b) => (b / 2 ** 20).toFixed(1);

console.log(`GradientEstimator memory per module after one batch of ${T} tokens (f32)`);
console.log('| module (out×in) | r | full: held (MiB) | sketch 1 pass: held (MiB) | ratio | sketch 2 passes: held (MiB) | ratio |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
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
}
