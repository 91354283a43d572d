import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LoraFormatError, LoraIOError, LoraShapeError, LoraValueError, SafetensorsFile, Tensor, readPeftAdapter, writePeftAdapter, writeSafetensorsSync } from '../lib';
import { randTensor } from './helpers/ref';
import { peftModuleScale } from '../lib/peft/adapter';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-peft-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const mods = {
  'model.layers.0.self_attn.q_proj': { A: randTensor([4, 16], 1).t, B: randTensor([16, 4], 2).t },
  'model.layers.0.mlp.up_proj': { A: randTensor([4, 16], 3).t, B: randTensor([32, 4], 4).t },
};

test('writes PEFT key names and LoraConfig fields; reads back bit-identical', async () => {
  const dir = path.join(tmp, 'a');
  const base = { 'model.layers.0.self_attn.q_proj': randTensor([16, 16], 5).t };
  await writePeftAdapter(dir, { modules: mods, config: { r: 4, lora_alpha: 8, base_model_name_or_path: 'tiny' }, base });
  const f = SafetensorsFile.open(path.join(dir, 'adapter_model.safetensors'));
  expect(f.names.sort()).toEqual([
    'base_model.model.model.layers.0.mlp.up_proj.lora_A.weight', 'base_model.model.model.layers.0.mlp.up_proj.lora_B.weight',
    'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', 'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
  ]);
  expect(f.metadata).toEqual({ format: 'pt' });
  f.close();
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
  expect(cfg).toMatchObject({
    peft_type: 'LORA', r: 4, lora_alpha: 8, use_rslora: false, task_type: null, bias: 'none', fan_in_fan_out: false,
    init_lora_weights: true, lora_dropout: 0, base_model_name_or_path: 'tiny', modules_to_save: null, rank_pattern: {},
    target_modules: ['model.layers.0.mlp.up_proj', 'model.layers.0.self_attn.q_proj'],
  });
  const back = await readPeftAdapter(dir);
  expect(back.prefix).toBe(true);
  for (const [m, { A, B }] of Object.entries(mods)) {
    expect(Array.from(back.modules[m].A.data)).toEqual(Array.from(A.data));
    expect(Array.from(back.modules[m].B.data)).toEqual(Array.from(B.data));
  }
  expect(Array.from(back.base!['model.layers.0.self_attn.q_proj'].data)).toEqual(Array.from(base['model.layers.0.self_attn.q_proj'].data));
});

test('prefix: false writes bare <module>.lora_A.weight keys; a module of another rank goes to rank_pattern', async () => {
  const dir = path.join(tmp, 'b');
  const m2 = { ...mods, odd: { A: randTensor([2, 8], 6, 'bf16').t, B: randTensor([8, 2], 7, 'bf16').t } };
  await writePeftAdapter(dir, { modules: m2, config: { r: 4, lora_alpha: 8, use_rslora: true, target_modules: ['q_proj', 'up_proj', 'odd'] }, prefix: false });
  const back = await readPeftAdapter(dir);
  expect(back.prefix).toBe(false);
  expect(Object.keys(back.modules).sort()).toEqual(['model.layers.0.mlp.up_proj', 'model.layers.0.self_attn.q_proj', 'odd']);
  expect(back.modules.odd.A.dtype).toBe('bf16');
  expect(back.config.rank_pattern).toEqual({ odd: 2 });
  expect(back.config.use_rslora).toBe(true);
  expect(back.config.target_modules).toEqual(['q_proj', 'up_proj', 'odd']);
});

test('bad adapters are rejected with typed errors', async () => {
  await expect(writePeftAdapter(path.join(tmp, 'c'), { modules: { m: { A: Tensor.zeros([4, 8]), B: Tensor.zeros([8, 3]) } }, config: { r: 4, lora_alpha: 8 } }))
    .rejects.toThrow(LoraShapeError);
  const dir = path.join(tmp, 'd');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'adapter_config.json'), '{"r": 4');
  await expect(readPeftAdapter(dir)).rejects.toThrow(LoraFormatError);
});

