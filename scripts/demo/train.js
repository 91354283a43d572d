// Demo, part 2 of 4: the training runs. Pre-training on the words, the one-step gradient LoRA-GA / LoRA-One start
// from, and one fine-tuning run per (method, learning rate) on the names, each in its paper's configuration with a
// cosine schedule after a linear warmup and gradient clipping at 1 (the Hugging Face Trainer's defaults, which all
// three papers train with). `device` is 'cpu' or 'cuda': weights, LoRA parameters, optimizer state and products
// live there. See scripts/demo/index.js.
'use strict';
const {
  Tensor, Linear, LoraLinear, AdamW, LoraProAdamW, LoraOneAdamW, LrSchedule, initLoraGA, initLoraOne, initLora, adamwStep,
} = require('../..');
const {
  DIMS, RANK, ALPHA, GRAD_BATCHES, PRETRAIN_BATCH, toDev, host, randn, forward, output, crossEntropy, backward, batchOf, batchIndices,
} = require('./model');

/** Pre-training: AdamW on every weight with a cosine-decayed lr. Returns W₀ on the host. */
function pretrain(train, { device, pretrainSteps }) {
  const W = DIMS.slice(1).map((o, l) => toDev(Tensor.from(randn(o * DIMS[l], 200 + l, 1 / Math.sqrt(DIMS[l])), [o, DIMS[l]], { writable: true }), device));
  const grads = W.map((w) => Tensor.zeros(w.shape, 'f32', device));
  const st = W.map((w) => ({ m: Tensor.zeros(w.shape, 'f32', device), v: Tensor.zeros(w.shape, 'f32', device) }));
  const order = batchIndices(pretrainSteps, train.n, 300, PRETRAIN_BATCH);
  for (let t = 1; t <= pretrainSteps; t++) {
    const { x, y } = batchOf(train, order[t - 1]);
    const f = forward(W, x);
    backward(W, f, crossEntropy(output(f), y).dy, grads);
    const lr = 3e-3 * 0.5 * (1 + Math.cos((Math.PI * (t - 1)) / pretrainSteps));  // cosine decay
    W.forEach((w, l) => adamwStep(w, grads[l], st[l].m, st[l].v, { lr, step: t }));
  }
  return W.map(host);  // W₀ kept on the host
}

/**
 * Mean gradient of the fine-tuning loss w.r.t. each pre-trained W over GRAD_BATCHES batches (for LoRA-GA /
 * LoRA-One), G = (1/n)·Σ dYᵀ·X accumulated by gradAccumulate on the device; returned on the host for the init.
 */
function oneStepGradients(W0, train, device) {
  const W = W0.map((w) => toDev(w, device));
  const G = W.map((w) => Tensor.zeros(w.shape, 'f32', device));
  for (const idx of batchIndices(GRAD_BATCHES, train.n, 400)) {
    const { x, y } = batchOf(train, idx);
    const f = forward(W, x);
    backward(W, f, crossEntropy(output(f), y).dy, G, 1 / GRAD_BATCHES);
  }
  return G.map(host);
}

/**
 * Every method in its paper's configuration, its learning-rate grid and the optimizer it trains with:
 * - LoRA: PEFT's default init (A Kaiming-uniform, B = 0), s = α/r, AdamW.
 * - LoRA-GA: the official repository's init (convention 'official': ArB2r, 'stable' with γ = 16, s = α/r), AdamW.
 * - LoRA-One: its init (rsLoRA, γ = 128) and its scaled AdamW (preconditioners with λ = 1e-6, as prec_reg).
 * - LoRA-Pro: plain LoRA's init with rsLoRA (its scripts' "rslora-pro") and its full optimizer.
 */
