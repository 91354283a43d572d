/**
 * Export of trained LoRA layers as a PEFT adapter (adapter_model.safetensors + adapter_config.json) that applies to
 * the ORIGINAL base weights. An init that offset W (LoRA-GA, PiSSA trained on W' = W − s·B₀·A₀) is converted to a
 * plain LoRA of rank 2r, as PEFT's save_pretrained(path_initial_model_mutation=…) does:
 *   W' + s·B·A = W + s·(B·A − B₀·A₀) = W + s·[B, −B₀]·[A; A₀]
 * keeping s by doubling lora_alpha (α/r) or multiplying it by √2 (α/√r with rsLoRA). Layers whose init left W alone
 * (plain LoRA, LoRA-One) are written as they are; differing ranks/alphas go to rank_pattern / alpha_pattern.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DType } from '../dtype';
import { LoraValueError } from '../errors';
import { Tensor } from '../tensor';
import { writeSafetensorsSync } from '../io/safetensors';
import { LoraLinear } from './lora-linear';

export interface ExportLayer {
  /** Module path in the base model, e.g. "model.layers.0.self_attn.q_proj". */
  name: string;
  layer: LoraLinear;
}

export interface ExportOptions {
  /** Write rsLoRA scaling (α/√r) into the config. Must match how the layers' scale was chosen. Default false. */
  rsLora?: boolean;
  /** dtype of the written tensors (default f32). */
  dtype?: DType;
  baseModelName?: string | null;
}

export interface ExportedAdapter {
  tensors: Record<string, Tensor>;
  config: Record<string, unknown>;
  /** Per module: the rank and alpha written. */
  modules: Record<string, { r: number; alpha: number; converted: boolean }>;
}

/** [X; Y] stacked by rows (X [p, n], Y [q, n]). */
function vstack(X: Tensor, Y: Tensor, dt: 'f32' | 'f64', negY = false): Tensor {
  const x = X.toFloat64(), y = Y.toFloat64(), out = new Float64Array(x.length + y.length);
  out.set(x);
  for (let i = 0; i < y.length; i++) out[x.length + i] = negY ? -y[i] : y[i];
  return Tensor.fromFloat64(out, [X.shape[0] + Y.shape[0], X.shape[1]], dt);
}

/** [X, Y] side by side (X [m, p], Y [m, q]); Y negated when negY. */
function hstack(X: Tensor, Y: Tensor, dt: 'f32' | 'f64', negY = false): Tensor {
  const [m, p] = X.shape, q = Y.shape[1], x = X.toFloat64(), y = Y.toFloat64();
  const out = new Float64Array(m * (p + q));
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < p; j++) out[i * (p + q) + j] = x[i * p + j];
    for (let j = 0; j < q; j++) out[i * (p + q) + p + j] = negY ? -y[i * q + j] : y[i * q + j];
  }
  return Tensor.fromFloat64(out, [m, p + q], dt);
}

/** The adapter's tensors (PEFT key names) and config, in memory. */
export function peftAdapter(layers: ExportLayer[], options: ExportOptions = {}): ExportedAdapter {
  if (!Array.isArray(layers) || layers.length === 0) throw new LoraValueError('exportPeftAdapter: expected a non-empty list of {name, layer}');
  const rs = !!options.rsLora;
  const tensors: Record<string, Tensor> = {};
  const modules: ExportedAdapter['modules'] = {};
  for (const { name, layer } of layers) {
    if (typeof name !== 'string' || name.length === 0) throw new LoraValueError('exportPeftAdapter: every layer needs a module name');
    if (!(layer instanceof LoraLinear)) throw new LoraValueError(`exportPeftAdapter: ${name} is not a LoraLinear`);
    if (layer.merged) throw new LoraValueError(`exportPeftAdapter: ${name} is merged; unmerge() before exporting`);
    if (modules[name]) throw new LoraValueError(`exportPeftAdapter: module ${name} listed twice`);
    const A = layer.A.value, B = layer.B.value, s = layer.scale;
    let a: Tensor, b: Tensor;
    if (layer.initial) {
      a = vstack(A, layer.initial.A, 'f64');           // [A; A₀]   [2r, in]
      b = hstack(B, layer.initial.B, 'f64', true);     // [B, −B₀]  [out, 2r]
    } else {
      a = A.to('f64');
      b = B.to('f64');
    }
    const r = a.shape[0];
    const alpha = rs ? s * Math.sqrt(r) : s * r;       // so that PEFT's α/r (α/√r) reproduces s
    const dt = options.dtype ?? 'f32';
    tensors[`base_model.model.${name}.lora_A.weight`] = a.to(dt);
    tensors[`base_model.model.${name}.lora_B.weight`] = b.to(dt);
    modules[name] = { r, alpha, converted: !!layer.initial };
  }
  const names = Object.keys(modules);
  const first = modules[names[0]];
  const rankPattern: Record<string, number> = {}, alphaPattern: Record<string, number> = {};
  for (const n of names) {
    if (modules[n].r !== first.r) rankPattern[n] = modules[n].r;
    if (modules[n].alpha !== first.alpha) alphaPattern[n] = modules[n].alpha;
  }
  const config = {
    peft_type: 'LORA', task_type: null, base_model_name_or_path: options.baseModelName ?? null,
    r: first.r, lora_alpha: first.alpha, use_rslora: rs, target_modules: names, lora_dropout: 0.0, bias: 'none',
    fan_in_fan_out: false, init_lora_weights: true, inference_mode: true, modules_to_save: null,
    rank_pattern: rankPattern, alpha_pattern: alphaPattern, use_dora: false,
  };
  return { tensors, config, modules };
}

/** Writes dir/adapter_model.safetensors and dir/adapter_config.json; returns what was written. */
export function exportPeftAdapter(dir: string, layers: ExportLayer[], options: ExportOptions = {}): ExportedAdapter {
  const res = peftAdapter(layers, options);
  fs.mkdirSync(dir, { recursive: true });
  writeSafetensorsSync(path.join(dir, 'adapter_model.safetensors'), res.tensors, { format: 'pt' });
  fs.writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify(res.config, null, 2) + '\n');
  return res;
}
