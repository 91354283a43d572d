/**
 * PEFT import into a TF.js model (declared in types/tfjs.d.ts): the inverse of exportPeft. Each adapter module
 * becomes a LoraDense over the matching Dense layer of the ORIGINAL model: weight = the Dense kernel transposed
 * ([out, in], nn.Linear's layout, which the adapter was written against), lora_A / lora_B from the file, and PEFT's
 * scale (α/r or α/√r with rank_pattern / alpha_pattern). What exportPeft wrote for a LoRA-GA model (rank 2r, the
 * offset folded in) thus reproduces that model's outputs.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Tensor } from '../../types/tensor';
import type { ImportPeftOptions } from '../../types/tfjs';
import { LoraShapeError, LoraValueError } from '../errors';
import { knownKeys } from '../ops/check';
import { peftModuleScale, readPeftAdapter } from '../peft/adapter';
import { transpose2d } from '../init/layout';
import { fromTf, toTf } from './convert';
import { LoraDense } from './lora-dense';
import { Json, loraEntry, rebuild } from './model';
import { DenseParts, isDense } from './targets';
import { showJson } from '../show';

export async function importPeft(dir: string, model: TF.LayersModel, options: ImportPeftOptions = {}): Promise<TF.LayersModel> {
  knownKeys(options, ['names'], 'importPeft');
  if (!model || !Array.isArray((model as { layers?: unknown }).layers)) throw new LoraValueError('importPeft: expected a tf.LayersModel');
  const { modules, config } = await readPeftAdapter(dir);
  if (config.bias !== undefined && config.bias !== 'none') throw new LoraValueError(`importPeft: ${dir} trains biases (bias: ${showJson(config.bias)}); only bias 'none' is supported`);
  // Module name → layer: `names` maps layer name → module name (as exportPeft takes it); default the layer names.
  const byModule = new Map<string, TF.layers.Layer>();
  for (const l of model.layers) byModule.set(options.names ? options.names[l.name] ?? `\0${l.name}` : l.name, l);
  const plan = new Map<string, { A: Tensor; B: Tensor; s: number }>();
  for (const [m, { A, B }] of Object.entries(modules)) {
    const layer = byModule.get(m);
    if (!layer) throw new LoraValueError(`importPeft: adapter module '${m}' is no layer of the model${options.names ? ' (through names)' : ''} (its layers: ${model.layers.map((l) => l.name).join(', ')})`);
    if (layer instanceof LoraDense) throw new LoraValueError(`importPeft: layer '${layer.name}' is already a LoraDense; import into the original model (or mergeLora first)`);
    if (!isDense(layer)) throw new LoraValueError(`importPeft: module '${m}' is layer '${layer.name}', a ${layer.getClassName()}, not a Dense layer`);
    const d = layer as unknown as DenseParts, [inF, out] = d.kernel.shape as number[], { r, s } = peftModuleScale(config, m, `importPeft: ${dir}`);
    if (A.shape.length !== 2 || B.shape.length !== 2 || A.shape[0] !== r || A.shape[1] !== inF || B.shape[0] !== out || B.shape[1] !== r)
      throw new LoraShapeError(`importPeft: module '${m}': A [${A.shape.join(', ')}] and B [${B.shape.join(', ')}] do not fit Dense '${layer.name}' (kernel [${inF}, ${out}]) at rank ${r}`);
    plan.set(layer.name, { A, B, s });
  }
  if (plan.size === 0) throw new LoraValueError(`importPeft: ${dir} holds no module`);
  const swap = new Map([...plan].map(([name, p]) => [name, (c: Json) => loraEntry(c, p.A.shape[0], p.s, false)]));
  return rebuild(model, swap, (from, to) => {
    if (!(to instanceof LoraDense)) {
      to.setWeights(from.getWeights());
      to.trainable = false;   // as loraModel: the adapters train, the rest is frozen
      return;
    }
    const p = plan.get(to.name)!, d = from as unknown as DenseParts;
    const vals: Record<string, TF.Tensor> = { weight: toTf(transpose2d(fromTf(d.kernel.read())), { copy: false }), lora_A: toTf(p.A), lora_B: toTf(p.B) };
    if (d.bias) vals.bias = d.bias.read();
    to.setNamed(vals);
  });
}
