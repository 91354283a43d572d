/**
 * Export of trained LoRA layers as a PEFT adapter (adapter_model.safetensors + adapter_config.json) that applies to
 * the ORIGINAL base weights. An init that offset W (LoRA-GA, PiSSA trained on W' = W − s·B₀·A₀) is converted to a
 * plain LoRA of rank 2r, as PEFT's save_pretrained(path_initial_model_mutation=…) does:
 *   W' + s·B·A = W + s·(B·A − B₀·A₀) = W + s·[B, −B₀]·[A; A₀]
 * keeping s by doubling lora_alpha (α/r) or multiplying it by √2 (α/√r with rsLoRA). Layers whose init left W alone
 * (plain LoRA, LoRA-One) are written as they are; differing ranks/alphas go to rank_pattern / alpha_pattern.
 * Biases (bias 'all', the default when a layer trained its bias) go to `<module>.base_layer.bias`, PEFT's key.
 */
import type { PeftAdapter } from '../../types/peft';
import type { ExportLayer, ExportOptions, ExportedAdapter } from '../../types/train';
import { LoraValueError } from '../errors';
import { Tensor } from '../tensor';
import { knownKeys } from '../ops/check';
import { peftConfigJson, writePeftAdapter } from '../peft/adapter';
import { exactPatterns } from '../peft/patterns';
import { LoraLinear } from './lora-linear';
import { showJson } from '../show';

/** [X; Y] stacked by rows (X [p, n], Y [q, n]). */
function vstack(X: Tensor, Y: Tensor): Tensor {
  const x = X.toFloat64(), y = Y.toFloat64(), out = new Float64Array(x.length + y.length);
  out.set(x);
  out.set(y, x.length);
  return Tensor.from(out, [X.shape[0] + Y.shape[0], X.shape[1]]);
}

/** [X, −Y] side by side (X [m, p], Y [m, q]). */
function hstackNeg(X: Tensor, Y: Tensor): Tensor {
  const [m, p] = X.shape, q = Y.shape[1], x = X.toFloat64(), y = Y.toFloat64();
  const out = new Float64Array(m * (p + q));
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < p; j++) out[i * (p + q) + j] = x[i * p + j];
    for (let j = 0; j < q; j++) out[i * (p + q) + p + j] = -y[i * q + j];
  }
  return Tensor.from(out, [m, p + q]);
}

export function peftAdapter(layers: ExportLayer[], options: ExportOptions = {}): ExportedAdapter {
  if (!Array.isArray(layers) || layers.length === 0) throw new LoraValueError('exportPeftAdapter: expected a non-empty list of {name, layer}');
  knownKeys(options, ['rsLora', 'dtype', 'baseModelName', 'bias', 'taskType', 'fanInFanOut'], 'exportPeftAdapter');
  const rs = !!options.rsLora, dt = options.dtype ?? 'f32';
  const trained = layers.filter((l) => l?.layer instanceof LoraLinear && l.layer.trainBias).map((l) => l.name);
  const bias = options.bias ?? (trained.length ? 'all' : 'none');
  if (bias !== 'none' && bias !== 'all') throw new LoraValueError(`exportPeftAdapter bias: expected 'none' or 'all', got ${showJson(bias)}`);
  if (bias === 'none' && trained.length) throw new LoraValueError(`exportPeftAdapter: ${trained.join(', ')} trained their bias; bias 'none' would drop it (use 'all')`);
  const mods: PeftAdapter['modules'] = {};
  const modules: ExportedAdapter['modules'] = {};
  for (const l of layers) {
    const name = l?.name, layer = l?.layer; // a null entry is refused by name below, not a TypeError
    if (typeof name !== 'string' || name.length === 0) throw new LoraValueError('exportPeftAdapter: every layer needs a module name');
    if (!(layer instanceof LoraLinear)) throw new LoraValueError(`exportPeftAdapter: ${name} is not a LoraLinear`);
    if (layer.merged) throw new LoraValueError(`exportPeftAdapter: ${name} is merged; unmerge() before exporting`);
    if (modules[name]) throw new LoraValueError(`exportPeftAdapter: module ${name} listed twice`);
    const A = layer.A.value, B = layer.B.value, s = layer.scale;
    const a = layer.initial ? vstack(A, layer.initial.A) : A;        // [A; A₀]   [2r, in]
    const b = layer.initial ? hstackNeg(B, layer.initial.B) : B;     // [B, −B₀]  [out, 2r]
    const r = a.shape[0];
    mods[name] = { A: a.dtype === dt ? a.clone() : a.to(dt), B: b.dtype === dt ? b.clone() : b.to(dt) };
    const lb = layer.bias?.value;
    if (bias === 'all' && lb) mods[name].bias = lb.dtype === dt ? lb.clone() : lb.to(dt);  // PEFT's "all": every bias
    modules[name] = { r, alpha: rs ? s * Math.sqrt(r) : s * r, converted: !!layer.initial };  // PEFT's α/r (α/√r) = s
  }
  const names = Object.keys(modules), first = modules[names[0]];
  // Exact entries ordered so that PEFT's first-match rule gives each module its own α (a name can end another's).
  const alphaPattern = exactPatterns(Object.fromEntries(names.map((n) => [n, modules[n].alpha])), first.alpha, names, 'exportPeftAdapter: alpha_pattern');
  const adapter: PeftAdapter = {
    modules: mods,
    config: {
      r: first.r, lora_alpha: first.alpha, use_rslora: rs, alpha_pattern: alphaPattern, base_model_name_or_path: options.baseModelName ?? null,
      bias, task_type: options.taskType ?? null, fan_in_fan_out: options.fanInFanOut ?? false,
    },
  };
  return { adapter, config: peftConfigJson(adapter), modules };
}

export async function exportPeftAdapter(dir: string, layers: ExportLayer[], options: ExportOptions = {}): Promise<ExportedAdapter> {
  const res = peftAdapter(layers, options);
  await writePeftAdapter(dir, res.adapter);
  return res;
}