describe('adapter_config.json is a complete LoraConfig with PEFT\'s defaults', () => {
  test('every field PEFT reads, exactly: defaults where the config is silent, the caller\'s values and extra fields where given', async () => {
    const dir = path.join(tmp, 'cfg-defaults');
    await writePeftAdapter(dir, { modules: { 'z.proj': mods['model.layers.0.mlp.up_proj'], 'a.proj': mods['model.layers.0.self_attn.q_proj'] }, config: { r: 4, lora_alpha: 16 } });
    const text = fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8');
    expect(text.endsWith('}\n')).toBe(true);  // a text file: one final newline
    expect(JSON.parse(text)).toEqual({
      alpha_pattern: {}, auto_mapping: null, base_model_name_or_path: null, bias: 'none', exclude_modules: null,
      fan_in_fan_out: false, inference_mode: true, init_lora_weights: true, layer_replication: null, layers_pattern: null,
      layers_to_transform: null, loftq_config: {}, lora_alpha: 16, lora_bias: false, lora_dropout: 0, megatron_config: null,
      megatron_core: 'megatron.core', modules_to_save: null, peft_type: 'LORA', r: 4, rank_pattern: {}, revision: null,
      target_modules: ['a.proj', 'z.proj'], task_type: null, use_dora: false, use_rslora: false,
    });
    const dir2 = path.join(tmp, 'cfg-given');
    await writePeftAdapter(dir2, {
      modules: { m: mods['model.layers.0.self_attn.q_proj'] },
      config: { r: 4, lora_alpha: 8, inference_mode: false, rank_pattern: { other: 8 }, task_type: 'CAUSAL_LM', fan_in_fan_out: true, extra: { layers_pattern: 'layers', peft_version: '0.13.0' } },
    });
    expect(JSON.parse(fs.readFileSync(path.join(dir2, 'adapter_config.json'), 'utf8'))).toMatchObject({
      inference_mode: false, rank_pattern: { other: 8 }, task_type: 'CAUSAL_LM', fan_in_fan_out: true, layers_pattern: 'layers', peft_version: '0.13.0',
    });
  });

  test.each([
    ['no config', { config: undefined }, /^writePeftAdapter: config is required$/],
    ['a number as config', { config: 5 }, /^writePeftAdapter: config is required$/],
    ['r = 2.5', { config: { r: 2.5, lora_alpha: 8 } }, /^writePeftAdapter: config\.r must be a positive integer, got 2\.5$/],
    ['r = 0', { config: { r: 0, lora_alpha: 8 } }, /^writePeftAdapter: config\.r must be a positive integer, got 0$/],
    ['lora_alpha \'8\'', { config: { r: 4, lora_alpha: '8' } }, /^writePeftAdapter: config\.lora_alpha must be a finite number, got 8$/],
    ['lora_alpha Infinity', { config: { r: 4, lora_alpha: Infinity } }, /^writePeftAdapter: config\.lora_alpha must be a finite number, got Infinity$/],
    ['no modules', { config: { r: 4, lora_alpha: 8 }, modules: {} }, /^writePeftAdapter: no modules$/],
    ['task_type \'CAUSAL\'', { config: { r: 4, lora_alpha: 8, task_type: 'CAUSAL' } }, /^writePeftAdapter config\.task_type: task type must be one of /],
    ['fan_in_fan_out \'yes\'', { config: { r: 4, lora_alpha: 8, fan_in_fan_out: 'yes' } }, /^writePeftAdapter: config\.fan_in_fan_out must be a boolean, got "yes"$/],
  ])('a bad config (%s) is a LoraValueError that names the field', async (_, bad, msg) => {
    const adapter = { modules: { m: mods['model.layers.0.self_attn.q_proj'] }, ...bad } as unknown as Parameters<typeof writePeftAdapter>[1];
    const dir = path.join(tmp, 'bad-config');
    await expect(writePeftAdapter(dir, adapter)).rejects.toThrow(LoraValueError);
    await expect(writePeftAdapter(dir, adapter)).rejects.toThrow(msg);
    expect(fs.existsSync(path.join(dir, 'adapter_config.json'))).toBe(false);
  });

  test('rank 1 is a rank', async () => {
    const dir = path.join(tmp, 'r1');
    await writePeftAdapter(dir, { modules: { m: { A: Tensor.zeros([1, 8]), B: Tensor.zeros([8, 1]) } }, config: { r: 1, lora_alpha: 1 } });
    expect((await readPeftAdapter(dir)).config.r).toBe(1);
  });
});

