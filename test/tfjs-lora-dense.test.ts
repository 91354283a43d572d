/**
 * LoraDense and its op against plain TF.js autodiff and a float64 reference: gradients of x, A and B, several uses
 * in one tf.grad, training through model.fit and tf.train optimizers, save/load, and the typed errors.
 */
import { LoraDisposedError, LoraShapeError, LoraValueError } from '../lib';
import { LoraDense, loraDenseOp } from '../lib/tfjs';
import * as loraOps from '../lib/ops/lora';
import { engineKernelFunc } from '../lib/tfjs/engine';
import { randn, refMatmul } from './helpers/ref';
import * as convert from '../lib/tfjs/convert';
import { BACKEND, tfBackend, rel, tf } from './helpers/tfjs';

beforeAll(tfBackend);

const T = 12, inF = 10, out = 7, r = 3, s = 1.5;
const mk = (shape: number[], seed: number, scale = 1) => tf.tensor(Float32Array.from(randn(shape.reduce((a, b) => a * b, 1), seed, scale)), shape, 'float32');
const f64 = (t: tf.Tensor) => Float64Array.from(t.dataSync());

/** The same layer in plain TF.js ops (what TF.js's own autodiff differentiates): x·Wᵀ + s·(x·Aᵀ)·Bᵀ + b. */
const plain = (x: tf.Tensor, W: tf.Tensor, A: tf.Tensor, B: tf.Tensor, b: tf.Tensor) =>
  tf.add(tf.add(tf.matMul(x as tf.Tensor2D, W as tf.Tensor2D, false, true), tf.mul(s, tf.matMul(tf.matMul(x as tf.Tensor2D, A as tf.Tensor2D, false, true), B as tf.Tensor2D, false, true))), b);

