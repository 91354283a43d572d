/**
 * Against real PEFT (python3 with torch + transformers + peft; skipped with the reason printed when absent): tiny
 * randomly initialised GPT-2 (Conv1D, W stored [in, out]) and Llama checkpoints from scripts/peft/tiny_models.py,
 * `loraga init` on them, and AutoPeftModelForCausalLM.from_pretrained(adapter dir) alone — the config must name the
 * task and the base (the offset model) — gives the original model's step-0 logits (fp32, rel ≤ 1e-5). Then a
 * "trained" adapter converted by `loraga export` reproduces the trained logits on the ORIGINAL base, as PEFT's own
 * path_initial_model_for_weight_conversion route does with our files.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../lib/cli';
import { findPython } from './helpers/python';

const ROOT = path.join(__dirname, '..');
const SCRIPT = path.join(ROOT, 'scripts', 'peft', 'tiny_models.py');

const found = findPython(['torch', 'peft', 'transformers', 'safetensors']);
const py = found.python;
if (!py) console.warn(`test/peft-python.test.ts skipped: ${found.reason}`);
const d = py ? describe : describe.skip;
jest.setTimeout(240_000);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-peftpy-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function pyJson(args: string[]): Record<string, unknown> {
  const outText = execFileSync(py!, [SCRIPT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(outText.trim().split('\n').pop()!);
}

async function init(args: string[]): Promise<void> {
  const mute = [jest.spyOn(process.stderr, 'write').mockImplementation(() => true), jest.spyOn(console, 'log').mockImplementation(() => undefined)];
  let err = '';
  const le = jest.spyOn(console, 'error').mockImplementation((...a) => { err += a.join(' '); });
  try {
    const code = await main(args);
    if (code !== 0) throw new Error(`loraga ${args[0]} exited ${code}: ${err}`);
  } finally {
    for (const m of mute) m.mockRestore();
    le.mockRestore();
  }
}

d.each([
  ['gpt2', 'batches', 'all-linear'],
  ['llama', 'grads', 'q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj'],
])('%s: loraga init (--%s, --targets %s) loaded by AutoPeftModelForCausalLM', (arch, src, targets) => {
  const dir = path.join(tmp, arch);
  beforeAll(() => { pyJson(['make', '--arch', arch, '--out', dir]); });

  test('step-0 logits equal the original model\'s (rel ≤ 1e-5 in fp32); the adapter matters (disabled: rel ≥ 1e-2); A/B loaded bit for bit', async () => {
    const ad = path.join(dir, 'adapter');
    await init(['init', '--weights', path.join(dir, 'model', 'model.safetensors'), `--${src}`, path.join(dir, `${src}.safetensors`),
      '--rank', '4', '--alpha', '8', '--targets', targets, '--out', ad]);
    const r = pyJson(['check', '--adapter', ad, '--original', path.join(dir, 'model')]);
    console.log(`${arch}: PEFT step-0 logits vs original: rel ${(r.rel as number).toExponential(2)}, max abs ${(r.max_abs as number).toExponential(2)}; adapter disabled: rel ${(r.rel_adapter_disabled as number).toExponential(2)}`);
    expect(r.task_type).toBe('CAUSAL_LM');
    expect(r.fan_in_fan_out).toBe(arch === 'gpt2');
    expect(r.lora_layers).toBe(r.adapter_keys);
    expect(r.lora_layers).toBe(arch === 'gpt2' ? 8 : 14);
    expect(r.ab_exact).toBe(true);
    expect(r.rel as number).toBeLessThanOrEqual(1e-5);
    expect(r.rel_adapter_disabled as number).toBeGreaterThanOrEqual(1e-2);
  });

  test('a trained adapter converted by loraga export gives the trained logits on the original base, as PEFT\'s own conversion does (rel ≤ 1e-5)', async () => {
    const ad = path.join(dir, 'adapter'), trained = path.join(dir, 'trained');
    execFileSync(py!, [SCRIPT, 'train', '--adapter', ad, '--out', trained, '--peft-convert', path.join(dir, 'peft-conv')], { stdio: 'ignore' });
    await init(['export', '--adapter', trained, '--initial', ad, '--out', path.join(dir, 'conv')]);
    const ref = path.join(trained, 'trained_logits.safetensors');
    for (const conv of ['conv', 'peft-conv']) {
      execFileSync(py!, [SCRIPT, 'logits', '--adapter', path.join(dir, conv), '--base', path.join(dir, 'model'), '--out', path.join(dir, `${conv}.safetensors`)], { stdio: 'ignore' });
      const rel = Number(execFileSync(py!, ['-c', `
import torch; from safetensors.torch import load_file
y = load_file("${path.join(dir, `${conv}.safetensors`)}")["logits"]; t = load_file("${ref}")["logits"]
print((torch.linalg.norm(y - t) / torch.linalg.norm(t)).item())`], { encoding: 'utf8' }).trim());
      console.log(`${arch}: ${conv} on the original base vs the trained model: rel ${rel.toExponential(2)}`);
      expect(rel).toBeLessThanOrEqual(1e-5);
    }
  });
});