describe('rank_pattern and alpha_pattern say what PEFT will build (its rule: the first key that matches (.*\\.)?(key)$) and agree with the tensors', () => {
  const mod = (r: number) => ({ A: Tensor.zeros([r, 8]), B: Tensor.zeros([8, r]) });
  const write = (name: string, config: Record<string, unknown>, modules: Record<string, unknown> = { 'l.0.q_proj': mod(2), 'l.0.v_proj': mod(4) }) =>
    writePeftAdapter(path.join(tmp, name), { modules, config: { r: 4, lora_alpha: 8, ...config } } as never);

  test('rank 1 is a rank: a rank_pattern entry of 1 for a rank-1 module is kept', async () => {
    await write('rp-one', { rank_pattern: { 'l.0.q_proj': 1 } }, { 'l.0.q_proj': mod(1), 'l.0.v_proj': mod(4) });
    expect((await readPeftAdapter(path.join(tmp, 'rp-one'))).config.rank_pattern).toEqual({ 'l.0.q_proj': 1 });
  });

  test('a caller\'s entry that agrees with the tensors is kept; one for a module of rank r is kept too', async () => {
    await write('rp-agree', { rank_pattern: { 'l.0.q_proj': 2, 'l.0.v_proj': 4 }, alpha_pattern: { 'l.0.q_proj': 3 } });
    const back = await readPeftAdapter(path.join(tmp, 'rp-agree'));
    expect(back.config.rank_pattern).toEqual({ 'l.0.q_proj': 2, 'l.0.v_proj': 4 });
    expect(back.config.alpha_pattern).toEqual({ 'l.0.q_proj': 3 });
  });

  test.each([
    ['rank 3 for a module of rank 2', { rank_pattern: { 'l.0.q_proj': 3 } }, /^writePeftAdapter 'l\.0\.q_proj': rank_pattern says 3 but A \[2, 8\] f32 and B \[8, 2\] f32 have rank 2$/],
    ['rank 2 for a module of rank r = 4', { rank_pattern: { 'l.0.v_proj': 2 } }, /^writePeftAdapter 'l\.0\.v_proj': rank_pattern says 2 but .* have rank 4$/],
  ])('an entry that contradicts the tensors (%s) is a LoraShapeError and writes nothing', async (_, config, msg) => {
    await expect(write('rp-contradicts', config)).rejects.toThrow(LoraShapeError);
    await expect(write('rp-contradicts', config)).rejects.toThrow(msg);
    expect(fs.existsSync(path.join(tmp, 'rp-contradicts', 'adapter_config.json'))).toBe(false);
  });

  test.each([
    ['rank_pattern value 2.5', { rank_pattern: { other: 2.5 } }, /^writePeftAdapter: config\.rank_pattern\['other'\] must be a positive integer, got 2\.5$/],
    ['rank_pattern value 0', { rank_pattern: { other: 0 } }, /must be a positive integer, got 0$/],
    ['alpha_pattern value \'8\'', { alpha_pattern: { other: '8' } }, /^writePeftAdapter: config\.alpha_pattern\['other'\] must be a finite number, got "8"$/],
    ['alpha_pattern value NaN', { alpha_pattern: { other: NaN } }, /^writePeftAdapter: config\.alpha_pattern\['other'\] must be a finite number, got NaN$/],
    ['alpha_pattern value Infinity', { alpha_pattern: { other: Infinity } }, /must be a finite number, got Infinity$/],
    ['a key in regex syntax PEFT may read otherwise', { alpha_pattern: { '^l.0.q_proj': 2 } }, /^writePeftAdapter: config\.alpha_pattern key '\^l\.0\.q_proj' uses regex syntax loraga does not interpret/],
    ['an invalid regex key', { rank_pattern: { '(q_proj': 2 } }, /^writePeftAdapter: config\.rank_pattern key '\(q_proj' is not a valid pattern: /],
    ['a rank_pattern exact entry after a key that reaches it first', { rank_pattern: { q_proj: 2, 'l.0.q_proj': 4 } },
      /^writePeftAdapter: config\.rank_pattern\['l\.0\.q_proj'\] \(4\) never applies: PEFT takes the first key that matches 'l\.0\.q_proj', 'q_proj' \(2\), listed before it; list 'l\.0\.q_proj' first$/],
    ['an exact entry after a key that reaches it first', { alpha_pattern: { q_proj: 16, 'l.0.q_proj': 12 } },
      /^writePeftAdapter: config\.alpha_pattern\['l\.0\.q_proj'\] \(12\) never applies: PEFT takes the first key that matches 'l\.0\.q_proj', 'q_proj' \(16\), listed before it; list 'l\.0\.q_proj' first$/],
  ])('a pattern PEFT would read otherwise than meant, or loraga cannot read as PEFT does (%s), is a LoraValueError', async (_, config, msg) => {
    await expect(write('rp-bad', config)).rejects.toThrow(LoraValueError);
    await expect(write('rp-bad', config)).rejects.toThrow(msg);
    expect(fs.existsSync(path.join(tmp, 'rp-bad', 'adapter_config.json'))).toBe(false);
  });

  test("a suffix key reaches every module that ends in '.key', as in PEFT: kept when it agrees with their tensors, a LoraShapeError naming it when not", async () => {
    const modules = { 'l.0.q_proj': mod(2), 'l.1.q_proj': mod(2), 'l.0.v_proj': mod(4) };
    await write('rp-suffix-ok', { rank_pattern: { q_proj: 2 }, alpha_pattern: { q_proj: 16 } }, modules);
    const back = await readPeftAdapter(path.join(tmp, 'rp-suffix-ok'));
    expect(back.config.rank_pattern).toEqual({ q_proj: 2 });
    for (const m of ['l.0.q_proj', 'l.1.q_proj']) expect(peftModuleScale(back.config, m, 'r')).toEqual({ r: 2, alpha: 16, s: 8 });
    await expect(write('rp-suffix-no', { rank_pattern: { q_proj: 2 } }, { ...modules, 'l.1.q_proj': mod(4) })).rejects.toThrow(
      new LoraShapeError("writePeftAdapter 'l.1.q_proj': rank_pattern key 'q_proj' (the first that matches it, which PEFT applies) says 2 but A [4, 8] f32 and B [8, 4] f32 have rank 4"));
    expect(fs.existsSync(path.join(tmp, 'rp-suffix-no', 'adapter_config.json'))).toBe(false);
  });

  test('a module named by another module\'s suffix (q_proj beside l.0.q_proj) of another rank: its generated entry comes after one for l.0.q_proj', async () => {
    const modules = { q_proj: mod(2), 'l.0.q_proj': mod(4) };
    await write('rp-nested', {}, modules);
    const back = await readPeftAdapter(path.join(tmp, 'rp-nested'));
    expect(Object.entries(back.config.rank_pattern as object)).toEqual([['l.0.q_proj', 4], ['q_proj', 2]]);
    expect(peftModuleScale(back.config, 'l.0.q_proj', 'r').r).toBe(4);
    expect(peftModuleScale(back.config, 'q_proj', 'r').r).toBe(2);
  });

  test("caller's keys whose file order a number key loses ('layers.0' and '0' disagree): a LoraValueError naming the field", async () => {
    await expect(write('rp-index-caller', { alpha_pattern: { 'layers.0': 4, 0: 8 } }, { 'layers.0': mod(4) })).rejects.toThrow(
      /^writePeftAdapter: config\.alpha_pattern: keys that match module 'layers\.0' disagree and one is a number \('0'\)/);
  });

  test("modules named '0' and 'layers.0' of two ranks other than r: their generated entries would need an order a number key loses, so a LoraValueError", async () => {
    await expect(write('rp-index', {}, { 0: mod(2), 'layers.0': mod(3) })).rejects.toThrow(
      new LoraValueError("writePeftAdapter: rank_pattern: keys that match module 'layers.0' disagree and one is a number ('0'), whose place in the file's order is not kept; PEFT takes the first match: give 'layers.0' unambiguous keys"));
  });

  test('an exact entry listed before a suffix key that also reaches its module applies, as in PEFT', async () => {
    await write('rp-exact-first', { alpha_pattern: { 'l.0.q_proj': 12, q_proj: 16 } }, { 'l.0.q_proj': mod(2), 'l.1.q_proj': mod(4) });
    const back = await readPeftAdapter(path.join(tmp, 'rp-exact-first'));
    expect(Object.keys(back.config.alpha_pattern as object)).toEqual(['l.0.q_proj', 'q_proj']);
    expect(peftModuleScale(back.config, 'l.0.q_proj', 'r').alpha).toBe(12);
    expect(peftModuleScale(back.config, 'l.1.q_proj', 'r').alpha).toBe(16);
  });

  test("a key that ends another module's name but not at a dot ('proj' and 'l.0.q_proj') reaches no module in PEFT: kept, as PEFT ignores it", async () => {
    // PEFT 0.21 get_pattern_key: re.match(rf"(.*\.)?({key})$", name): 'proj' matches neither 'l.0.q_proj' nor 'l.0.v_proj'.
    await write('rp-no-dot', { rank_pattern: { proj: 3 } });
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'rp-no-dot', 'adapter_config.json'), 'utf8')).rank_pattern.proj).toBe(3);
  });

  test('a suffix key and an exact entry listed after it with the same value: kept (PEFT applies the suffix key, with that value)', async () => {
    await write('rp-suffix-exact', { rank_pattern: { q_proj: 2, 'l.0.q_proj': 2 } });
    expect((await readPeftAdapter(path.join(tmp, 'rp-suffix-exact'))).config.rank_pattern).toEqual({ q_proj: 2, 'l.0.q_proj': 2 });
  });
});

