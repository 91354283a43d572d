/**
 * PEFT's target_modules rules over a checkpoint's module names: a target matches a module when it equals the full
 * name or is a dotted suffix of it (`q_proj` matches `model.layers.0.self_attn.q_proj`, as PEFT's
 * `_check_target_module_exists`), and `all-linear` selects every Linear/Conv1D layer except the output head.
 * A checkpoint does not say which 2-D weights are Linear: `all-linear` excludes embedding tables and the output head
 * by transformers' module names, and refuses (typed error) a 2-D weight it cannot place.
 */
import { LoraValueError } from '../errors';

/** PEFT's match of one target key against a full module name. */
export function targetMatches(key: string, name: string): boolean {
  return name === key || name.endsWith(`.${key}`);
}

/** Module names (in `names`' order) matched by any of `targets`; a target that matches nothing is a typed error. */
export function matchTargets(targets: readonly string[], names: readonly string[], what: string): string[] {
  const unmatched = targets.filter((t) => !names.some((n) => targetMatches(t, n)));
  if (unmatched.length)
    throw new LoraValueError(`${what}: ${unmatched.join(', ')} matched no module (a target is a full module name or a dotted suffix of one, as in PEFT); available: ${names.join(', ') || 'none'}`);
  return names.filter((n) => targets.some((t) => targetMatches(t, n)));
}

/** Last name parts of transformers' embedding tables (nn.Embedding, never adapted by all-linear). */
export const EMBEDDING_NAMES = ['embed_tokens', 'wte', 'wpe', 'word_embeddings', 'position_embeddings', 'token_type_embeddings', 'embed_positions', 'shared', 'embed_in'];
/** Last name parts of output heads (PEFT's all-linear leaves the output layer out). */
export const OUTPUT_HEAD_NAMES = ['lm_head', 'embed_out'];

export interface AllLinearInfo {
  /** config.json's vocab_size: a 2-D weight with that many rows is an embedding or an output head. */
  vocabSize?: number;
}

/**
 * PEFT's `all-linear` over 2-D weights `{name: shape}`: everything but embedding tables and the output head. A 2-D
 * weight with vocab_size rows (config.json) whose name is not a known embedding or head is ambiguous (an output
 * head under another name?): a typed error asks for explicit targets.
 */
export function allLinear(weights: Record<string, readonly number[]>, info: AllLinearInfo = {}): { targets: string[]; excluded: string[] } {
  const targets: string[] = [], excluded: string[] = [];
  for (const [name, shape] of Object.entries(weights)) {
    if (shape.length !== 2) continue;
    const last = name.split('.').pop()!;
    if (EMBEDDING_NAMES.includes(last) || OUTPUT_HEAD_NAMES.includes(last)) { excluded.push(name); continue; }
    if (info.vocabSize !== undefined && shape[0] === info.vocabSize)
      throw new LoraValueError(`all-linear: cannot tell whether '${name}' [${shape.join(', ')}] is an embedding table, an output head or a Linear layer (it has vocab_size = ${info.vocabSize} rows): list the targets explicitly`);
    targets.push(name);
  }
  return { targets, excluded };
}
