/**
 * What `loraga init` reads from a Hugging Face checkpoint to write an adapter PEFT loads as intended
 * (lib/peft/targets.ts, lib/peft/hf-config.ts): PEFT's target matching and `all-linear`, the task_type an
 * architecture names, the GPT-2 Conv1D layout (fan_in_fan_out), and config.json read with typed errors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LoraFormatError, LoraValueError } from '../lib';
import { checkTaskType, inferTaskType, looksConv1D, readModelConfig, resolveFanInFanOut, ModelConfig } from '../lib/peft/hf-config';
import { allLinear, matchTargets, targetMatches } from '../lib/peft/targets';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-peft-targets-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cfg = (json: Record<string, unknown>): ModelConfig => ({ path: '/ckpt/config.json', json });

describe('target_modules as PEFT matches them', () => {
  const names = ['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.k_proj', 'model.layers.1.self_attn.q_proj', 'lm_head'];

  test('a target is the full name or a dotted suffix of it, never a bare substring', () => {
    expect(targetMatches('q_proj', 'model.layers.0.self_attn.q_proj')).toBe(true);
    expect(targetMatches('self_attn.q_proj', 'model.layers.0.self_attn.q_proj')).toBe(true);
    expect(targetMatches('lm_head', 'lm_head')).toBe(true);
    expect(targetMatches('proj', 'model.layers.0.self_attn.q_proj')).toBe(false);
    expect(matchTargets(['q_proj'], names, 'init')).toEqual(['model.layers.0.self_attn.q_proj', 'model.layers.1.self_attn.q_proj']);
  });

  test('a target that matches nothing is a LoraValueError naming it and the modules there are (or none)', () => {
    expect(() => matchTargets(['q_proj', 'v_proj', 'o_proj'], names, 'loraga init --targets')).toThrow(
      new LoraValueError(`loraga init --targets: v_proj, o_proj matched no module (a target is a full module name or a dotted suffix of one, as in PEFT); available: ${names.join(', ')}`));
    expect(() => matchTargets(['q_proj'], [], 'init')).toThrow(/matched no module .*; available: none$/);
  });
});

describe("all-linear leaves out embedding tables and the output head, as PEFT's does", () => {
  // transformers' names of nn.Embedding tables (Llama, GPT-2, BERT, BART/T5, GPT-NeoX) and output heads.
  test.each([
    'embed_tokens', 'wte', 'wpe', 'word_embeddings', 'position_embeddings', 'token_type_embeddings', 'embed_positions', 'shared', 'embed_in',
    'lm_head', 'embed_out',
  ])('%s is excluded', (last) => {
    const weights = { [`model.${last}`]: [50, 8], 'model.layers.0.mlp.up_proj': [16, 8] };
    expect(allLinear(weights, { vocabSize: 50 })).toEqual({ targets: ['model.layers.0.mlp.up_proj'], excluded: [`model.${last}`] });
  });

  test('1-D weights are skipped; a 2-D weight of vocab_size rows under another name is a typed error, without vocab_size it is a target', () => {
    const weights = { 'model.norm': [16], 'model.out_proj': [50, 16], 'model.up': [16, 50] };
    expect(() => allLinear(weights, { vocabSize: 50 })).toThrow(/all-linear: cannot tell whether 'model\.out_proj' \[50, 16\] is an embedding table.*vocab_size = 50/);
    expect(allLinear(weights)).toEqual({ targets: ['model.out_proj', 'model.up'], excluded: [] });
    expect(allLinear(weights, { vocabSize: 49 })).toEqual({ targets: ['model.out_proj', 'model.up'], excluded: [] });
  });
});

describe('task_type', () => {
  test.each([
    ['LlamaForCausalLM', 'CAUSAL_LM'], ['GPT2LMHeadModel', 'CAUSAL_LM'], ['BertForSequenceClassification', 'SEQ_CLS'],
    ['RobertaForTokenClassification', 'TOKEN_CLS'], ['BertForQuestionAnswering', 'QUESTION_ANS'],
    ['T5ForConditionalGeneration', null], ['ForCausalLMWrapper', null], ['GPT2Model', null],
  ])('architecture %s → %s', (arch, task) => {
    expect(inferTaskType(cfg({ architectures: [arch] }))).toBe(task);
  });

  test('no certain architecture (none, several, not a string, no config) → null', () => {
    expect(inferTaskType(null)).toBeNull();
    expect(inferTaskType(cfg({}))).toBeNull();
    expect(inferTaskType(cfg({ architectures: 'LlamaForCausalLM' }))).toBeNull();
    expect(inferTaskType(cfg({ architectures: ['LlamaForCausalLM', 'LlamaForSequenceClassification'] }))).toBeNull();
    expect(inferTaskType(cfg({ architectures: [7] }))).toBeNull();
  });

  test("an explicit task type must be one of PEFT's TaskType values", () => {
    expect(checkTaskType(undefined, 'x')).toBeNull();
    expect(checkTaskType(null, 'x')).toBeNull();
    expect(checkTaskType('SEQ_2_SEQ_LM', 'x')).toBe('SEQ_2_SEQ_LM');
    expect(() => checkTaskType('causal_lm', '--task-type')).toThrow(/^--task-type: task type must be one of SEQ_CLS, SEQ_2_SEQ_LM, CAUSAL_LM, TOKEN_CLS, QUESTION_ANS, FEATURE_EXTRACTION, got "causal_lm"$/);
    expect(() => checkTaskType(3, 'x')).toThrow(LoraValueError);
  });
});

describe("GPT-2's Conv1D layout (PEFT's fan_in_fan_out)", () => {
  const gpt2 = cfg({ model_type: 'gpt2' });

  test('Conv1D names are the attention and MLP projections of GPT-2, whole last parts only', () => {
    for (const n of ['transformer.h.0.attn.c_attn', 'h.3.mlp.c_fc', 'attn.c_proj', 'h.1.crossattention.q_attn']) expect(looksConv1D(n)).toBe(true);
    for (const n of ['lm_head', 'h.0.attn.c_attn.base_layer', 'h.0.xattn.c_attn', 'model.layers.0.mlp.up_proj']) expect(looksConv1D(n)).toBe(false);
  });

  test('a GPT-2 config makes it certain: Conv1D targets are [in, out], Linear targets [out, in]; detected unless given', () => {
    expect(resolveFanInFanOut(['h.0.attn.c_attn', 'h.0.mlp.c_fc'], gpt2, undefined)).toEqual({ fanInFanOut: true, detected: true });
    expect(resolveFanInFanOut(['lm_head'], gpt2, undefined)).toEqual({ fanInFanOut: false, detected: true });
    expect(resolveFanInFanOut(['h.0.attn.c_attn'], gpt2, true)).toEqual({ fanInFanOut: true, detected: false });
    expect(resolveFanInFanOut(['lm_head'], gpt2, false)).toEqual({ fanInFanOut: false, detected: false });
  });

  test('a GPT-2 config and an explicit layout that contradicts it, or targets of both layouts, are typed errors', () => {
    expect(() => resolveFanInFanOut(['h.0.attn.c_attn'], gpt2, false)).toThrow(
      new LoraValueError('--fan-in-fan-out=false, but /ckpt/config.json is GPT-2, whose Conv1D layers store W as [in, out] (h.0.attn.c_attn)'));
    expect(() => resolveFanInFanOut(['lm_head'], gpt2, true)).toThrow(
      new LoraValueError('--fan-in-fan-out=true, but /ckpt/config.json is GPT-2, whose Linear layers store W as [out, in] (lm_head)'));
    expect(() => resolveFanInFanOut(['h.0.attn.c_attn', 'h.0.mlp.c_fc', 'h.1.attn.c_attn', 'h.1.mlp.c_fc', 'lm_head', 'score'], gpt2, undefined)).toThrow(
      new LoraValueError('GPT-2 targets mix Conv1D layers [in, out] (h.0.attn.c_attn, h.0.mlp.c_fc, h.1.attn.c_attn…) and Linear layers [out, in] (lm_head, score): one adapter has one fan_in_fan_out; initialise them in two runs'));
    // The message names at most three of each, however many Linear targets there are.
    expect(() => resolveFanInFanOut(['h.0.attn.c_attn', 'lm_head', 'score', 'classifier', 'v_head', 'q_head'], gpt2, undefined)).toThrow(
      new LoraValueError('GPT-2 targets mix Conv1D layers [in, out] (h.0.attn.c_attn…) and Linear layers [out, in] (lm_head, score, classifier): one adapter has one fan_in_fan_out; initialise them in two runs'));
  });

  test('without a GPT-2 config: the explicit layout, else [out, in]; Conv1D names without one are ambiguous', () => {
    const llama = cfg({ model_type: 'llama' });
    expect(resolveFanInFanOut(['model.layers.0.mlp.up_proj'], llama, undefined)).toEqual({ fanInFanOut: false, detected: false });
    expect(resolveFanInFanOut(['model.layers.0.mlp.up_proj'], null, true)).toEqual({ fanInFanOut: true, detected: false });
    expect(() => resolveFanInFanOut(['h.0.attn.c_attn'], null, undefined)).toThrow(
      /^h\.0\.attn\.c_attn has a GPT-2 Conv1D name but there is no config\.json beside the weights: cannot tell/);
    expect(() => resolveFanInFanOut(['h.0.attn.c_attn'], llama, undefined)).toThrow(
      /^h\.0\.attn\.c_attn has a GPT-2 Conv1D name but \/ckpt\/config\.json is not a GPT-2 config: cannot tell/);
  });
});

describe('config.json beside a checkpoint', () => {
  const write = (name: string, text: string) => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.json'), text);
    return path.join(dir, 'model.safetensors');
  };

  test('read when there, null when not; an explicit path must exist', () => {
    const w = write('ok', '{"model_type": "gpt2"}');
    expect(readModelConfig(w)).toEqual({ path: path.join(path.dirname(w), 'config.json'), json: { model_type: 'gpt2' } });
    expect(readModelConfig(path.join(tmp, 'none', 'model.safetensors'))).toBeNull();
    expect(() => readModelConfig(w, path.join(tmp, 'missing.json'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  test('not JSON, or JSON that is not an object, is a LoraFormatError naming the file', () => {
    const bad = write('bad', '{"model_type": ');
    expect(() => readModelConfig(bad)).toThrow(LoraFormatError);
    expect(() => readModelConfig(bad)).toThrow(/config\.json: not valid JSON \(/);
    for (const [name, text] of [['arr', '[]'], ['nul', 'null'], ['num', '5']]) {
      expect(() => readModelConfig(write(name, text))).toThrow(new LoraFormatError(`${path.join(tmp, name, 'config.json')}: expected a JSON object`));
    }
  });
});
