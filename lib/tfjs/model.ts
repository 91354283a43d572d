/**
 * Whole-model helpers for TF.js (declared in types/tfjs.d.ts): loraModel turns a tf.LayersModel into its LoRA-GA /
 * LoRA-One / PiSSA / plain-LoRA version (targeted Dense layers become LoraDense, everything else frozen, step 0 equal
 * to the original up to f32 rounding), mergeLora folds the adapters back into plain Dense layers. Both rebuild the
 * model from its own JSON topology (Sequential and functional alike) and copy the weights over.
 */
import type * as TF from '@tensorflow/tfjs';
import type { InitAdaptersConfig, InitAdaptersResult } from '../../types/init-model';
import type { LoraModelOptions, LoraModelResult } from '../../types/tfjs';
import type { Tensor } from '../../types/tensor';
import { LoraValueError } from '../errors';
import { GradientEstimator } from '../init/estimator';
import { initAdapters } from '../init/model';
import { transpose2d } from '../init/layout';
import { fromTf, toTf } from './convert';
import { estimateGradients } from './estimate';
import { LoraDense } from './lora-dense';
import { denseTargets, isDense } from './targets';
import { tf } from './tf';

const OWN = ['targets', 'data', 'gradients', 'loss', 'training', 'onBatch'];

export type Json = { [k: string]: unknown };

/** Every layer entry of a model's JSON topology (Sequential: config.layers; functional: config.layers too). */
function layerEntries(topology: Json): { class_name: string; config: Json }[] {
  const cfg = topology.config as Json | Json[];
  const layers = Array.isArray(cfg) ? cfg : (cfg.layers as Json[]);
  if (!Array.isArray(layers)) throw new LoraValueError('loraModel: the model topology has no layer list');
  return layers as { class_name: string; config: Json }[];
}

/** A copy of the model whose layers named in `swap` have another class and config; weights copied by `fill`. */
export async function rebuild(model: TF.LayersModel, swap: Map<string, (c: Json) => { class_name: string; config: Json }>,
                       fill: (from: TF.layers.Layer, to: TF.layers.Layer) => void): Promise<TF.LayersModel> {
  const topology = model.toJSON(null, false) as Json;
  for (const e of layerEntries(topology)) {
    const f = swap.get(e.config.name as string);
    if (f) Object.assign(e, f(e.config));
  }
  const copy = await tf.models.modelFromJSON({ modelTopology: topology } as never);
  for (const to of copy.layers) {
    const from = model.layers.find((l) => l.name === to.name);
    if (from) fill(from, to);
  }
  return copy;
}

/** The JSON entry of a LoraDense standing in for a Dense layer's entry (keys pythonic: modelFromJSON converts them). */
export function loraEntry(dense: Json, rank: number, scale: number, offset: boolean) {
  const keep = ['name', 'trainable', 'batch_input_shape', 'dtype', 'units', 'activation', 'use_bias'];
  const config: Json = {};
  for (const k of keep) if (dense[k] !== undefined) config[k] = dense[k];
  return { class_name: 'LoraDense', config: { ...config, trainable: true, rank, scale, offset } };
}

export async function loraModel(model: TF.LayersModel, options: LoraModelOptions): Promise<LoraModelResult> {
  if (options === null || typeof options !== 'object') throw new LoraValueError('loraModel: options must be an object ({ rank, alpha, … })');
  const own = Object.fromEntries(Object.entries(options).filter(([k]) => OWN.includes(k))) as LoraModelOptions;
  const init = Object.fromEntries(Object.entries(options).filter(([k]) => !OWN.includes(k))) as InitAdaptersConfig;
  if ('fanInFanOut' in init) throw new LoraValueError('loraModel: fanInFanOut is not an option here (Dense kernels are [in, out]; loraModel says so itself)');
  const targets = denseTargets(model, own.targets, 'loraModel');
  const names = targets.map((l) => l.name);
  const method = init.method ?? 'loraga';
  let gradients: GradientEstimator | null = null;
  if (method === 'loraga' || method === 'lora-one') {
    if (own.gradients && own.data) throw new LoraValueError('loraModel: give data or gradients, not both');
    if (own.gradients) {
      if (!(own.gradients instanceof GradientEstimator)) throw new LoraValueError('loraModel: gradients must be a GradientEstimator (from estimateGradients)');
      gradients = own.gradients;
    } else if (own.data) {
      gradients = await estimateGradients(model, own.data, { targets: names, loss: own.loss, training: own.training, signal: init.signal, onProgress: own.onBatch });
    } else {
      throw new LoraValueError(`loraModel: method '${method}' needs the gradient: give data (batches { xs, ys }) or gradients`);
    }
  } else if (own.data || own.gradients) {
    throw new LoraValueError(`loraModel: method '${method}' takes no gradient (data / gradients)`);
  }
  // The kernels as loraga tensors [in, out], read in place (the inits never write their W).
  const weights: Record<string, Tensor> = {};
  for (const l of targets) weights[l.name] = fromTf(l.kernel.read());
  const res: InitAdaptersResult = await initAdapters(weights, gradients, { ...init, targets: names, fanInFanOut: true });

  const swap = new Map(targets.map((l) => [l.name, (c: Json) => loraEntry(c, res.modules[l.name].A.shape[0], res.modules[l.name].scaling, !!res.modules[l.name].W)]));
  const lora = await rebuild(model, swap, (from, to) => {
    if (!(to instanceof LoraDense)) {
      to.setWeights(from.getWeights());
      to.trainable = false;   // LoRA trains the adapters only
      return;
    }
    const m = res.modules[to.name], d = from as unknown as { bias: TF.LayerVariable | null; kernel: TF.LayerVariable };
    const base = transpose2d(m.W ?? weights[to.name]);   // W' (or W) [in, out] → the layer's [out, in]
    const vals: Record<string, TF.Tensor> = { weight: toTf(base, { copy: false }), lora_A: toTf(m.A), lora_B: toTf(m.B) };
    if (d.bias) vals.bias = d.bias.read();
    if (m.W) Object.assign(vals, { lora_A0: toTf(m.A), lora_B0: toTf(m.B) });  // the offset, for the export against the original W
    to.setNamed(vals);
  });
  return { model: lora, modules: res.modules, targets: names, seconds: res.seconds, gradients };
}

export async function mergeLora(model: TF.LayersModel): Promise<TF.LayersModel> {
  const loras = model.layers.filter((l): l is LoraDense => l instanceof LoraDense);
  if (loras.length === 0) throw new LoraValueError('mergeLora: the model has no LoraDense layer');
  const swap = new Map(loras.map((l) => [l.name, (c: Json) => ({
    class_name: 'Dense',
    config: Object.fromEntries(Object.entries(c).filter(([k]) => !['rank', 'scale', 'offset'].includes(k))),
  })]));
  return rebuild(model, swap, (from, to) => {
    if (from instanceof LoraDense && isDense(to)) {
      to.setWeights(from.bias ? [from.mergedKernel(), from.bias.read()] : [from.mergedKernel()]);
    } else {
      to.setWeights(from.getWeights());
    }
    to.trainable = from.trainable;
  });
}
