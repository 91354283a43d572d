/**
 * NativeAdamW, the tf.Optimizer over loraga's fused adamwStep: its trajectory against a float64 statement of AdamW and
 * against tf.train.adam, that it never writes a TF.js tensor's memory, model.fit with it, its state round trip and
 * config, and the typed errors.
 */
import { LoraDTypeError, LoraValueError } from '../lib';
import { LoraDense, NativeAdamW, adamw } from '../lib/tfjs';
import { randn } from './helpers/ref';
import { tfBackend, rel, tf } from './helpers/tfjs';

beforeAll(tfBackend);

const grads = (n: number, steps: number) => Array.from({ length: steps }, (_, t) => Float32Array.from(randn(n, 100 + t)));

/** AdamW in float64: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr·(m̂/(√v̂ + ε) + wd·p). */
function refAdamW(p0: ArrayLike<number>, gs: Float32Array[], lr: number, b1: number, b2: number, eps: number, wd: number): Float64Array {
  const p = Float64Array.from(p0), m = new Float64Array(p.length), v = new Float64Array(p.length);
  gs.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p[i] -= lr * (m[i] / (1 - b1 ** t) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps) + wd * p[i]);
    }
  });
  return p;
}

describe('NativeAdamW', () => {
  test('five steps equal a float64 statement of AdamW (f32 storage: < 1e-6), for a map and a list of gradients', () => {
    const p0 = Float32Array.from(randn(6 * 5, 1));
    const gs = grads(30, 5);
    for (const asList of [false, true]) {
      const w = tf.variable(tf.tensor2d(p0, [6, 5]));
      const opt = adamw({ lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 });
      for (const g of gs) {
        const gt = tf.tensor2d(g, [6, 5]);
        opt.applyGradients(asList ? [{ name: w.name, tensor: gt }] : { [w.name]: gt });
        gt.dispose();
      }
      expect(opt.iterations).toBe(5);
      expect(rel(w.dataSync(), refAdamW(p0, gs, 0.01, 0.8, 0.99, 1e-6, 0.1))).toBeLessThan(1e-6);
      w.dispose();
      opt.dispose();
    }
  });

  test('with weight decay 0 it is Adam: tracks tf.train.adam with the same epsilon (< 1e-5 after 5 steps)', () => {
    const p0 = Float32Array.from(randn(40, 2)), gs = grads(40, 5);
    const a = tf.variable(tf.tensor1d(p0)), b = tf.variable(tf.tensor1d(p0));
    const ours = adamw({ lr: 0.05, eps: 1e-7 }), theirs = tf.train.adam(0.05, 0.9, 0.999, 1e-7);
    for (const g of gs) {
      const gt = tf.tensor1d(g);
      ours.applyGradients({ [a.name]: gt });
      theirs.applyGradients({ [b.name]: gt });
      gt.dispose();
    }
    // TF.js computes each op in f32 (its bias correction too); ours in f64, rounded once per step.
    expect(rel(a.dataSync(), Float64Array.from(b.dataSync()))).toBeLessThan(1e-5);
    expect(rel(a.dataSync(), Float64Array.from(p0))).toBeGreaterThan(1e-3);   // and it did move
  });

  test('a step never writes the memory of a tf.Tensor: arrays read from the variable before the step keep their values', () => {
    const w = tf.variable(tf.tensor1d(Float32Array.from(randn(20, 3))));
    const held = w.dataSync(), copy = held.slice();   // on the cpu backend: the backend's own array
    const g = tf.tensor1d(Float32Array.from(randn(20, 4)));
    adamw({ lr: 0.1 }).applyGradients({ [w.name]: g });
    expect(Array.from(held)).toEqual(Array.from(copy));
    expect(Array.from(w.dataSync())).not.toEqual(Array.from(copy));
    expect(g.isDisposed).toBe(false);
  });

  test('model.fit with adamw() trains a LoraDense model: loss falls, only lora_A and lora_B change, no tensors leak', async () => {
    const W = Float32Array.from(randn(8 * 6, 5, 0.3));
    const layer = new LoraDense({ units: 8, rank: 2, scale: 2, inputShape: [6] });
    const model = tf.sequential({ layers: [layer] });
    layer.setNamed({ weight: tf.tensor2d(W, [8, 6]), lora_B: tf.zeros([8, 2]) });
    model.compile({ optimizer: adamw({ lr: 0.05 }), loss: 'meanSquaredError' });
    const xs = tf.tensor2d(Float32Array.from(randn(32 * 6, 6)), [32, 6]);
    const ys = tf.tensor2d(Float32Array.from(randn(32 * 8, 7)), [32, 8]);
    const A0 = layer.loraA!.read().dataSync().slice();
    await model.fit(xs, ys, { epochs: 1, batchSize: 32, verbose: 0 });   // first-use allocations
    const n0 = tf.memory().numTensors;
    const h = await model.fit(xs, ys, { epochs: 20, batchSize: 32, verbose: 0 });
    expect(tf.memory().numTensors).toBe(n0);
    const loss = h.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(0.9 * loss[0]);
    expect(Array.from(layer.weight!.read().dataSync())).toEqual(Array.from(W));
    expect(rel(layer.loraA!.read().dataSync(), Float64Array.from(A0))).toBeGreaterThan(1e-3);
    expect(Math.max(...Array.from(layer.loraB!.read().dataSync(), Math.abs))).toBeGreaterThan(0);
  });

  test('getWeights / setWeights carry the step count and moments: a restored optimizer takes the same next step', async () => {
    const p0 = Float32Array.from(randn(12, 8)), gs = grads(12, 4);
    const a = tf.variable(tf.tensor1d(p0), true, 'shared_name_a');
    const opt = adamw({ lr: 0.02 });
    for (const g of gs.slice(0, 3)) opt.applyGradients({ [a.name]: tf.tensor1d(g) });
    const saved = await opt.getWeights();
    expect(saved.map((w) => w.name)).toEqual(['iter', 'shared_name_a/m', 'shared_name_a/v']);
    const restored = adamw({ lr: 0.02 });
    await restored.setWeights(saved);
    expect(restored.iterations).toBe(3);
    const after = a.dataSync().slice();
    opt.applyGradients({ [a.name]: tf.tensor1d(gs[3]) });
    const want = a.dataSync().slice();
    a.assign(tf.tensor1d(after));
    restored.applyGradients({ [a.name]: tf.tensor1d(gs[3]) });
    expect(Array.from(a.dataSync())).toEqual(Array.from(want));
    await expect(restored.setWeights([saved[0], saved[1]])).rejects.toThrow(LoraValueError);       // /m without /v
    await expect(restored.setWeights([saved[0], { name: 'x', tensor: saved[1].tensor }])).rejects.toThrow(LoraValueError);
  });

  test('config round trip: getConfig / fromConfig (as TF.js deserialises) gives the same hyper-parameters', () => {
    const opt = adamw({ lr: 0.003, betas: [0.85, 0.98], eps: 1e-6, weightDecay: 0.01 });
    const back = NativeAdamW.fromConfig(NativeAdamW, opt.getConfig()) as NativeAdamW;
    expect([back.lr, back.betas, back.eps, back.weightDecay]).toEqual([0.003, [0.85, 0.98], 1e-6, 0.01]);
    expect(opt.getClassName()).toBe('NativeAdamW');
    expect(tf.serialization.SerializationMap.getMap().classNameMap.NativeAdamW).toBeDefined();
  });

  test('bad options and inputs are typed errors, and the variable keeps its value', () => {
    expect(() => adamw({ lr: 0.1, beta1: 0.9 } as never)).toThrow(LoraValueError);
    expect(() => adamw({ lr: NaN })).toThrow(LoraValueError);
    expect(() => adamw({ lr: 0.1, betas: [0.9, 1] })).toThrow(LoraValueError);
    expect(() => adamw({ lr: 0.1, betas: [0.9] as never })).toThrow(LoraValueError);
    const iv = tf.variable(tf.tensor1d([1, 2, 3], 'int32'));
    expect(() => adamw({ lr: 0.1 }).applyGradients({ [iv.name]: tf.tensor1d([1, 1, 1]) })).toThrow(LoraDTypeError);
    expect(Array.from(iv.dataSync())).toEqual([1, 2, 3]);
    expect(() => adamw({ lr: 0.1 }).applyGradients({ no_such_variable_xyz: tf.tensor1d([1]) })).toThrow(LoraValueError);
    // A bad pair anywhere in the list: no variable changes, the step count stays.
    const w = tf.variable(tf.tensor1d([1, 2, 3])), u = tf.variable(tf.tensor1d([4, 5]));
    const opt = adamw({ lr: 0.1 });
    expect(() => opt.applyGradients({ [u.name]: tf.tensor1d([1, 1]), [w.name]: tf.tensor1d([1, 1]) })).toThrow(/sizes do not match/);
    expect(() => opt.applyGradients([{ name: u.name, tensor: tf.tensor1d([1, 1]) }, { name: 'no_such_variable_xyz', tensor: tf.tensor1d([1]) }])).toThrow(LoraValueError);
    expect(() => opt.applyGradients({ [u.name]: tf.tensor1d([1, 1]), [w.name]: tf.tensor1d([1, 1, 1], 'int32') })).toThrow(LoraDTypeError);
    expect([Array.from(w.dataSync()), Array.from(u.dataSync()), opt.iterations]).toEqual([[1, 2, 3], [4, 5], 0]);
  });
});
