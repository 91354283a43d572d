/** The Dense layers of a tf.LayersModel that an operation targets, by layer name (PEFT's target_modules, for TF.js). */
import type * as TF from '@tensorflow/tfjs';
import { LoraValueError } from '../errors';
import { showJson } from '../show';

export type Targets = string[] | RegExp | 'all-dense' | undefined;

/** A Dense layer's parts that the helpers read (tfjs-layers keeps them as plain fields). */
export interface DenseParts {
  name: string;
  units: number;
  kernel: TF.LayerVariable;
  bias: TF.LayerVariable | null;
  activation: { apply(x: TF.Tensor): TF.Tensor; getClassName(): string };
  call(inputs: TF.Tensor | TF.Tensor[], kwargs: unknown): TF.Tensor | TF.Tensor[];
}

export const isDense = (l: TF.layers.Layer): boolean => l.getClassName() === 'Dense';

/**
 * The targeted Dense layers, in model order. Names are exact layer names; a RegExp must match a whole name; the
 * default 'all-dense' takes every Dense layer. A name that is not a layer, or a layer that is not Dense, is a
 * LoraValueError (a typo would otherwise leave a layer without its adapter).
 */
export function denseTargets(model: TF.LayersModel, targets: Targets, what: string): DenseParts[] {
  if (!model || !Array.isArray((model as { layers?: unknown }).layers)) throw new LoraValueError(`${what}: expected a tf.LayersModel`);
  const layers = model.layers;
  let chosen: TF.layers.Layer[];
  if (targets === undefined || targets === 'all-dense') {
    chosen = layers.filter(isDense);
  } else if (targets instanceof RegExp) {
    chosen = layers.filter((l) => isDense(l) && new RegExp(`^(?:${targets.source})$`, targets.flags.replace('g', '')).test(l.name));
  } else if (Array.isArray(targets) && targets.every((t) => typeof t === 'string')) {
    chosen = targets.map((t) => {
      const l = layers.find((x) => x.name === t);
      if (!l) throw new LoraValueError(`${what}: target '${t}' is not a layer of the model (its layers: ${layers.map((x) => x.name).join(', ')})`);
      if (!isDense(l)) throw new LoraValueError(`${what}: target '${t}' is a ${l.getClassName()}, not a Dense layer`);
      return l;
    });
    chosen = layers.filter((l) => chosen.includes(l));
  } else {
    throw new LoraValueError(`${what}: targets must be layer names, a RegExp or 'all-dense', got ${showJson(targets)}`);
  }
  if (chosen.length === 0) throw new LoraValueError(`${what}: no Dense layer matches the targets`);
  for (const l of chosen) if (!l.built) throw new LoraValueError(`${what}: layer '${l.name}' is not built yet (run the model once, or give it an inputShape)`);
  return chosen as unknown as DenseParts[];
}
