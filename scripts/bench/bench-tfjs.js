#!/usr/bin/env node
// `npm run bench:tfjs`: what loraga/tfjs's glue costs over the native kernels, measured side by side in one run on
// TF.js's pure-JS 'cpu' backend and, when @tensorflow/tfjs-backend-wasm is installed, its wasm backend (rounds
// interleaved, medians; this machine is shared and noisy, so only ratios measured together mean anything). Goals
// from issue 20, reported, not asserted:
//  1. A LoraDense training step (forward + backward + AdamW on A and B through loraga/tfjs's adamw() optimizer;
//     1024-wide, r = 16, T = 256 and 2048) vs the bare loraForward + loraBackward + adamwStep calls on the same
//     tensors: goal ≤ 1.15×. Beside it: the same LoraDense step with tf.train.adam, and the step with TF.js variables
//     and TF.js ops alone. Bytes copied across the boundary per LoraDense step are counted by wrapping fromTf / toTf.
//  2. estimateGradients over a model's Dense layers vs the bare native gradAccumulate on the same (X, dY) plus TF.js's
//     own forward/backward down to each layer's pre-activation: goal ≤ 1.2×, with the split.
// Writes .bench/tfjs.json as well as printing.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const L = require('../..');
const convert = require('../../dist/tfjs/convert');
const T_ = require('../../dist/tfjs');

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');   // smaller sizes: a smoke run of the script itself
const ONLY = (argv[argv.indexOf('--only') + 1] ?? '');   // --only step | estimate: one part
const root = path.join(__dirname, '..', '..');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e9;
function randn(n, seed, scale = 1) {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Bytes copied across the boundary: every fromTf / toTf call is checked for whether its result shares the other
// side's array (the backend's storage on the cpu backend); a result that does not is a copy of its byte size.
const copied = { fromTf: 0, toTf: 0, calls: 0 };
const backendArray = (t) => {
  const b = tf.backend();
  return b.data && b.data.get(t.dataId) ? b.data.get(t.dataId).values : null;
};
const { fromTf, toTf } = convert;
convert.fromTf = (t, o) => {
  const r = fromTf(t, o);
  copied.calls++;
  if (r.data !== backendArray(t)) copied.fromTf += r.data.byteLength;
  return r;
};
convert.toTf = (t, o) => {
  const r = toTf(t, o);
  copied.calls++;
  if (backendArray(r) !== t.data) copied.toTf += r.size * 4;
  return r;
};

// ---------------------------------------------------------------------------------------------------------------
// 1. A LoRA training step three ways on the same x, W, A, B, dY. The loss is Σ y⊙G, so dL/dy = G on every side.
function stepBench(T, width, r, reps, tfReps) {
  const s = 2, inF = width, out = width;
  const xA = randn(T * inF, 1), WA = randn(out * inF, 2, 1 / Math.sqrt(inF)), AA = randn(r * inF, 3, 1 / Math.sqrt(inF)),
    BA = randn(out * r, 4, 0.01), GA = randn(T * out, 5, 1 / (T * out));
  // (a) bare native calls. x is the input (nothing below it trains), so no dX: LoraDense skips it too (TF.js asks
  // loraDenseOp for dX only when x is on the differentiated path).
  const x = L.Tensor.from(xA, [T, inF]), W = L.Tensor.from(WA, [out, inF]), G = L.Tensor.from(GA, [T, out]);
  const A = L.Tensor.from(AA.slice(), [r, inF], { writable: true }), B = L.Tensor.from(BA.slice(), [out, r], { writable: true });
  const st = [A, B].map((p) => ({ m: L.Tensor.zeros(p.shape), v: L.Tensor.zeros(p.shape) }));
  let tBare = 0;
  const bare = () => {
    tBare++;
    const { y, h } = L.loraForward(x, W, A, B, s);
    const g = L.loraBackward(G, x, W, A, B, s, { h, needDx: false });
    L.adamwStep(A, g.dA, st[0].m, st[0].v, { lr: 1e-4, step: tBare, weightDecay: 0 });
    L.adamwStep(B, g.dB, st[1].m, st[1].v, { lr: 1e-4, step: tBare, weightDecay: 0 });
    return y;
  };
  // (b) LoraDense in TF.js: tf.variableGrads + loraga/tfjs's adamw() (what model.fit does per batch, without its
  // callbacks).
  const layer = new T_.LoraDense({ units: out, rank: r, scale: s, useBias: false });
  const xt = tf.tensor2d(xA, [T, inF]), Gt = tf.tensor2d(GA, [T, out]);
  layer.apply(xt);   // builds
  layer.setNamed({ weight: tf.tensor2d(WA, [out, inF]), lora_A: tf.tensor2d(AA, [r, inF]), lora_B: tf.tensor2d(BA, [out, r]) });
  const optD = T_.adamw({ lr: 1e-4 }), optTf = tf.train.adam(1e-4);
  const dense = () => tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(xt), Gt)), [layer.loraA.read(), layer.loraB.read()]);
    optD.applyGradients(grads);
    return value;
  });
  // (b') the same with dL/dy = G handed to tf.grads directly (no loss op): the glue alone. The layer reads the
  // variables it is differentiated for (the args are those variables' tensors).
  const vars = [layer.loraA.read(), layer.loraB.read()];
  const denseDyWith = (opt) => () => tf.tidy(() => {
    const g = tf.grads(() => layer.apply(xt))(vars, Gt);
    opt.applyGradients({ [vars[0].name]: g[0], [vars[1].name]: g[1] });
    return null;
  });
  const denseDy = denseDyWith(optD), denseDyTfAdam = denseDyWith(optTf);
  // The loss's own cost (Σ y⊙G and its gradient on a [T, out] tensor), part of (b) and (c) but not of (a).
  const yFixed = tf.variable(tf.zeros([T, out]));
  const lossOnly = () => tf.tidy(() => tf.variableGrads(() => tf.sum(tf.mul(yFixed, Gt)), [yFixed]).value);
  // (c) TF.js variables and ops: y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ with W a constant.
  const Wt = tf.tensor2d(WA, [out, inF]), Av = tf.variable(tf.tensor2d(AA, [r, inF])), Bv = tf.variable(tf.tensor2d(BA, [out, r]));
  const optT = tf.train.adam(1e-4);
  const tfjs = () => tf.tidy(() => {
    const f = () => tf.add(tf.matMul(xt, Wt, false, true), tf.mul(s, tf.matMul(tf.matMul(xt, Av, false, true), Bv, false, true)));
    const g = tf.grads(f)([Av, Bv], Gt);   // dL/dy = G, as (b')
    optT.applyGradients({ [Av.name]: g[0], [Bv.name]: g[1] });
    return null;
  });
  const time = (fn) => {
    const t0 = now();
    const v = fn();
    if (v && v.dispose) v.dispose();
    return now() - t0;
  };
  for (const f of [bare, dense, denseDy, denseDyTfAdam, lossOnly, tfjs]) time(f);   // warm-up (tfjs: first-use setup)
  const res = { bare: [], dense: [], denseDy: [], denseDyTfAdam: [], loss: [], tfjs: [] };
  const perStep = { bytes: 0, calls: 0, fromTfBytes: 0, toTfBytes: 0 };
  for (let i = 0; i < reps; i++) {   // interleaved so drift hits every side alike
    res.bare.push(time(bare));
    res.dense.push(time(dense));
    copied.fromTf = copied.toTf = copied.calls = 0;
    res.denseDy.push(time(denseDy));   // the copies of one LoraDense step with adamw(), counted alone
    Object.assign(perStep, { bytes: copied.fromTf + copied.toTf, calls: copied.calls, fromTfBytes: copied.fromTf, toTfBytes: copied.toTf });
    res.denseDyTfAdam.push(time(denseDyTfAdam));
    res.loss.push(time(lossOnly));
    if (i < tfReps) res.tfjs.push(time(tfjs));
  }
  tf.dispose([xt, Gt, Wt, Av, Bv, yFixed]);
  layer.dispose();
  optD.dispose();
  optTf.dispose();
  const m = Object.fromEntries(Object.entries(res).map(([k, v]) => [k, median(v)]));
  return { backend: tf.getBackend(), T, width, rank: r, reps, tfReps, seconds: m, glueRatio: m.denseDy / m.bare, tfAdamRatio: m.denseDyTfAdam / m.bare,
    withLossRatio: m.dense / m.bare, withLossLessLoss: (m.dense - m.loss) / m.bare, tfjsRatio: m.tfjs / m.bare, copiedPerStep: perStep };
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Gradient estimation of a Dense MLP's layers over `batches` batches.
async function estimateBench(T, width, layers, batches, rounds) {
  const model = tf.sequential({ layers: Array.from({ length: layers }, (_, l) => tf.layers.dense({
    units: l === layers - 1 ? 16 : width, activation: l === layers - 1 ? 'linear' : 'tanh', name: `d${l}`,
    kernelInitializer: tf.initializers.glorotNormal({ seed: l + 1 }), ...(l === 0 ? { inputShape: [width] } : {}),
  })) });
  const loss = (yt, yp) => tf.losses.meanSquaredError(yt, yp);
  const data = Array.from({ length: batches }, (_, i) => ({ xs: tf.tensor2d(randn(T * width, 10 + i), [T, width]), ys: tf.tensor2d(randn(T * 16, 20 + i), [T, 16]) }));
  const names = model.layers.map((l) => l.name);

  // (a) estimateGradients, and the (X, dY) it hands the native estimator, captured once for (b).
  const est = () => T_.estimateGradients(model, data, { loss });
  const captured = [];
  {
    const { GradientEstimator } = L;
    const spy = new GradientEstimator();
    const acc = spy.accumulate.bind(spy);
    spy.accumulate = (name, x, dY) => { captured.push({ name, x: x.clone(), dY: dY.clone() }); return acc(name, x, dY); };
    await T_.estimateGradients(model, data, { loss, estimator: spy });
  }
  // (b) the bare native calls: G += (1/n)·dYᵀ·X per layer and batch (the estimator's own arithmetic).
  const Gs = Object.fromEntries(model.layers.map((l) => [l.name, L.Tensor.zeros([l.units, l.kernel.shape[0]])]));
  const native = () => { for (const c of captured) L.gradAccumulate(Gs[c.name], c.dY, c.x, { scale: 1 / batches }); };
  // (c) TF.js's own forward/backward to each layer's pre-activation: the same probes (z + p, p a zero scalar),
  // tf.grads w.r.t. them, nothing captured: the least TF.js must do to produce dL/dz.
  const probed = (ps) => {
    let h = null;
    const xs = ps.xs;
    model.layers.forEach((l, i) => {
      let z = tf.add(tf.matMul(i === 0 ? xs : h, l.kernel.read()), l.bias.read());
      z = tf.add(z, ps.p[i]);
      h = l.activation.apply(z);
    });
    return tf.mean(loss(ps.ys, h));
  };
  const tfOwn = () => {
    for (const b of data) tf.tidy(() => tf.grads((...p) => probed({ xs: b.xs, ys: b.ys, p }))(names.map(() => tf.scalar(0))));
  };
  // (d) for reference: TF.js computing every kernel gradient itself (tf.variableGrads), what a user would do without loraga.
  const tfKernels = () => {
    for (const b of data) tf.tidy(() => tf.variableGrads(() => tf.mean(loss(b.ys, model.apply(b.xs))), model.layers.map((l) => l.kernel.read())));
  };
  const time = async (fn) => {
    const t0 = now();
    await fn();
    return now() - t0;
  };
  await time(tfOwn);
  await time(tfKernels);
  const res = { est: [], native: [], tfOwn: [], tfKernels: [] };
  for (let i = 0; i < rounds; i++) {
    res.est.push(await time(est));
    res.native.push(await time(native));
    res.tfOwn.push(await time(tfOwn));
    res.tfKernels.push(await time(tfKernels));
  }
  const m = Object.fromEntries(Object.entries(res).map(([k, v]) => [k, median(v)]));
  tf.dispose(data.flatMap((b) => [b.xs, b.ys]));
  return { T, width, layers, batches, rounds, seconds: m, ratio: m.est / (m.native + m.tfOwn), vsTfKernels: m.est / m.tfKernels };
}

