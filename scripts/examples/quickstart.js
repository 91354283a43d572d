#!/usr/bin/env node
// Quick start for a Node trainer (`npm run example`; README "Quick start" shows this file): fine-tune one frozen
// Linear layer with a LoRA-GA adapter, then export it for Hugging Face PEFT. In your trainer, x and dY come from
// your model's forward and backward passes; here a toy regression task stands in for them.
'use strict';
const os = require('os');
const path = require('path');
const { Tensor, matmul, gradAccumulate, initLoraGA, LoraLinear, AdamW, exportPeftAdapter } = require('loraga');

const out = 64, inF = 128, tokens = 256, rank = 8, alpha = 16;
// The frozen layer W and the task: reproduce x·(W + ΔW)ᵀ, with ΔW of rank 4 (a fine-tuning signal LoRA can fit).
const W = Tensor.randn([out, inF], 'f32', 'cpu', 1);
const dW = matmul(Tensor.randn([out, 4], 'f32', 'cpu', 2), Tensor.randn([4, inF], 'f32', 'cpu', 3), { alpha: 0.1 });
const target = W.clone();
for (let i = 0; i < target.size; i++) target.data[i] += dW.data[i];
const batch = (seed) => {
  const x = Tensor.randn([tokens, inF], 'f32', 'cpu', seed);
  return { x, t: matmul(x, target, { transB: true }) };
};
/** Mean squared error of y against t and its gradient dL/dy. */
function mse(y, t) {
  const dY = Tensor.zeros(y.shape);
  let loss = 0;
  for (let i = 0; i < y.size; i++) {
    const e = y.data[i] - t.data[i];
    loss += e * e;
    dY.data[i] = (2 * e) / y.size;
  }
  return { loss: loss / y.size, dY };
}

// 1. The one-step gradient of the frozen layer on a few batches: G = mean of dYᵀ·x (what LoRA-GA aligns with).
const G = Tensor.zeros([out, inF]);
for (let b = 0; b < 4; b++) {
  const { x, t } = batch(100 + b);
  gradAccumulate(G, mse(matmul(x, W, { transB: true }), t).dY, x, { scale: 1 / 4 });
}

// 2. LoRA-GA init (PEFT's defaults) and the layer; it trains on the offset base W' = W − s·B₀·A₀.
const layer = LoraLinear.fromInit(W, initLoraGA(W, G, { rank, alpha }), { name: 'layer' });
const opt = new AdamW(layer.parameters(), { lr: 2e-3 });

// 3. Training steps: forward, loss, backward (sets A.grad and B.grad), optimizer step.
for (let step = 1; step <= 200; step++) {
  const { x, t } = batch(1000 + step);
  const { loss, dY } = mse(layer.forward(x), t);
  layer.backward(dY);
  opt.step();
  if (step === 1 || step % 50 === 0) console.log(`step ${String(step).padStart(3)}  loss ${loss.toExponential(3)}`);
}

// 4. A PEFT adapter that applies to the ORIGINAL W (rank 2r: the init's offset is folded in).
const dir = path.join(os.tmpdir(), 'loraga-quickstart-adapter');
exportPeftAdapter(dir, [{ name: layer.name, layer }]).then(() => console.log(`PEFT adapter written to ${dir}`));
