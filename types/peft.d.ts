/*
 * PEFT adapter files: adapter_model.safetensors (keys `base_model.model.<module>.lora_A.weight` [r, in] and
 * `….lora_B.weight` [out, r], PEFT's saved names with the adapter name removed) and adapter_config.json with
 * LoraConfig's field names, so `PeftModel.from_pretrained(base, dir)` loads them. Optionally the offset base
 * weights W' (LoRA-GA/PiSSA change W) as base_offset.safetensors (`<module>.weight`).
 */
import type { Tensor } from './tensor';

/** The key prefix PEFT saves adapter weights under. */
export declare const PEFT_PREFIX = "base_model.model.";
/** The adapter's weights file. */
export declare const ADAPTER_WEIGHTS = "adapter_model.safetensors";
/** The adapter's LoraConfig file. */
export declare const ADAPTER_CONFIG = "adapter_config.json";
/** The offset base weights W' file (ours, optional). */
export declare const BASE_OFFSET = "base_offset.safetensors";

/** The LoraConfig fields we write (PEFT's names). Anything else can go in `extra`. */
export interface PeftAdapterConfig {
  r: number;
  lora_alpha: number;
  /** Default: the full names of the adapted modules (PEFT matches a name exactly or as a dotted suffix). */
  target_modules?: string[];
  use_rslora?: boolean;
  base_model_name_or_path?: string | null;
  /**
   * PEFT's TaskType ('CAUSAL_LM', 'SEQ_CLS', 'SEQ_2_SEQ_LM', 'TOKEN_CLS', 'QUESTION_ANS', 'FEATURE_EXTRACTION') or
   * null; another value is a LoraValueError. AutoPeftModelFor… needs it (AutoPeftModelForCausalLM: 'CAUSAL_LM').
   */
  task_type?: string | null;
  lora_dropout?: number;
  bias?: 'none' | 'all' | 'lora_only';
  /** W stored [in, out] (transformers' Conv1D, GPT-2). Default false. */
  fan_in_fan_out?: boolean;
  /** What PEFT does when it creates the layers before loading our weights; true (plain LoRA) is right for loading. */
  init_lora_weights?: boolean | string;
  modules_to_save?: string[] | null;
  inference_mode?: boolean;
  /**
   * Per-module ranks, as PEFT 0.21 reads them: a module takes the value of the FIRST key, in this object's order, that
   * matches `(.*\.)?(key)$` as a regex (so 'q_proj' reaches 'model.layers.0.q_proj'; 'proj' does not), else r. Every
   * module's resulting rank must equal its tensors' (else a LoraShapeError naming the key); modules no key reaches
   * whose rank is not r get exact entries, appended, longest name first. Keys use module-name characters, '.', '\.',
   * `* + ? |`, groups and classes only (other regex syntax may read differently in Python: a LoraValueError); an
   * exact entry listed after another key that reaches its module first with another value never applies in PEFT: a
   * LoraValueError. The readers (importPeft, `loraga export`) apply the same rule.
   */
  rank_pattern?: Record<string, number>;
  /** Per-module lora_alpha, by the same first-match rule and key syntax as rank_pattern. */
  alpha_pattern?: Record<string, number>;
  /** Extra fields copied into adapter_config.json as-is (e.g. newer LoraConfig fields). */
  extra?: Record<string, unknown>;
}

/** An adapter to write: A [r, in] and B [out, r] per module (and its base layer's bias [out], for bias "all"), and the config. */
export interface PeftAdapter {
  modules: Record<string, { A: Tensor; B: Tensor; bias?: Tensor }>;
  config: PeftAdapterConfig;
  /** Prefix keys with `base_model.model.` as PEFT saves them (default true). */
  prefix?: boolean;
  /** Offset base weights W' per module, written to base_offset.safetensors as `<module>.weight`. */
  base?: Record<string, Tensor>;
  /** safetensors __metadata__ of the adapter file (default {format: 'pt'}, as PEFT/transformers write). */
  metadata?: Record<string, string>;
}

/** Validates the modules and builds the adapter_config.json object. */
export declare function peftConfigJson(adapter: PeftAdapter): Record<string, unknown>;
/** Writes adapter_model.safetensors + adapter_config.json (+ base_offset.safetensors when `base` is given). */
export declare function writePeftAdapter(dir: string, adapter: PeftAdapter): Promise<void>;

/** An adapter as read back. */
export interface ReadPeftAdapterResult {
  /** Per module A, B and, when the file has `<module>.base_layer.bias`, the bias. */
  modules: Record<string, { A: Tensor; B: Tensor; bias?: Tensor }>;
  /** adapter_config.json as written (PEFT's field names). */
  config: Record<string, unknown> & { r: number; lora_alpha: number };
  /** Whether the keys carried the `base_model.model.` prefix. */
  prefix: boolean;
  /** base_offset.safetensors when present, keyed by module. */
  base?: Record<string, Tensor>;
}

/** Reads an adapter directory written by us or by PEFT (safetensors only). */
export declare function readPeftAdapter(dir: string): Promise<ReadPeftAdapterResult>;