async function main() {
  const wasm = (() => {
    try {
      require('@tensorflow/tfjs-backend-wasm');   // registers the 'wasm' backend
      return 'installed';
    } catch {
      return 'not installed (npm i -D @tensorflow/tfjs-backend-wasm to add it)';
    }
  })();
  const width = QUICK ? 256 : 1024;
  const steps = [];
  for (const backend of ONLY === 'estimate' ? [] : wasm === 'installed' ? ['cpu', 'wasm'] : ['cpu']) {
    await tf.setBackend(backend);
    await tf.ready();
    for (const T of QUICK ? [64] : [256, 2048]) steps.push(stepBench(T, width, 16, QUICK ? 3 : 9, T >= 2048 ? 1 : 3));
  }
  await tf.setBackend('cpu');
  const estim = ONLY === 'step' ? null : await estimateBench(QUICK ? 64 : 256, QUICK ? 128 : 512, 3, 4, QUICK ? 2 : 5);

  const ms = (x) => `${(x * 1e3).toFixed(1)} ms`;
  console.log(`loraga/tfjs bench: TF.js ${tf.version.tfjs}, ${require('os').cpus().length} cores, ${L.backends()[0].details}; wasm backend: ${wasm}`);
  if (steps.length) console.log('\n1. LoRA training step (forward + backward + AdamW on A, B) with dL/dy = G; medians, interleaved');
  if (steps.length) {
    const hdr = ['TF.js backend', 'T × width, r', 'bare native', 'LoraDense + adamw() (dy given)', 'glue ratio (goal ≤ 1.15)', 'with tf.train.adam', 'ratio',
      'adamw() + loss op', 'ratio', 'less the loss op', 'TF.js variables + tf.train.adam', 'TF.js / bare', 'bytes copied / step'];
    const rows = steps.map((b) => [b.backend, `${b.T} × ${b.width}, ${b.rank}`, ms(b.seconds.bare), ms(b.seconds.denseDy), `${b.glueRatio.toFixed(3)}×`,
      ms(b.seconds.denseDyTfAdam), `${b.tfAdamRatio.toFixed(3)}×`,
      ms(b.seconds.dense), `${b.withLossRatio.toFixed(3)}×`, `${b.withLossLessLoss.toFixed(3)}×`, ms(b.seconds.tfjs), `${b.tfjsRatio.toFixed(2)}×`,
      `${b.copiedPerStep.bytes} (${b.copiedPerStep.calls} fromTf/toTf calls)`]);
    const table = [hdr, ...rows], widths = hdr.map((_, j) => Math.max(...table.map((r) => r[j].length)));
    const line = (r) => '| ' + r.map((c, j) => c.padEnd(widths[j])).join(' | ') + ' |';
    console.log(line(hdr));
    console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
    for (const r of rows) console.log(line(r));
    console.log(`   (dy given: tf.grads(f)(vars, G); + loss op: tf.variableGrads of Σ y⊙G, as model.fit differentiates a loss. The loss op and its gradient alone: ${steps.map((b) => `${ms(b.seconds.loss)} (${b.backend}, T = ${b.T})`).join(', ')}.`);
    console.log('    Bytes copied: on cpu fromTf/toTf share the backend\'s arrays; on wasm every crossing is a copy into or out of the wasm heap.)');
  }
  if (estim) {
    const e = estim.seconds;
    console.log(`\n2. One-step gradient of a ${estim.layers}-layer Dense MLP (${estim.width} wide, ${estim.batches} batches of ${estim.T}); medians of ${estim.rounds} rounds`);
    console.log(`   estimateGradients                         ${ms(e.est)}`);
    console.log(`   TF.js forward/backward to dL/dz (probes)  ${ms(e.tfOwn)}`);
    console.log(`   native gradAccumulate on the same (X, dY) ${ms(e.native)}`);
    console.log(`   ratio est / (TF.js + native)              ${estim.ratio.toFixed(3)}× (goal ≤ 1.2)`);
    console.log(`   for reference, tf.variableGrads of every kernel in TF.js: ${ms(e.tfKernels)} (estimateGradients ${estim.vsTfKernels.toFixed(2)}× of it)`);
  }
  const outDir = path.join(root, '.bench');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'tfjs.json'), JSON.stringify({ quick: QUICK, backend: tf.getBackend(), wasm, steps, estimate: estim, date: new Date().toISOString() }, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