describe('loraDenseOp', () => {
  const x = mk([T, inF], 1), W = mk([out, inF], 2), A = mk([r, inF], 3, 0.5), B = mk([out, r], 4, 0.5), b = mk([out], 5), R = mk([T, out], 6);
  const v = { x: f64(x), W: f64(W), A: f64(A), B: f64(B), R: f64(R) };

  test('forward equals the float64 reference (f32 compute: < 1e-6)', () => {
    const y = loraDenseOp(x, W, A, B, s, b);
    const h = refMatmul(v.x, T, inF, v.A, r, inF, false, true), hb = refMatmul(h, T, r, v.B, out, r, false, true);
    const want = refMatmul(v.x, T, inF, v.W, out, inF, false, true).map((y0, i) => y0 + s * hb[i] + f64(b)[i % out]);
    expect(rel(y.dataSync(), want)).toBeLessThan(1e-6);
  });

  test('gradients of x, A, B equal TF.js autodiff of the plain formula and the float64 reference (< 1e-5)', () => {
    const L = (f: typeof plain) => (xx: tf.Tensor, aa: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(xx, W, aa, bb, b), R));
    const ours = tf.grads(L((xx, _W, aa, bb) => loraDenseOp(xx, W, aa, bb, s, b)))([x, A, B]);
    const theirs = tf.grads(L(plain))([x, A, B]);
    // float64: dX = R·W + s·(R·B)·A, dA = s·(R·B)ᵀ·x, dB = s·Rᵀ·(x·Aᵀ)
    const RB = refMatmul(v.R, T, out, v.B, out, r), h = refMatmul(v.x, T, inF, v.A, r, inF, false, true);
    const sRBA = refMatmul(RB, T, r, v.A, r, inF);
    const ref = [
      refMatmul(v.R, T, out, v.W, out, inF).map((u, i) => u + s * sRBA[i]),
      refMatmul(RB, T, r, v.x, T, inF, true).map((u) => s * u),
      refMatmul(v.R, T, out, h, T, r, true).map((u) => s * u),
    ];
    ours.forEach((g, i) => {
      expect(rel(g.dataSync(), theirs[i].dataSync())).toBeLessThan(1e-5);
      expect(rel(g.dataSync(), ref[i])).toBeLessThan(1e-5);
    });
  });

  test('used twice in one tf.grad (x₁ and x₂ through the same A, B): the sum of both uses\' gradients, as TF.js gives', () => {
    const x2 = mk([T, inF], 7), R2 = mk([T, out], 8);
    const L = (f: typeof plain) => (aa: tf.Tensor, bb: tf.Tensor) =>
      tf.add(tf.sum(tf.mul(f(x, W, aa, bb, b), R)), tf.sum(tf.mul(f(x2, W, aa, bb, b), R2)));
    const ours = tf.grads(L((xx, _W, aa, bb) => loraDenseOp(xx, W, aa, bb, s, b)))([A, B]);
    const theirs = tf.grads(L(plain))([A, B]);
    ours.forEach((g, i) => expect(rel(g.dataSync(), theirs[i].dataSync())).toBeLessThan(1e-5));
    // What keeping only the last forward would give (2× the second use's gradient) is far from it.
    const last = tf.grads((aa: tf.Tensor, bb: tf.Tensor) => tf.mul(2, tf.sum(tf.mul(plain(x2, W, aa, bb, b), R2))))([A, B]);
    expect(rel(last[0].dataSync(), theirs[0].dataSync())).toBeGreaterThan(0.1);
  });

  test('dX is computed only when TF.js needs it (x on the differentiated path); A and B get the same gradients either way', () => {
    const spy = jest.spyOn(loraOps, 'loraBackward');
    const needDx = () => spy.mock.calls.map((c) => c[6]?.needDx !== false);
    try {
      const L = (xx: tf.Tensor, aa: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(loraDenseOp(xx, W, aa, bb, s, b), R));
      const [dA, dB] = tf.grads((aa: tf.Tensor, bb: tf.Tensor) => L(x, aa, bb))([A, B]);
      expect(needDx()).toEqual([false]);   // a first layer: one backward, without dX
      spy.mockClear();
      const [dx, dA2, dB2] = tf.grads(L)([x, A, B]);
      expect(needDx()).toEqual([true]);
      expect(Array.from(dA2.dataSync())).toEqual(Array.from(dA.dataSync()));
      expect(Array.from(dB2.dataSync())).toEqual(Array.from(dB.dataSync()));
      // Two stacked layers, only the lower one's A differentiated: the upper one must pass dX down (and only dX).
      spy.mockClear();
      const A2 = mk([r, out], 21, 0.5), B2 = mk([out, r], 22, 0.5), W2 = mk([out, out], 23);
      const stacked = (f: typeof plain, g: typeof plain) => (aa: tf.Tensor) => tf.sum(tf.mul(g(f(x, W, aa, B, b), W2, A2, B2, b), R));
      const [ours] = tf.grads(stacked((...a) => loraDenseOp(a[0], a[1], a[2], a[3], s, a[4]), (...a) => loraDenseOp(a[0], a[1], a[2], a[3], s, a[4])))([A]);
      const [theirs] = tf.grads(stacked(plain, plain))([A]);
      expect(needDx().sort()).toEqual([false, true]);
      expect(rel(ours.dataSync(), theirs.dataSync())).toBeLessThan(1e-5);
      expect(dx.shape).toEqual(x.shape);
    } finally {
      spy.mockRestore();
    }
  });

  test('without tfjs-core\'s runKernelFunc (a future TF.js) it falls back to tf.customGrad: the same gradients', () => {
    const L = (xx: tf.Tensor, aa: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(loraDenseOp(xx, W, aa, bb, s, b), R));
    expect(engineKernelFunc.get()).not.toBeNull();   // this TF.js has it: the lazy path is the one the other tests take
    const lazy = tf.grads(L)([x, A, B]).map((g) => Array.from(g.dataSync()));
    const missing = jest.spyOn(engineKernelFunc, 'get').mockReturnValue(null);
    const custom = jest.spyOn(tf.engine(), 'customGrad');
    try {
      const eager = tf.grads(L)([x, A, B]).map((g) => Array.from(g.dataSync()));
      expect(custom).toHaveBeenCalled();
      expect(eager).toEqual(lazy);
      // Only A differentiated: still right (dX computed and dropped).
      const [dA] = tf.grads((aa: tf.Tensor) => L(x, aa, B))([A]);
      expect(Array.from(dA.dataSync())).toEqual(lazy[1]);
    } finally {
      missing.mockRestore();
      custom.mockRestore();
    }
  });

  test('the frozen W crosses once: later calls reuse its download (wasm) or read it in place (cpu); disposed, it is refused', () => {
    const spy = jest.spyOn(convert, 'fromTf');
    try {
      const W2 = mk([out, inF], 31);
      const y1 = loraDenseOp(x, W2, A, B, s).dataSync(), y2 = loraDenseOp(x, W2, A, B, s).dataSync();
      expect(Array.from(y2)).toEqual(Array.from(y1));
      expect(spy.mock.calls.filter((c) => c[0] === W2).length).toBe(BACKEND === 'cpu' ? 2 : 1);
      W2.dispose();
      expect(() => loraDenseOp(x, W2, A, B, s)).toThrow(LoraDisposedError);
    } finally {
      spy.mockRestore();
    }
  });

  test('N-D input [batch, seq, in]: output [batch, seq, out], dX shaped like x', () => {
    const x3 = mk([2, 6, inF], 9);
    const y = loraDenseOp(x3, W, A, B, s);
    expect(y.shape).toEqual([2, 6, out]);
    const [dx] = tf.grads((xx: tf.Tensor) => tf.sum(loraDenseOp(xx, W, A, B, s)))([x3]);
    expect(dx.shape).toEqual([2, 6, inF]);
  });
});