describe('shapes: A [r, in], B [out, r], bias [out], base W′ [out, in]', () => {
  const A = Tensor.zeros([4, 16]), B = Tensor.zeros([32, 4]);
  const write = (m: Record<string, unknown>, base?: Record<string, Tensor>) =>
    writePeftAdapter(path.join(tmp, 'bad-shape'), { modules: { 'l.proj': { A, B, ...m } } as never, config: { r: 4, lora_alpha: 8 }, base });

  test.each([
    ['A of rank 3', { A: Tensor.zeros([4, 16, 1]) }, /^writePeftAdapter 'l\.proj' A/],
    ['B of rank 1', { B: Tensor.zeros([32]) }, /^writePeftAdapter 'l\.proj' B/],
    ['B of another r', { B: Tensor.zeros([32, 3]) }, /^writePeftAdapter 'l\.proj': A \[4, 16\] f32 must be \[r, in\] and B \[32, 3\] f32 \[out, r\] with the same r$/],
    ['bias [31]', { bias: Tensor.zeros([31]) }, /^writePeftAdapter 'l\.proj': bias \[31\] f32 must be \[32\]$/],
    ['bias [32, 1]', { bias: Tensor.zeros([32, 1]) }, /^writePeftAdapter 'l\.proj': bias \[32, 1\] f32 must be \[32\]$/],
  ])('a module of bad shapes (%s) is a LoraShapeError naming the module', async (_, m, msg) => {
    await expect(write(m)).rejects.toThrow(LoraShapeError);
    await expect(write(m)).rejects.toThrow(msg);
  });

  test.each([[[32 * 16]], [[31, 16]], [[32, 15]], [[32, 16, 1]]])('a base W′ of shape %j is a LoraShapeError', async (shape) => {
    await expect(write({}, { 'l.proj': Tensor.zeros(shape) })).rejects.toThrow(new LoraShapeError(`writePeftAdapter 'l.proj': base [${shape.join(', ')}] f32 must be [32, 16]`));
  });

  test('a disposed bias is refused before anything is written', async () => {
    const bias = Tensor.zeros([32]);
    bias.dispose();
    await expect(write({ bias })).rejects.toThrow(/bias/);
  });
});

