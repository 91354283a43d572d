// Demo, part 1 of 4: the data and the model. Seeded randomness, the tanh MLP (plain weights for full fine-tuning or
// LoraLinear layers), its forward/backward through the library's ops, the MSE loss, and the two regression tasks
// (a random teacher, then the pre-trained network shifted by a low-rank-ish matrix). See scripts/demo/index.js.
'use strict';
const { Tensor, matmul, gradAccumulate, LoraLinear } = require('../..');

// Problem sizes (chosen so the whole demo runs in well under 2 minutes on 2 CPU cores)
const DIMS = [48, 128, 128, 24];      // in → hidden → hidden → out, tanh between, no biases
const RANK = 8, ALPHA = 16;            // every LoRA variant: rank 8, lora_alpha 16
const BATCH = 64, EVAL_EVERY = 5, EVAL_N = 1024, POOL = 8192;
const GRAD_BATCHES = 8;
const SHIFT_RANK = 16, SHIFT_DECAY = 0.7;  // the shift of each W: Σᵢ cᵢ·uᵢvᵢᵀ, cᵢ ∝ 0.7ⁱ (low-rank-ish)

// Weights, LoRA parameters, optimizer state and every product live on the chosen backend's device; activations get a
// host copy for the element-wise work (tanh, the loss), which has no native kernel and is tiny here.
const toDev = (t, device) => (t.device === device ? t : t.toDevice(device));
const host = (t) => (t.device === 'cpu' ? t : t.toHost());
const deviceOf = (layer) => (layer instanceof LoraLinear ? layer.W.device : layer.device);

// Seeded randomness (mulberry32 + Box-Muller): every method sees the same data in the same order.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function randn(n, seed, scale = 1) {
  const r = rng(seed), out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The network: layers are either plain weights (full fine-tuning) or LoraLinear. Every product is a library op on
// the layers' device; tanh and the loss are element-wise loops over host copies (on the CPU, the same tensors).
function linearForward(layer, x, grad) {
  return layer instanceof LoraLinear ? layer.forward(x, { grad }) : matmul(x, layer, { transB: true });
}

/**
 * dev[l] is the input of layer l on the layers' device, host[l] the same values on the host; [L] is the output.
 * `grad: false` (evaluation) keeps nothing for a backward in the LoRA layers.
 */
function forward(layers, x, grad = true) {
  const device = deviceOf(layers[0]);
  const f = { dev: [toDev(x, device)], host: [host(x)] };
  for (let l = 0; l < layers.length; l++) {
    const z = host(linearForward(layers[l], f.dev[l], grad));
    if (l < layers.length - 1) {
      const d = z.data;
      for (let i = 0; i < d.length; i++) d[i] = Math.tanh(d[i]);
    }
    f.host.push(z);
    f.dev.push(toDev(z, device));
  }
  return f;
}
const output = (f) => f.host[f.host.length - 1];

/** Mean squared error and dL/dy (host tensors in, dy on the host). */
function mse(y, t) {
  const yd = y.data, td = t.data, dy = Tensor.zeros(y.shape);
  const g = dy.data, n = yd.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const e = yd[i] - td[i];
    s += e * e;
    g[i] = (2 * e) / n;
  }
  return { loss: s / n, dy };
}

/**
 * Backward through the MLP (f from forward, dy on the host). LoRA layers set their A/B grads; plain layers get dW in
 * `grads[l]`: overwritten, or with `accumulate` (a scale) added to it as accumulate·dW.
 */
function backward(layers, f, dy, grads, accumulate = 0) {
  const device = deviceOf(layers[0]);
  let g = toDev(dy, device);
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l];
    let dx;
    if (layer instanceof LoraLinear) {
      dx = layer.backward(g, { needDx: l > 0 });
    } else {
      if (!accumulate) {
        grads[l].dispose();
        grads[l] = Tensor.zeros(layer.shape, 'f32', device);
      }
      gradAccumulate(grads[l], g, f.dev[l], { scale: accumulate || 1 });
      dx = l > 0 ? matmul(g, layer) : null;
    }
    if (l > 0) {  // through tanh: h = tanh(z) ⇒ dz = dh·(1 − h²)
      const dh = host(dx), d = dh.data, h = f.host[l].data;
      for (let i = 0; i < d.length; i++) d[i] *= 1 - h[i] * h[i];
      g = toDev(dh, device);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tasks. Task 1: targets from a random "teacher" MLP. Task 2 (the shift): targets from the pre-trained model with
// each weight moved by a random low-rank-ish matrix, so the optimal fine-tuning update is close to rank SHIFT_RANK
// and mostly captured by rank 8.
function teacherWeights(seed) {
  return DIMS.slice(1).map((o, l) => Tensor.from(randn(o * DIMS[l], seed + l, 1.6 / Math.sqrt(DIMS[l])), [o, DIMS[l]]));
}

/** Inputs and targets, kept on the host (batches are gathered there and moved to the device by forward). */
function makeSet(weights, n, seed) {
  const x = Tensor.from(randn(n * DIMS[0], seed), [n, DIMS[0]]);
  return { x, y: output(forward(weights, x)) };
}

function batchOf(set, idx) {
  const inF = DIMS[0], outF = DIMS[DIMS.length - 1];
  const x = Tensor.zeros([idx.length, inF]), y = Tensor.zeros([idx.length, outF]);
  const xs = set.x.data, ys = set.y.data;
  idx.forEach((k, i) => {
    x.data.set(xs.subarray(k * inF, (k + 1) * inF), i * inF);
    y.data.set(ys.subarray(k * outF, (k + 1) * outF), i * outF);
  });
  return { x, y };
}

function batchIndices(steps, seed) {
  const r = rng(seed);
  return Array.from({ length: steps }, () => Array.from({ length: BATCH }, () => Math.floor(r() * POOL)));
}

function evalLoss(layers, set) {
  return mse(output(forward(layers, set.x, false)), set.y).loss;
}

function lowRankShift(o, i, seed, size) {
  const U = randn(o * SHIFT_RANK, seed), V = randn(i * SHIFT_RANK, seed + 1);
  const c = Array.from({ length: SHIFT_RANK }, (_, k) => size * SHIFT_DECAY ** k);
  const d = new Float32Array(o * i);
  for (let k = 0; k < SHIFT_RANK; k++) {
    const f = c[k] / Math.sqrt(o * i);
    for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) d[a * i + b] += f * U[a * SHIFT_RANK + k] * V[b * SHIFT_RANK + k];
  }
  return d;
}

/** Task 2: the pre-trained weights W, each shifted by its own random low-rank-ish matrix. */
function shiftedWeights(W) {
  return W.map((w, l) => {
    const [o, i] = w.shape, d = lowRankShift(o, i, 700 + 10 * l, 1.5);
    const s = w.clone();
    for (let k = 0; k < d.length; k++) s.data[k] += d[k];
    return s;
  });
}

module.exports = {
  DIMS, RANK, ALPHA, BATCH, EVAL_EVERY, EVAL_N, POOL, GRAD_BATCHES, SHIFT_RANK, SHIFT_DECAY,
  toDev, host, rng, randn, forward, output, mse, backward, teacherWeights, makeSet, batchOf, batchIndices, evalLoss,
  shiftedWeights,
};
