/**
 * Plain LoRA init as PEFT does it (init_lora_weights=True): A ~ kaiming_uniform_(a=√5), i.e. uniform on
 * [−1/√in, 1/√in] (gain √(2/(1+a²)) = 1/√3, bound = √3·gain/√fan_in), and B = 0, so W is left unchanged.
 */
import type { LoraInitConfig, LoraInitResult } from '../../types/init';
import { LoraValueError } from '../errors';
import { Tensor } from '../tensor';
import { configObject, loraScaling, nonNegInt, outDType, posInt, posNumber } from './common';
import { allocStorage } from '../dtype';
import { uniformRng } from './rng';

export const LORA_KEYS = ['rank', 'alpha', 'seed', 'rsLora', 'dtype'];

export function initLora(out: number, inF: number, config: LoraInitConfig): LoraInitResult {
  configObject(config, 'initLora', LORA_KEYS);
  posInt(out, 'initLora out');
  posInt(inF, 'initLora in');
  const r = posInt(config.rank, 'initLora rank');
  if (r > Math.min(out, inF)) throw new LoraValueError(`initLora: rank ${r} exceeds min(out, in) = ${Math.min(out, inF)}`);
  const alpha = posNumber(config.alpha, 'initLora alpha');
  const seed = nonNegInt(config.seed, 'initLora seed', 0);
  const dtype = outDType(config.dtype, 'f32', 'initLora dtype');
  const bound = 1 / Math.sqrt(inF);
  const rand = uniformRng(seed);
  const a = allocStorage('f64', r * inF) as Float64Array;
  for (let i = 0; i < a.length; i++) a[i] = (2 * rand() - 1) * bound;
  return { A: Tensor.fromFloat64(a, [r, inF], dtype), B: Tensor.zeros([out, r], dtype), W: null, scaling: loraScaling(alpha, r, !!config.rsLora) };
}