describe('biases and base weights round-trip under the keys PEFT uses', () => {
  test('bias as <module>.base_layer.bias, W′ in base_offset.safetensors (format pt) as <module>.weight; names read back exactly', async () => {
    const dir = path.join(tmp, 'bias');
    const m = 'model.layers.0.weight_proj';
    const bias = randTensor([32], 8).t, W = randTensor([32, 16], 9).t;
    await writePeftAdapter(dir, { modules: { [m]: { ...mods['model.layers.0.mlp.up_proj'], bias } }, config: { r: 4, lora_alpha: 8 }, base: { [m]: W } });
    const f = SafetensorsFile.open(path.join(dir, 'adapter_model.safetensors'));
    expect(f.names).toContain(`base_model.model.${m}.base_layer.bias`);
    f.close();
    const b = SafetensorsFile.open(path.join(dir, 'base_offset.safetensors'));
    expect({ names: b.names, metadata: b.metadata }).toEqual({ names: [`${m}.weight`], metadata: { format: 'pt' } });
    b.close();
    expect(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8').endsWith('}\n')).toBe(true);
    const back = await readPeftAdapter(dir);
    expect(Object.keys(back.modules)).toEqual([m]);
    expect(Array.from(back.modules[m].bias!.data)).toEqual(Array.from(bias.data));
    expect(Object.keys(back.base!)).toEqual([m]);
    expect(Array.from(back.base![m].data)).toEqual(Array.from(W.data));
    // Unprefixed keys read back the same way.
    const dir2 = path.join(tmp, 'bias-bare');
    await writePeftAdapter(dir2, { modules: { [m]: { ...mods['model.layers.0.mlp.up_proj'], bias } }, config: { r: 4, lora_alpha: 8 }, prefix: false });
    const back2 = await readPeftAdapter(dir2);
    expect({ prefix: back2.prefix, modules: Object.keys(back2.modules), bias: back2.modules[m].bias!.shape, base: back2.base }).toEqual({ prefix: false, modules: [m], bias: [32], base: undefined });
  });
});

