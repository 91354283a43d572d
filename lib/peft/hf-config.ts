/**
 * What a Hugging Face checkpoint's config.json makes certain for an adapter: the weight layout of its layers
 * (transformers' Conv1D stores W as [in, out]: PEFT's fan_in_fan_out) and PEFT's task_type. Only what the config
 * determines is inferred; anything else is left to explicit options (or is a typed error when guessing would risk a
 * silently wrong adapter).
 */
import * as fs from 'fs';
import * as path from 'path';
import { LoraFormatError, LoraValueError } from '../errors';
import { showJson } from '../show';

/** PEFT's TaskType values (peft/utils/peft_types.py). */
export const PEFT_TASK_TYPES = ['SEQ_CLS', 'SEQ_2_SEQ_LM', 'CAUSAL_LM', 'TOKEN_CLS', 'QUESTION_ANS', 'FEATURE_EXTRACTION'] as const;
export type PeftTaskType = (typeof PEFT_TASK_TYPES)[number];

export function checkTaskType(x: unknown, what: string): PeftTaskType | null {
  if (x === undefined || x === null) return null;
  if (typeof x !== 'string' || !(PEFT_TASK_TYPES as readonly string[]).includes(x))
    throw new LoraValueError(`${what}: task type must be one of ${PEFT_TASK_TYPES.join(', ')}, got ${showJson(x)}`);
  return x as PeftTaskType;
}

export interface ModelConfig {
  /** The config.json read. */
  path: string;
  json: Record<string, unknown>;
}

/** config.json beside a checkpoint file (or its shard index); null when there is none. */
export function readModelConfig(weightsPath: string, explicit?: string): ModelConfig | null {
  const p = explicit ?? path.join(path.dirname(weightsPath), 'config.json');
  if (!explicit && !fs.existsSync(p)) return null;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(p, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw e;
    throw new LoraFormatError(`${p}: not valid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new LoraFormatError(`${p}: expected a JSON object`);
  return { path: p, json: json as Record<string, unknown> };
}

/**
 * PEFT's task_type where the architecture names it without doubt: *ForCausalLM and GPT-2's GPT2LMHeadModel →
 * CAUSAL_LM, *ForSequenceClassification → SEQ_CLS, *ForTokenClassification → TOKEN_CLS, *ForQuestionAnswering →
 * QUESTION_ANS. Others (e.g. *ForConditionalGeneration, seq2seq or multimodal) → null: give it explicitly.
 */
export function inferTaskType(cfg: ModelConfig | null): PeftTaskType | null {
  const arch = cfg?.json.architectures;
  if (!Array.isArray(arch) || arch.length !== 1 || typeof arch[0] !== 'string') return null;
  const a = arch[0];
  if (a.endsWith('ForCausalLM') || a === 'GPT2LMHeadModel') return 'CAUSAL_LM';
  if (a.endsWith('ForSequenceClassification')) return 'SEQ_CLS';
  if (a.endsWith('ForTokenClassification')) return 'TOKEN_CLS';
  if (a.endsWith('ForQuestionAnswering')) return 'QUESTION_ANS';
  return null;
}

/** GPT-2's Conv1D modules (transformers' GPT2Attention / GPT2MLP): their weights are [in, out]. */
const GPT2_CONV1D = /(^|\.)(attn\.c_attn|attn\.c_proj|attn\.q_attn|crossattention\.c_attn|crossattention\.q_attn|crossattention\.c_proj|mlp\.c_fc|mlp\.c_proj)$/;

export function isGpt2Config(cfg: ModelConfig | null): boolean {
  return cfg?.json.model_type === 'gpt2';
}

export function looksConv1D(name: string): boolean {
  return GPT2_CONV1D.test(name);
}

/**
 * The layout of the target modules: `explicit` (--fan-in-fan-out) when given, checked against what is certain;
 * else detected. Certain: a GPT-2 config.json (model_type 'gpt2') and GPT-2's Conv1D names → [in, out]; a GPT-2
 * config with other names (lm_head, a Linear) → [out, in]. GPT-2-style names without a GPT-2 config are ambiguous
 * (a typed error asks for the option). Targets of both layouts in one run are a typed error (one
 * fan_in_fan_out per adapter_config).
 */
export function resolveFanInFanOut(targets: readonly string[], cfg: ModelConfig | null, explicit: boolean | undefined): { fanInFanOut: boolean; detected: boolean } {
  const gpt2 = isGpt2Config(cfg);
  const conv = targets.filter(looksConv1D);
  if (gpt2) {
    const lin = targets.filter((t) => !looksConv1D(t));
    if (conv.length && lin.length)
      throw new LoraValueError(`GPT-2 targets mix Conv1D layers [in, out] (${conv.slice(0, 3).join(', ')}…) and Linear layers [out, in] (${lin.slice(0, 3).join(', ')}): one adapter has one fan_in_fan_out; initialise them in two runs`);
    const certain = conv.length > 0;
    if (explicit !== undefined && explicit !== certain)
      throw new LoraValueError(`--fan-in-fan-out=${explicit}, but ${cfg!.path} is GPT-2, whose ${certain ? 'Conv1D layers store W as [in, out]' : 'Linear layers store W as [out, in]'} (${(certain ? conv : lin)[0]})`);
    return { fanInFanOut: certain, detected: explicit === undefined };
  }
  if (explicit !== undefined) return { fanInFanOut: explicit, detected: false };
  if (conv.length)
    throw new LoraValueError(`${conv[0]} has a GPT-2 Conv1D name but ${cfg ? `${cfg.path} is not a GPT-2 config` : 'there is no config.json beside the weights'}: cannot tell whether its W is [in, out] (Conv1D) or [out, in] (Linear); pass --fan-in-fan-out or --fan-in-fan-out=false`);
  return { fanInFanOut: false, detected: false };
}
