// Demo, part 2 of 4: the training runs. Pre-training on task 1, the one-step gradient LoRA-GA / LoRA-One start
// from, and one fine-tuning run per (method, learning rate) on task 2. `device` is 'cpu' or 'cuda': weights, LoRA
// parameters, optimizer state and products live there. See scripts/demo/index.js.
'use strict';
const {
  Tensor, LoraLinear, AdamW, LoraProAdamW, LoraOneOptimizer, initLoraGA, initLoraOne, initLora, adamwStep,
} = require('../..');
const {
  DIMS, RANK, ALPHA, EVAL_EVERY, EVAL_N, POOL, GRAD_BATCHES,
  toDev, host, randn, forward, output, mse, backward, teacherWeights, makeSet, batchOf, batchIndices, evalLoss,
} = require('./model');

/** Pre-training: AdamW on every weight with a cosine-decayed lr. Returns W₀ on the host and its losses. */
function pretrain({ device, pretrainSteps }) {
  const teacher = teacherWeights(100);
  const train = makeSet(teacher, POOL, 1), evalSet = makeSet(teacher, EVAL_N, 2);
  const W = DIMS.slice(1).map((o, l) => toDev(Tensor.from(randn(o * DIMS[l], 200 + l, 1 / Math.sqrt(DIMS[l])), [o, DIMS[l]], { writable: true }), device));
  const grads = W.map((w) => Tensor.zeros(w.shape, 'f32', device));
  const st = W.map((w) => ({ m: Tensor.zeros(w.shape, 'f32', device), v: Tensor.zeros(w.shape, 'f32', device) }));
  const order = batchIndices(pretrainSteps, 300);
  for (let t = 1; t <= pretrainSteps; t++) {
    const { x, y } = batchOf(train, order[t - 1]);
    const f = forward(W, x);
    backward(W, f, mse(output(f), y).dy, grads);
    const lr = 3e-3 * 0.5 * (1 + Math.cos((Math.PI * (t - 1)) / pretrainSteps));  // cosine decay
    W.forEach((w, l) => adamwStep(w, grads[l], st[l].m, st[l].v, { lr, step: t }));
  }
  const y = evalSet.y.data;
  let zero = 0;
  for (let i = 0; i < y.length; i++) zero += y[i] * y[i];
  return { W: W.map(host), loss: evalLoss(W, evalSet), zeroLoss: zero / y.length };  // W₀ kept on the host
}

/**
 * Mean gradient of the task-2 loss w.r.t. each pre-trained W over GRAD_BATCHES batches (for LoRA-GA / LoRA-One),
 * G = (1/n)·Σ dYᵀ·X accumulated by gradAccumulate on the device; returned on the host for the init.
 */
function oneStepGradients(W0, task, device) {
  const W = W0.map((w) => toDev(w, device));
  const G = W.map((w) => Tensor.zeros(w.shape, 'f32', device));
  for (const idx of batchIndices(GRAD_BATCHES, 400)) {
    const { x, y } = batchOf(task.train, idx);
    const f = forward(W, x);
    backward(W, f, mse(output(f), y).dy, G, 1 / GRAD_BATCHES);
  }
  return G.map(host);
}

/** Every method, its learning-rate sweep and the optimizer it trains with. */
const METHODS = {
  'full FT': { lrs: [3e-4, 1e-3, 3e-3, 1e-2], optimizer: 'AdamW (all of W)' },
  'LoRA': { lrs: [1e-3, 3e-3, 1e-2, 3e-2], optimizer: 'AdamW' },
  'LoRA-GA': { lrs: [1e-3, 3e-3, 1e-2, 3e-2], optimizer: 'AdamW' },
  'LoRA-One': { lrs: [1e-3, 3e-3, 1e-2, 3e-2], optimizer: 'AdamW' },
  'LoRA-One+precond': { lrs: [0.01, 0.02, 0.04, 0.07], optimizer: 'preconditioned GD' },
  'LoRA-Pro': { lrs: [1e-3, 3e-3, 1e-2, 3e-2], optimizer: 'LoRA-Pro AdamW' },
};

function buildRun(method, W0, G, lr, device) {
  const copy = (w) => (device === 'cpu' ? w.clone() : toDev(w, device));
  if (method === 'full FT') {
    const W = W0.map(copy);
    const grads = W.map((w) => Tensor.zeros(w.shape, 'f32', device));
    const st = W.map((w) => ({ m: Tensor.zeros(w.shape, 'f32', device), v: Tensor.zeros(w.shape, 'f32', device) }));
    let t = 0;
    return { layers: W, grads, step: () => { t++; W.forEach((w, l) => adamwStep(w, grads[l], st[l].m, st[l].v, { lr, step: t })); } };
  }
  const layers = W0.map((w, l) => {
    const [o, i] = w.shape;
    let init;
    if (method === 'LoRA-GA') init = initLoraGA(w, G[l], { rank: RANK, alpha: ALPHA, seed: l });
    else if (method.startsWith('LoRA-One')) init = initLoraOne(G[l], { rank: RANK, alpha: ALPHA, seed: l });
    else init = initLora(o, i, { rank: RANK, alpha: ALPHA, seed: 500 + l });  // PEFT's default: A uniform, B = 0
    // the init runs on the host (r×in work); the layer and its training live on the device
    const onDevice = { ...init, A: toDev(init.A, device), B: toDev(init.B, device), W: init.W ? toDev(init.W, device) : init.W };
    return LoraLinear.fromInit(copy(w), onDevice, { name: `layers.${l}` });
  });
  let opt;
  if (method === 'LoRA-Pro') opt = new LoraProAdamW(layers.map((y) => ({ A: y.A, B: y.B, scale: y.scale })), { lr });
  else if (method === 'LoRA-One+precond') opt = new LoraOneOptimizer(layers, { lr, lambda: 1e-6 });
  else opt = new AdamW(layers.flatMap((y) => y.parameters()), { lr });
  return { layers, grads: [], step: () => opt.step() };
}

/** One fine-tuning run: `steps` batches in `order`, eval loss every EVAL_EVERY steps; stops early on divergence. */
function fineTune(method, lr, W0, G, task, order, { device, steps }) {
  const t0 = process.hrtime.bigint();
  const run = buildRun(method, W0, G, lr, device);
  const curve = [[0, evalLoss(run.layers, task.eval)]];
  let diverged = false;
  for (let t = 1; t <= steps; t++) {
    const { x, y } = batchOf(task.train, order[t - 1]);
    const f = forward(run.layers, x);
    const { loss, dy } = mse(output(f), y);
    if (!Number.isFinite(loss) || loss > 1e3) { diverged = true; break; }
    backward(run.layers, f, dy, run.grads);
    run.step();
    if (t % EVAL_EVERY === 0) curve.push([t, evalLoss(run.layers, task.eval)]);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const final = diverged ? Infinity : curve[curve.length - 1][1];
  return { method, lr, curve, final, diverged, seconds, layers: run.layers };
}

/** The first evaluated step at which the curve reaches `target`, or null. */
function stepsTo(curve, target) {
  for (const [t, l] of curve) if (l <= target) return t;
  return null;
}

module.exports = { METHODS, pretrain, oneStepGradients, fineTune, stepsTo };