describe('readPeftAdapter refuses what it cannot read as a LoRA adapter, naming the file', () => {
  const A = randTensor([2, 4], 10).t, B = randTensor([4, 2], 11).t;
  const adapterDir = (name: string, config: string, tensors: Record<string, Tensor> = {}) => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'adapter_config.json'), config);
    writeSafetensorsSync(path.join(dir, 'adapter_model.safetensors'), tensors);
    return dir;
  };
  const ok = '{"r": 2, "lora_alpha": 4}';

  test('no adapter_config.json is a LoraIOError; bad JSON or a config without numeric r and lora_alpha a LoraFormatError', async () => {
    const missing = path.join(tmp, 'nothing-here');
    await expect(readPeftAdapter(missing)).rejects.toThrow(new LoraIOError(`cannot read ${path.join(missing, 'adapter_config.json')}: no such file or directory (ENOENT)`, '', 'ENOENT'));
    const bad = adapterDir('r-bad-json', '{"r": 2,');
    await expect(readPeftAdapter(bad)).rejects.toThrow(new RegExp(`^${path.join(bad, 'adapter_config.json')}: not valid JSON \\(`));
    for (const [i, cfg] of ['null', '5', '{"r": "2", "lora_alpha": 4}', '{"r": 2}'].entries()) {
      const dir = adapterDir(`r-bad-cfg-${i}`, cfg);
      await expect(readPeftAdapter(dir)).rejects.toThrow(new LoraFormatError(`${path.join(dir, 'adapter_config.json')}: needs numeric "r" and "lora_alpha"`));
    }
  });

  test('peft_type other than LORA is refused; LORA or none is read', async () => {
    const t = { 'm.lora_A.weight': A, 'm.lora_B.weight': B };
    const prefix = adapterDir('r-prefix-tuning', '{"r": 2, "lora_alpha": 4, "peft_type": "PREFIX_TUNING"}', t);
    await expect(readPeftAdapter(prefix)).rejects.toThrow(/: peft_type PREFIX_TUNING is not LORA$/);
    await expect(readPeftAdapter(adapterDir('r-lora', '{"r": 2, "lora_alpha": 4, "peft_type": "LORA"}', t))).resolves.toMatchObject({ prefix: false });
    await expect(readPeftAdapter(adapterDir('r-untyped', ok, t))).resolves.toMatchObject({ prefix: false });
  });

  test('keys with an adapter name (…lora_A.default.weight, as PEFT holds them in memory) are read as the module', async () => {
    const dir = adapterDir('r-named', ok, { 'base_model.model.blk.q.lora_A.default.weight': A, 'base_model.model.blk.q.lora_B.default.weight': B });
    const back = await readPeftAdapter(dir);
    expect({ modules: Object.keys(back.modules), prefix: back.prefix }).toEqual({ modules: ['blk.q'], prefix: true });
  });

  test('prefix is true when keys carry base_model.model., the base_layer.bias keys included', async () => {
    // Only the bias carries the prefix here: the reader still says the file has prefixed keys (and reads the bias
    // under the bare module name).
    const dir = adapterDir('r-prefixed-bias', ok, { 'blk.q.lora_A.weight': A, 'blk.q.lora_B.weight': B, 'base_model.model.blk.q.base_layer.bias': randTensor([4], 14).t });
    const back = await readPeftAdapter(dir);
    expect({ modules: Object.keys(back.modules), bias: back.modules['blk.q'].bias!.shape, prefix: back.prefix }).toEqual({ modules: ['blk.q'], bias: [4], prefix: true });
  });

  test.each([
    ['m.lora_A.weight_orig', /: unexpected key 'm\.lora_A\.weight_orig' \(expected <module>\.lora_A\.weight \/ lora_B\.weight\)$/],
    ['m.lora_A..weight', /unexpected key/],
    ['m.base_layer.bias.lora_A.weight.x', /unexpected key/],
    ['m.weight', /unexpected key 'm\.weight'/],
  ])('an unexpected key %s is a LoraFormatError', async (key, msg) => {
    const dir = adapterDir(`r-key-${key}`, ok, { [key]: A });
    await expect(readPeftAdapter(dir)).rejects.toThrow(LoraFormatError);
    await expect(readPeftAdapter(dir)).rejects.toThrow(msg);
  });

  test('a bias key is read only whole: one with a line break before <module>.base_layer.bias is an unexpected key', async () => {
    // The key must be <module>.base_layer.bias from its first character; its tail alone does not name a module.
    const dir = adapterDir('r-key-linebreak', ok, { 'blk.q.lora_A.weight': A, 'blk.q.lora_B.weight': B, 'junk\nblk.q.base_layer.bias': randTensor([4], 13).t });
    await expect(readPeftAdapter(dir)).rejects.toThrow(new LoraFormatError(`${dir}/adapter_model.safetensors: unexpected key 'junk\nblk.q.base_layer.bias' (expected <module>.lora_A.weight / lora_B.weight)`));
  });

  test('a LoRA key is read only whole: one with a line break before <module>.lora_A.weight is an unexpected key', async () => {
    // Its tail alone would name the module blk.q, and read junk's tensor as blk.q's lora_A.
    const dir = adapterDir('r-lora-linebreak', ok, { 'junk\nblk.q.lora_A.weight': A, 'blk.q.lora_B.weight': B });
    await expect(readPeftAdapter(dir)).rejects.toThrow(new LoraFormatError(`${dir}/adapter_model.safetensors: unexpected key 'junk\nblk.q.lora_A.weight' (expected <module>.lora_A.weight / lora_B.weight)`));
  });

  test('a module missing lora_A or lora_B, or with only a bias, is a LoraFormatError naming what is missing', async () => {
    const f = (name: string, t: Record<string, Tensor>) => readPeftAdapter(adapterDir(name, ok, t));
    await expect(f('r-no-b', { 'blk.q.lora_A.weight': A })).rejects.toThrow(/: module 'blk\.q' has lora_A but not lora_B$/);
    await expect(f('r-no-a', { 'blk.q.lora_B.weight': B })).rejects.toThrow(/: module 'blk\.q' has lora_B but not lora_A$/);
    await expect(f('r-bias-only', { 'blk.q.lora_A.weight': A, 'blk.q.lora_B.weight': B, 'blk.k.base_layer.bias': randTensor([4], 12).t }))
      .rejects.toThrow(/: module 'blk\.k' has a base_layer\.bias but no lora_A \/ lora_B$/);
  });
});

