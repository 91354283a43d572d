#!/usr/bin/env node
// The main demo (`npm run demo`, `npm start`): a small tanh MLP is pre-trained on a regression task the demo
// generates, then fine-tuned on a shifted task with full fine-tuning, plain LoRA, LoRA-GA, LoRA-One and LoRA-Pro at
// the same rank, each over a small learning-rate sweep, same seeds and data order. It prints a table (steps to reach
// plain LoRA's final loss, final loss, time) and writes demo-out/loss.svg and demo-out/results.json.
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
const PRETRAIN_STEPS = Number(opt('pretrain-steps', 2500));  // fewer: a quick smoke run (tests)
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
  DIMS, RANK, ALPHA, BATCH, EVAL_EVERY, EVAL_N, POOL, GRAD_BATCHES, SHIFT_RANK, SHIFT_DECAY,
  makeSet, evalLoss, batchIndices, shiftedWeights,
} = require('./model');
const { METHODS, pretrain, oneStepGradients, fineTune } = require('./train');
const { summarize, printTable, svgPlot, exportCheck } = require('./report');

// ---------------------------------------------------------------------------------------------------------------
async function main() {
  const tStart = Date.now();
  const info = L.backends().find((b) => b.name === backend);
  console.log(`loraga demo: backend ${backend} (${info ? info.deviceName : '?'}), MLP ${DIMS.join('→')} (tanh), rank ${RANK}, alpha ${ALPHA}, ${STEPS} fine-tuning steps of batch ${BATCH}`);

  let t0 = Date.now();
  const pre = pretrain({ device: DEVICE, pretrainSteps: PRETRAIN_STEPS });
  console.log(`pre-training on task 1: ${PRETRAIN_STEPS} AdamW steps, eval MSE ${pre.loss.toExponential(3)} (predicting 0: ${pre.zeroLoss.toExponential(3)}; ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  // Task 2: the pre-trained network with every weight shifted by a random low-rank-ish matrix.
  const shifted = shiftedWeights(pre.W);
  const task = { train: makeSet(shifted, POOL, 11), eval: makeSet(shifted, EVAL_N, 12) };
  const G = oneStepGradients(pre.W, task, DEVICE);
  const order = batchIndices(STEPS, 600);
  console.log(`task 2 (shifted): pre-trained model's eval MSE ${evalLoss(pre.W, task.eval).toExponential(3)}; one-step gradient from ${GRAD_BATCHES} batches of ${BATCH}`);

  t0 = Date.now();
  const runs = [];
  for (const [method, spec] of Object.entries(METHODS)) {
    for (const lr of spec.lrs) {
      const r = fineTune(method, lr, pre.W, G, task, order, { device: DEVICE, steps: STEPS });
      runs.push(r);
      process.stdout.write(`  ${method.padEnd(17)} lr ${String(lr).padEnd(6)} final ${r.diverged ? 'diverged' : r.final.toExponential(3)}  ${r.seconds.toFixed(2)} s\n`);
    }
  }
  const sweepSeconds = (Date.now() - t0) / 1000;

  const summary = summarize(runs);
  const { best, target, rows } = summary;
  printTable(summary, STEPS);

  fs.mkdirSync(OUT_DIR, { recursive: true });
  const exp = await exportCheck(best['LoRA-GA'], pre.W, task.eval, OUT_DIR);
  console.log(`\nLoRA-GA adapter exported to ${path.relative(process.cwd(), exp.dir)} as ranks ${exp.ranks.join('/')} (2r: offset folded in); ` +
    `eval MSE trained ${exp.trained.toExponential(4)}, original W + adapter ${exp.fromOriginalBase.toExponential(4)}`);
  svgPlot(Object.keys(METHODS).map((m) => best[m]), target, path.join(OUT_DIR, 'loss.svg'), STEPS);
  const json = {
    config: { backend, dims: DIMS, rank: RANK, alpha: ALPHA, steps: STEPS, batch: BATCH, evalEvery: EVAL_EVERY, evalN: EVAL_N,
      pretrainSteps: PRETRAIN_STEPS, gradBatches: GRAD_BATCHES, shiftRank: SHIFT_RANK, shiftDecay: SHIFT_DECAY },
    pretrainLoss: pre.loss, pretrainZeroLoss: pre.zeroLoss, target, rows,
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
