/**
 * The one-step gradient of a tf.LayersModel's Dense layers, for LoRA-GA / LoRA-One, streamed through the native
 * estimator (declared in types/tfjs.d.ts). The "probe": for each batch the model runs once with every target Dense
 * computing z = x·K + b + p (p a zero scalar) through an identity op that records dL/dz on the way back; tf.grads
 * w.r.t. the probes then backpropagates from the loss down to the first target only, with no kernel gradient
 * computed in TF.js. Each layer's (x, dL/dz) goes to GradientEstimator.accumulate (G = mean of dZᵀ·x, a native
 * GEMM), registered with fanInFanOut so G comes out in the Dense kernel's [in, out] layout.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Tensor } from '../../types/tensor';
import type { EstimateGradientsOptions, TfBatches } from '../../types/tfjs';
import { LoraAbortError, LoraValueError } from '../errors';
import { knownKeys } from '../ops/check';
import { GradientEstimator } from '../init/estimator';
import { fromTf } from './convert';
import { tf } from './tf';
import { DenseParts, denseTargets } from './targets';

const OPTIONS = ['targets', 'loss', 'training', 'estimator', 'signal', 'onProgress'];

type LossFn = (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Tensor;

/** The loss: the caller's, else the compiled model's (its per-example loss, averaged over the batch). */
export function lossOf(model: TF.LayersModel, loss: LossFn | undefined, what: string): LossFn {
  if (loss !== undefined) {
    if (typeof loss !== 'function') throw new LoraValueError(`${what}: loss must be a function (yTrue, yPred) => tf.Tensor`);
    return loss;
  }
  // A compiled LayersModel keeps its per-example losses in lossFunctions (a Sequential: in its inner model).
  const m = model as unknown as { lossFunctions?: LossFn[]; model?: { lossFunctions?: LossFn[] } };
  const compiled = m.lossFunctions ?? m.model?.lossFunctions;
  if (!compiled || compiled.length !== 1) throw new LoraValueError(`${what}: give { loss: (yTrue, yPred) => … }, or compile the model with one loss first`);
  return compiled[0];
}

/** Batches {xs, ys} from an array, an iterable, an async iterable or a tf.data.Dataset. */
export async function* batchesOf(data: TfBatches, what: string): AsyncGenerator<{ xs: TF.Tensor; ys: TF.Tensor }> {
  const d = data as unknown as { iterator?: () => Promise<{ next(): Promise<IteratorResult<unknown>> }> };
  let it: AsyncIterable<unknown> | Iterable<unknown>;
  if (d && typeof d.iterator === 'function') {
    const lazy = await d.iterator();
    it = { [Symbol.asyncIterator]: () => ({ next: () => lazy.next() }) };
  } else if (data && (Symbol.asyncIterator in Object(data) || Symbol.iterator in Object(data))) {
    it = data as Iterable<unknown>;
  } else {
    throw new LoraValueError(`${what}: data must be an array, an iterable or a tf.data.Dataset of { xs, ys }`);
  }
  for await (const b of it) {
    const e = b as { xs?: TF.Tensor; ys?: TF.Tensor };
    if (!e || !e.xs || !e.ys) throw new LoraValueError(`${what}: each batch must be { xs, ys } (tf.Tensors), as model.fitDataset takes`);
    yield { xs: e.xs, ys: e.ys };
  }
}

interface Record { x: Tensor | null; dY: Tensor | null; calls: number }

/** Runs one batch through the model with probes on `targets`; returns each target's (x, dL/dz) as loraga tensors. */
function probeBatch(model: TF.LayersModel, targets: DenseParts[], xs: TF.Tensor, ys: TF.Tensor, loss: LossFn, training: boolean): Record[] {
  const recs: Record[] = targets.map(() => ({ x: null, dY: null, calls: 0 }));
  let probes: TF.Tensor[] = [];
  const saved = targets.map((l) => Object.prototype.hasOwnProperty.call(l, 'call') ? l.call : undefined);
  targets.forEach((layer, i) => {
    const rec = recs[i];
    // dL/dz recorded as it passes; the gradient itself goes on unchanged.
    const capture = tf.customGrad(((z: TF.Tensor) => ({
      value: tf.clone(z),
      gradFunc: (dy: TF.Tensor) => {
        rec.dY = fromTf(dy);
        return tf.clone(dy);
      },
    })) as unknown as Parameters<typeof tf.customGrad>[0]);
    layer.call = (inputs: TF.Tensor | TF.Tensor[]) => tf.tidy(() => {
      if (++rec.calls > 1) throw new LoraValueError(`estimateGradients: layer '${layer.name}' ran twice in one forward pass; a Dense layer shared between places is not supported here`);
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const inF = x.shape[x.shape.length - 1];
      const x2 = x.reshape([-1, inF]);
      rec.x = fromTf(x2);
      let z = tf.matMul(x2 as TF.Tensor2D, layer.kernel.read() as TF.Tensor2D) as TF.Tensor;
      if (layer.bias) z = tf.add(z, layer.bias.read());
      z = capture(tf.add(z, probes[i]));
      const y = z.reshape([...x.shape.slice(0, -1), layer.units]);
      return layer.activation ? layer.activation.apply(y) : y;
    });
  });
  try {
    const f = (...ps: TF.Tensor[]) => {
      probes = ps;
      const yPred = model.apply(xs, { training }) as TF.Tensor;
      return tf.mean(loss(ys, yPred)) as TF.Scalar;
    };
    const grads = tf.tidy(() => tf.grads(f)(targets.map(() => tf.scalar(0))));
    tf.dispose(grads);
  } finally {
    targets.forEach((layer, i) => {
      if (saved[i]) layer.call = saved[i]!;
      else delete (layer as Partial<DenseParts>).call;   // back to the class's own call
    });
  }
  recs.forEach((r, i) => {
    if (!r.x || !r.dY) throw new LoraValueError(`estimateGradients: layer '${targets[i].name}' is not on the path from the model's input to its loss`);
  });
  return recs;
}

export async function estimateGradients(model: TF.LayersModel, data: TfBatches, options: EstimateGradientsOptions = {}): Promise<GradientEstimator> {
  knownKeys(options, OPTIONS, 'estimateGradients');
  const targets = denseTargets(model, options.targets, 'estimateGradients');
  const loss = lossOf(model, options.loss, 'estimateGradients');
  const est = options.estimator ?? new GradientEstimator();
  for (const l of targets) {
    const [inF, out] = l.kernel.shape as number[];
    if (!est.modules.includes(l.name)) est.register(l.name, out, inF, { fanInFanOut: true });
    else if (!est.fanInFanOut(l.name)) throw new LoraValueError(`estimateGradients: '${l.name}' is registered without fanInFanOut; Dense kernels are [in, out]`);
  }
  const t0 = Date.now();
  let batch = 0;
  for await (const { xs, ys } of batchesOf(data, 'estimateGradients')) {
    if (options.signal?.aborted) throw new LoraAbortError('estimateGradients: aborted');
    const recs = probeBatch(model, targets, xs, ys, loss, options.training ?? false);
    targets.forEach((l, i) => est.accumulate(l.name, recs[i].x!, recs[i].dY!));
    batch++;
    options.onProgress?.({ batch, seconds: (Date.now() - t0) / 1000 });
  }
  if (batch === 0) throw new LoraValueError('estimateGradients: data held no batch');
  return est;
}