const METHODS = {
  'full FT': { lrs: [3e-3, 1e-2, 3e-2, 1e-1], optimizer: 'AdamW (all of W)' },
  'LoRA': { lrs: [3e-3, 1e-2, 3e-2, 1e-1], optimizer: 'AdamW' },
  'LoRA-GA': { lrs: [1e-3, 3e-3, 1e-2, 3e-2], optimizer: 'AdamW' },
  'LoRA-One': { lrs: [1e-4, 3e-4, 1e-3, 3e-3], optimizer: 'scaled AdamW' },
  'LoRA-Pro': { lrs: [1e-3, 3e-3, 1e-2, 3e-2], optimizer: 'LoRA-Pro full' },
};

function initOf(method, w, G, l) {
  const [o, i] = w.shape;
  if (method === 'LoRA-GA') return initLoraGA(w, G, { rank: RANK, alpha: ALPHA, convention: 'official', direction: 'ArB2r', scale: 'stable', gamma: 16, seed: l });
  if (method === 'LoRA-One') return initLoraOne(G, { rank: RANK, alpha: ALPHA, seed: l });       // rsLoRA, γ = 128
  return initLora(o, i, { rank: RANK, alpha: ALPHA, seed: 500 + l, rsLora: method === 'LoRA-Pro' });
}

function buildRun(method, W0, G, lr, device) {
  const copy = (w) => (device === 'cpu' ? w.clone() : toDev(w, device));
  let layers, opt;
  if (method === 'full FT') {
    layers = W0.map((w, l) => new Linear(copy(w), { name: `layers.${l}` }));
    opt = new AdamW(layers.flatMap((y) => y.parameters()), { lr });
  } else {
    layers = W0.map((w, l) => {
      const init = initOf(method, w, G[l], l);
      // the init runs on the host (r×in work); the layer and its training live on the device
      const onDevice = { ...init, A: toDev(init.A, device), B: toDev(init.B, device), W: init.W ? toDev(init.W, device) : init.W };
      return LoraLinear.fromInit(copy(w), onDevice, { name: `layers.${l}` });
    });
    if (method === 'LoRA-Pro') opt = new LoraProAdamW(layers.map((y) => ({ A: y.A, B: y.B, scale: y.scale })), { lr, variant: 'full' });
    else if (method === 'LoRA-One') opt = new LoraOneAdamW(layers, { lr, lambda: 1e-6, variant: 'scaled-adamw' });
    else opt = new AdamW(layers.flatMap((y) => y.parameters()), { lr });
  }
  return { layers, opt };
}

/**
 * One fine-tuning run: `steps` batches in `order` with a cosine schedule after `warmup` steps and clipping at 1,
 * eval loss every EVAL_EVERY steps; stops early on divergence.
 */
function fineTune(method, lr, W0, G, data, order, { device, steps, warmup, evalEvery }) {
  const t0 = process.hrtime.bigint();
  const { layers, opt } = buildRun(method, W0, G, lr, device);
  const schedule = new LrSchedule(opt, { kind: 'cosine', warmupSteps: warmup, totalSteps: steps });
  const evalLoss = () => crossEntropy(output(forward(layers, data.eval.x, { grad: false })), data.eval.y).loss;
  const curve = [[0, evalLoss()]];
  let diverged = false;
  for (let t = 1; t <= steps; t++) {
    const { x, y } = batchOf(data.train, order[t - 1]);
    const f = forward(layers, x);
    const { loss, dy } = crossEntropy(output(f), y);
    if (!Number.isFinite(loss) || loss > 20) { diverged = true; break; }
    backward(layers, f, dy, []);
    opt.clipGradNorm(1);
    opt.step();
    schedule.step();
    opt.zeroGrad();
    if (t % evalEvery === 0 || t === steps) curve.push([t, evalLoss()]);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const final = diverged ? Infinity : curve[curve.length - 1][1];
  return { method, lr, curve, final, diverged, seconds, layers };
}

/** The first evaluated step at which the curve reaches `target`, or null. */
function stepsTo(curve, target) {
  for (const [t, l] of curve) if (l <= target) return t;
  return null;
}

module.exports = { METHODS, pretrain, oneStepGradients, fineTune, stepsTo };
