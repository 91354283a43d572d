/**
 * PEFT adapter files: adapter_model.safetensors (keys `base_model.model.<module>.lora_A.weight` [r, in] and
 * `….lora_B.weight` [out, r], PEFT's saved names with the adapter name removed) and adapter_config.json with
 * LoraConfig's field names, so `PeftModel.from_pretrained(base, dir)` loads them. Optionally the offset base
 * weights W' (LoRA-GA/PiSSA change W) as base_offset.safetensors (`<module>.weight`).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { PeftAdapter, ReadPeftAdapterResult } from '../../types/peft';
import { LoraFormatError, LoraShapeError, LoraValueError } from '../errors';
import { fmt, live, matrix } from '../ops/check';
import { Tensor } from '../tensor';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import { StagedDir } from '../io/staged-dir';
import { ioError } from '../io/fs-errors';
import { checkTaskType } from './hf-config';
import { exactPatterns, isPatternAlpha, isPatternRank, patternEntry, patternRegExp } from './patterns';
import { showJson, str } from '../show';

export const PEFT_PREFIX = 'base_model.model.';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
export const ADAPTER_CONFIG = 'adapter_config.json';
export const BASE_OFFSET = 'base_offset.safetensors';

export function peftConfigJson(adapter: PeftAdapter): Record<string, unknown> {
  const c = adapter.config;
  if (!c || typeof c !== 'object') throw new LoraValueError('writePeftAdapter: config is required');
  if (!Number.isInteger(c.r) || c.r < 1) throw new LoraValueError(`writePeftAdapter: config.r must be a positive integer, got ${str(c.r)}`);
  if (typeof c.lora_alpha !== 'number' || !Number.isFinite(c.lora_alpha)) throw new LoraValueError(`writePeftAdapter: config.lora_alpha must be a finite number, got ${str(c.lora_alpha)}`);
  const names = Object.keys(adapter.modules ?? {});
  if (names.length === 0) throw new LoraValueError('writePeftAdapter: no modules');
  // PEFT refuses an unknown task_type when it loads the config: refuse it here instead.
  const taskType = checkTaskType(c.task_type, 'writePeftAdapter config.task_type');
  if (c.fan_in_fan_out !== undefined && typeof c.fan_in_fan_out !== 'boolean')
    throw new LoraValueError(`writePeftAdapter: config.fan_in_fan_out must be a boolean, got ${showJson(c.fan_in_fan_out)}`);
  const rankPattern = checkedPattern(c.rank_pattern, 'rank_pattern', isPatternRank, 'a positive integer');
  const alphaPattern = checkedPattern(c.alpha_pattern, 'alpha_pattern', isPatternAlpha, 'a finite number');
  // Modules no caller key reaches whose rank is not r get exact entries, after the caller's keys (see patterns.ts).
  const ranks: Record<string, number> = {};
  for (const m of names) {
    const { A, B } = adapter.modules[m] ?? ({} as { A: Tensor; B: Tensor });
    matrix(A, `writePeftAdapter '${m}' A`);
    matrix(B, `writePeftAdapter '${m}' B`);
    if (A.shape[0] !== B.shape[1]) throw new LoraShapeError(`writePeftAdapter '${m}': A ${fmt(A)} must be [r, in] and B ${fmt(B)} [out, r] with the same r`);
    const hit = firstEntry(rankPattern, m, 'rank_pattern');
    firstEntry(alphaPattern, m, 'alpha_pattern');
    // A caller's key that gives m another rank than its tensors would make PEFT build the layer at the wrong rank.
    if (hit && hit.value !== A.shape[0]) {
      const says = hit.key === m ? 'rank_pattern says' : `rank_pattern key '${hit.key}' (the first that matches it, which PEFT applies) says`;
      throw new LoraShapeError(`writePeftAdapter '${m}': ${says} ${hit.value} but A ${fmt(A)} and B ${fmt(B)} have rank ${A.shape[0]}`);
    }
    if (!hit) ranks[m] = A.shape[0];
    const bias = adapter.modules[m].bias;
    if (bias !== undefined && (live(bias, `writePeftAdapter '${m}' bias`).rank !== 1 || bias.shape[0] !== B.shape[0]))
      throw new LoraShapeError(`writePeftAdapter '${m}': bias ${fmt(bias)} must be [${B.shape[0]}]`);
    const base = adapter.base?.[m];
    if (base && (base.rank !== 2 || base.shape[0] !== B.shape[0] || base.shape[1] !== A.shape[1]))
      throw new LoraShapeError(`writePeftAdapter '${m}': base ${fmt(base)} must be [${B.shape[0]}, ${A.shape[1]}]`);
  }
  Object.assign(rankPattern, exactPatterns(ranks, c.r, Object.keys(ranks), 'writePeftAdapter: rank_pattern'));
  return {
    alpha_pattern: alphaPattern,
    auto_mapping: null,
    base_model_name_or_path: c.base_model_name_or_path ?? null,
    bias: c.bias ?? 'none',
    exclude_modules: null,
    fan_in_fan_out: c.fan_in_fan_out ?? false,
    inference_mode: c.inference_mode ?? true,
    init_lora_weights: c.init_lora_weights ?? true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: c.lora_alpha,
    lora_bias: false,
    lora_dropout: c.lora_dropout ?? 0,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: c.modules_to_save ?? null,
    peft_type: 'LORA',
    r: c.r,
    rank_pattern: rankPattern,
    revision: null,
    target_modules: c.target_modules ?? names.slice().sort(),
    task_type: taskType,
    use_dora: false,
    use_rslora: c.use_rslora ?? false,
    ...(c.extra ?? {}),
  };
}

/**
 * PEFT's r, α and scale s (α/r, or α/√r with use_rslora) of module `m` of an adapter config, as the readers (importPeft,
 * `loraga export`) take them: PEFT 0.21's rule, the first rank_pattern / alpha_pattern key that matches (patterns.ts).
 */
