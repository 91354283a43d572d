import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LoraFormatError, LoraShapeError, SafetensorsFile, Tensor, readPeftAdapter, writePeftAdapter } from '../lib';
import { randTensor } from './helpers/ref';

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