// The readers' (importPeft, `loraga export`) view of a config: what PEFT 0.21 builds for each module, or a refusal.
describe("peftModuleScale: a module's r, α and scale as PEFT builds them (the first rank_pattern / alpha_pattern key that matches)", () => {
  const cfg = { r: 8, lora_alpha: 16 };
  test('no pattern: config r and α, s = α/r, or α/√r with use_rslora', () => {
    expect(peftModuleScale(cfg, 'l.0.q_proj', 'w')).toEqual({ r: 8, alpha: 16, s: 2 });
    expect(peftModuleScale({ ...cfg, use_rslora: true }, 'l.0.q_proj', 'w')).toEqual({ r: 8, alpha: 16, s: 16 / Math.sqrt(8) });
  });
  test("an exact entry applies; a key ending the name but not at a dot ('proj') reaches nothing, as in PEFT", () => {
    const c = { ...cfg, rank_pattern: { 'l.0.q_proj': 4, proj: 2 }, alpha_pattern: { 'l.0.q_proj': 12 } };
    expect(peftModuleScale(c, 'l.0.q_proj', 'w')).toEqual({ r: 4, alpha: 12, s: 3 });
    expect(peftModuleScale(c, 'l.0.v_proj', 'w')).toEqual({ r: 8, alpha: 16, s: 2 });
  });
  test('a dotted-suffix key listed first beats the exact entry, as PEFT 0.21 get_pattern_key does; listed after, it does not', () => {
    expect(peftModuleScale({ ...cfg, rank_pattern: { q_proj: 2, 'l.0.q_proj': 4 } }, 'l.0.q_proj', 'w').r).toBe(2);
    expect(peftModuleScale({ ...cfg, rank_pattern: { 'l.0.q_proj': 4, q_proj: 2 } }, 'l.0.q_proj', 'w').r).toBe(4);
    expect(peftModuleScale({ ...cfg, alpha_pattern: { q_proj: 4 } }, 'l.0.q_proj', 'w')).toEqual({ r: 8, alpha: 4, s: 0.5 });
  });
  test('rank 1 in a rank_pattern is a rank', () => {
    expect(peftModuleScale({ ...cfg, rank_pattern: { q_proj: 1 } }, 'l.0.q_proj', 'w')).toEqual({ r: 1, alpha: 16, s: 16 });
  });
  test.each([
    ['rank_pattern', { rank_pattern: { '^q_proj': 1 } }, "importPeft: d: rank_pattern key '^q_proj' uses regex syntax"],
    ['alpha_pattern', { alpha_pattern: { 'q_proj{1}': 1 } }, "importPeft: d: alpha_pattern key 'q_proj{1}' uses regex syntax"],
  ])('a %s key loraga cannot read as PEFT does is a LoraValueError naming the reader and the field', (_, p, msg) => {
    expect(() => peftModuleScale({ ...cfg, ...p }, 'l.0.q_proj', 'importPeft: d')).toThrow(LoraValueError);
    expect(() => peftModuleScale({ ...cfg, ...p }, 'l.0.q_proj', 'importPeft: d')).toThrow(msg);
  });
  test.each([
    ['rank 0', { rank_pattern: { q_proj: 0 } }, "importPeft: d: rank_pattern['q_proj'] (for 'l.0.q_proj') must be a positive integer, got 0"],
    ['rank "4"', { rank_pattern: { 'l.0.q_proj': '4' } }, "importPeft: d: rank_pattern['l.0.q_proj'] (for 'l.0.q_proj') must be a positive integer, got \"4\""],
    ['alpha null', { alpha_pattern: { q_proj: null } }, "importPeft: d: alpha_pattern['q_proj'] (for 'l.0.q_proj') must be a finite number, got null"],
    ['alpha 1e999 (Infinity once parsed)', JSON.parse('{"alpha_pattern": {"q_proj": 1e999}}'), "importPeft: d: alpha_pattern['q_proj'] (for 'l.0.q_proj') must be a finite number, got null"],
  ])('a bad value in the file for the key that applies (%s) is a LoraFormatError naming key and module', (_, p, msg) => {
    expect(() => peftModuleScale({ ...cfg, ...p }, 'l.0.q_proj', 'importPeft: d')).toThrow(new LoraFormatError(msg));
  });
});
