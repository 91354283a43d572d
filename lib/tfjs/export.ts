/**
 * PEFT export of a TF.js LoRA model (declared in types/tfjs.d.ts): each LoraDense becomes the LoraLinear that
 * computes the same layer (W [out, in], A, B, s, and A₀/B₀ of an offset init), so exportPeftAdapter writes the
 * adapter against the ORIGINAL weights (rank 2r for LoRA-GA / PiSSA), keyed by layer name. A PyTorch nn.Linear
 * holds a Dense kernel transposed, so the adapter applies to it as written (fan_in_fan_out false).
 */
import type * as TF from '@tensorflow/tfjs';
import type { ExportOptions, ExportedAdapter } from '../../types/train';
import type { LoraLayersOptions } from '../../types/tfjs';
import { LoraValueError } from '../errors';
import { knownKeys } from '../ops/check';
import { LoraLinear } from '../train/lora-linear';
import { exportPeftAdapter } from '../train/export';
import { fromTf } from './convert';
import { LoraDense } from './lora-dense';

/** The model's LoraDense layers as LoraLinear layers (copies), named by `names` (default: the layer names). */
export function loraLayers(model: TF.LayersModel, options: LoraLayersOptions = {}): { name: string; layer: LoraLinear }[] {
  knownKeys(options, ['names'], 'loraLayers');
  const loras = model.layers.filter((l): l is LoraDense => l instanceof LoraDense);
  if (loras.length === 0) throw new LoraValueError('loraLayers: the model has no LoraDense layer');
  return loras.map((l) => {
    const name = options.names ? options.names[l.name] : l.name;
    if (typeof name !== 'string' || !name) throw new LoraValueError(`loraLayers: no module name for layer '${l.name}' in names`);
    const layer = new LoraLinear(fromTf(l.weight!.read(), { copy: true }), fromTf(l.loraA!.read(), { copy: true }), fromTf(l.loraB!.read(), { copy: true }),
      { scale: l.scale, name, bias: l.bias ? fromTf(l.bias.read(), { copy: true }) : undefined });
    if (l.offset) layer.initial = { A: fromTf(l.loraA0!.read(), { copy: true }), B: fromTf(l.loraB0!.read(), { copy: true }) };
    return { name, layer };
  });
}

export async function exportPeft(dir: string, model: TF.LayersModel, options: ExportOptions & LoraLayersOptions = {}): Promise<ExportedAdapter> {
  const { names, ...rest } = options;
  return exportPeftAdapter(dir, loraLayers(model, names ? { names } : {}), rest);
}