export function peftModuleScale(cfg: { r: number; lora_alpha: number } & Record<string, unknown>, m: string, what: string): { r: number; alpha: number; s: number } {
  const rp = patternEntry((cfg.rank_pattern ?? {}) as Record<string, number>, m, `${what}: rank_pattern`);
  const ap = patternEntry((cfg.alpha_pattern ?? {}) as Record<string, number>, m, `${what}: alpha_pattern`);
  if (rp && !isPatternRank(rp.value))
    throw new LoraFormatError(`${what}: rank_pattern['${rp.key}'] (for '${m}') must be a positive integer, got ${showJson(rp.value)}`);
  if (ap && !isPatternAlpha(ap.value))
    throw new LoraFormatError(`${what}: alpha_pattern['${ap.key}'] (for '${m}') must be a finite number, got ${showJson(ap.value)}`);
  const r = rp ? rp.value : cfg.r, alpha = ap ? ap.value : cfg.lora_alpha;
  return { r, alpha, s: cfg.use_rslora ? alpha / Math.sqrt(r) : alpha / r };
}

/** A copy of the caller's rank_pattern / alpha_pattern (in its order) with every value and key checked. */
function checkedPattern(p: Record<string, number> | undefined, field: string, ok: (v: unknown) => boolean, what: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(p ?? {})) {
    if (!ok(v)) throw new LoraValueError(`writePeftAdapter: config.${field}['${k}'] must be ${what}, got ${typeof v === 'number' ? String(v) : showJson(v)}`);
    patternRegExp(k, `writePeftAdapter: config.${field}`);
    out[k] = v;
  }
  return out;
}

/**
 * The entry of a caller's pattern that PEFT applies to `m`. An exact entry for `m` listed after another key that also
 * matches `m` with another value never applies in PEFT: almost surely not what was meant, so a LoraValueError.
 */
function firstEntry(p: Record<string, number>, m: string, field: string): { key: string; value: number } | undefined {
  const hit = patternEntry(p, m, `writePeftAdapter: config.${field}`);
  if (hit && hit.key !== m && Object.hasOwn(p, m) && p[m] !== hit.value)
    throw new LoraValueError(`writePeftAdapter: config.${field}['${m}'] (${p[m]}) never applies: PEFT takes the first key that matches '${m}', '${hit.key}' (${hit.value}), listed before it; list '${m}' first`);
  return hit;
}

export async function writePeftAdapter(dir: string, adapter: PeftAdapter): Promise<void> {
  const stage = new StagedDir(dir);
  try {
    await stagePeftAdapter(stage, adapter);
    stage.commit();
  } catch (e) {
    stage.abort();
    throw e;
  }
}

/**
 * Writes the adapter's files into `stage` (committed by the caller, possibly with more files): the weights first
 * and adapter_config.json last, so that a directory never holds a new config over old weights.
 */