describe('LoraDense layer', () => {
  const data = () => {
    const x = mk([64, inF], 11), t = tf.tanh(tf.matMul(x, mk([inF, out], 12, 0.4)));
    return { x, t };
  };

  test('only lora_A / lora_B are trainable; model.fit lowers the loss and leaves weight and bias as they were', async () => {
    const layer = new LoraDense({ units: out, rank: r, scale: s, activation: 'tanh', inputShape: [inF], name: 'ld' });
    const model = tf.sequential({ layers: [layer] });
    expect(model.trainableWeights.map((w) => w.originalName)).toEqual(['ld/lora_A', 'ld/lora_B']);
    layer.setNamed({ weight: mk([out, inF], 13, 0.3), bias: mk([out], 14, 0.1) });
    const w0 = f64(layer.weight!.read()), b0 = f64(layer.bias!.read());
    const { x, t } = data();
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
    const h = await model.fit(x, t, { epochs: 30, batchSize: 16, verbose: 0 });
    const loss = h.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] * 0.5);
    expect(f64(layer.weight!.read())).toEqual(w0);
    expect(f64(layer.bias!.read())).toEqual(b0);
  });

  test('tf.train optimizers step it through optimizer.minimize (a custom loop)', () => {
    const layer = new LoraDense({ units: out, rank: r, scale: s, inputShape: [inF] });
    const model = tf.sequential({ layers: [layer] });
    layer.setNamed({ weight: mk([out, inF], 15, 0.3), lora_A: mk([r, inF], 14, 0.3) });  // seeded: the default A init is TF.js's unseeded random
    const { x, t } = data();
    const opt = tf.train.sgd(0.1);
    const lossOf = () => tf.losses.meanSquaredError(t, model.apply(x) as tf.Tensor) as tf.Scalar;
    const l0 = lossOf().dataSync()[0];
    for (let i = 0; i < 40; i++) opt.minimize(lossOf);
    expect(lossOf().dataSync()[0]).toBeLessThan(l0 * 0.5);
  });

  test('save and load (a registered serializable class): the same outputs, bit for bit', async () => {
    const layer = new LoraDense({ units: out, rank: r, scale: s, activation: 'relu', inputShape: [inF], offset: true, name: 'ld2' });
    const model = tf.sequential({ layers: [layer] });
    layer.setNamed({ weight: mk([out, inF], 16), lora_B: mk([out, r], 17), lora_A0: mk([r, inF], 18) });
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => { saved = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
    const back = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(back.layers[0]).toBeInstanceOf(LoraDense);
    const x = mk([5, inF], 19);
    expect(Array.from((back.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
    expect(back.layers[0].getWeights().map((w) => w.shape)).toEqual(layer.getWeights().map((w) => w.shape));
  });

  test('misuse: unknown option, bad rank, unknown activation, a weight it lacks or of the wrong shape', () => {
    expect(() => new LoraDense({ units: 2, rank: 1, scale: 1, alpha: 2 } as never)).toThrow(/unknown option alpha/);
    expect(() => new LoraDense({ units: 2, rank: 0, scale: 1 })).toThrow(LoraValueError);
    expect(() => new LoraDense({ units: 2, rank: 1, scale: 1, activation: 'nope' })).toThrow(LoraValueError);
    const layer = new LoraDense({ units: 2, rank: 1, scale: 1, inputShape: [3] });
    tf.sequential({ layers: [layer] });
    expect(() => layer.setNamed({ lora_A0: tf.zeros([1, 3]) })).toThrow(LoraValueError);
    expect(() => layer.setNamed({ lora_A: tf.zeros([3, 1]) })).toThrow(LoraShapeError);
  });
});