export async function stagePeftAdapter(stage: StagedDir, adapter: PeftAdapter): Promise<void> {
  const config = peftConfigJson(adapter);
  const pre = adapter.prefix === false ? '' : PEFT_PREFIX;
  const tensors: Record<string, Tensor> = {};
  for (const [m, { A, B, bias }] of Object.entries(adapter.modules)) {
    tensors[`${pre}${m}.lora_A.weight`] = A;
    tensors[`${pre}${m}.lora_B.weight`] = B;
    if (bias) tensors[`${pre}${m}.base_layer.bias`] = bias;  // the key PEFT saves (and loads) a LoRA layer's bias under
  }
  await writeStaged(stage, ADAPTER_WEIGHTS, tensors, adapter.metadata ?? { format: 'pt' });
  if (adapter.base) {
    const base: Record<string, Tensor> = {};
    for (const [m, W] of Object.entries(adapter.base)) base[`${m}.weight`] = W;
    await writeStaged(stage, BASE_OFFSET, base, { format: 'pt' });
  }
  await stage.writeFile(ADAPTER_CONFIG, JSON.stringify(config, null, 2) + '\n');
}

async function writeStaged(stage: StagedDir, name: string, tensors: Record<string, Tensor>, metadata: Record<string, string>): Promise<void> {
  const tmp = stage.path(name);
  try {
    await writeSafetensors(tmp, tensors, metadata);
  } catch (e) {
    throw ioError(e, path.join(stage.dir, name), 'write');
  }
}

export async function readPeftAdapter(dir: string): Promise<ReadPeftAdapterResult> {
  const cfgPath = path.join(dir, ADAPTER_CONFIG);
  let config: ReadPeftAdapterResult['config'];
  try {
    config = JSON.parse(await fs.promises.readFile(cfgPath, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw ioError(e, cfgPath, 'read');
    throw new LoraFormatError(`${cfgPath}: not valid JSON (${(e as Error).message})`);
  }
  if (!config || typeof config !== 'object' || typeof config.r !== 'number' || typeof config.lora_alpha !== 'number')
    throw new LoraFormatError(`${cfgPath}: needs numeric "r" and "lora_alpha"`);
  if (config.peft_type !== undefined && config.peft_type !== 'LORA') throw new LoraFormatError(`${cfgPath}: peft_type ${str(config.peft_type)} is not LORA`);
  const tensors = await readSafetensors(path.join(dir, ADAPTER_WEIGHTS));
  const modules: Record<string, { A?: Tensor; B?: Tensor; bias?: Tensor }> = {};
  let prefixed = 0;
  for (const [key, t] of Object.entries(tensors)) {
    const bt = /^(.*)\.base_layer\.bias$/.exec(key);
    if (bt) {
      let m = bt[1];
      if (m.startsWith(PEFT_PREFIX)) { m = m.slice(PEFT_PREFIX.length); prefixed++; }
      (modules[m] ??= {}).bias = t;
      continue;
    }
    const mt = /^(.*)\.lora_([AB])(?:\.[^.]+)?\.weight$/.exec(key);
    if (!mt) throw new LoraFormatError(`${dir}/${ADAPTER_WEIGHTS}: unexpected key '${key}' (expected <module>.lora_A.weight / lora_B.weight)`);
    let m = mt[1];
    if (m.startsWith(PEFT_PREFIX)) { m = m.slice(PEFT_PREFIX.length); prefixed++; }
    (modules[m] ??= {})[mt[2] as 'A' | 'B'] = t;
  }
  const out: ReadPeftAdapterResult['modules'] = {};
  for (const [m, ab] of Object.entries(modules)) {
    if (!ab.A && !ab.B) throw new LoraFormatError(`${dir}/${ADAPTER_WEIGHTS}: module '${m}' has a base_layer.bias but no lora_A / lora_B`);
    if (!ab.A || !ab.B) throw new LoraFormatError(`${dir}/${ADAPTER_WEIGHTS}: module '${m}' has lora_${ab.A ? 'A' : 'B'} but not lora_${ab.A ? 'B' : 'A'}`);
    out[m] = ab.bias ? { A: ab.A, B: ab.B, bias: ab.bias } : { A: ab.A, B: ab.B };
  }
  const res: ReadPeftAdapterResult = { modules: out, config, prefix: prefixed > 0 };
  const basePath = path.join(dir, BASE_OFFSET);
  if (fs.existsSync(basePath)) {
    const b = await readSafetensors(basePath);
    res.base = {};
    for (const [k, t] of Object.entries(b)) res.base[k.replace(/\.weight$/, '')] = t;
  }
  return res;
}
