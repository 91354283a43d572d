/**
 * `loraga export`: an adapter trained on the offset base W' (LoRA-GA / PiSSA from `loraga init`, trained with PEFT
 * or anything that saves PEFT's format) rewritten to apply to the ORIGINAL base, as PEFT's
 * save_pretrained(path_initial_model_for_weight_conversion=…) and our exportPeftAdapter do:
 *   W' + s·B·A = W + s·(B·A − B₀·A₀) = W + s·[B, −B₀]·[A; A₀]   (rank 2r; lora_alpha ×2, or ×√2 with rsLoRA)
 * so the result loads on the unmodified checkpoint, beside other adapters, with no offset model.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { PeftAdapterConfig } from '../../types/peft';
import { LoraValueError } from '../errors';
import { peftModuleScale, readPeftAdapter, writePeftAdapter } from '../peft/adapter';
import { exactPatterns } from '../peft/patterns';
import { Tensor } from '../tensor';
import { Command, Flags } from './args';

const help = `usage: loraga export --adapter TRAINED_DIR --initial INIT_DIR --out DIR [--base-model NAME]

  --adapter     the trained adapter (PEFT format), trained on the offset base that INIT_DIR was made for
  --initial     the directory 'loraga init' wrote (its A₀, B₀; untouched)
  --out         the converted adapter: rank 2r per module, applies to the original checkpoint (created)
  --base-model  base_model_name_or_path (default: the original checkpoint INIT_DIR/report.json names, else null)`;

async function run(f: Flags): Promise<number> {
  const trainedDir = String(f.adapter), initDir = String(f.initial), out = String(f.out);
  const trained = await readPeftAdapter(trainedDir), init = await readPeftAdapter(initDir);
  const missing = Object.keys(init.modules).filter((m) => !trained.modules[m]);
  if (missing.length) throw new LoraValueError(`${trainedDir} has no adapter for ${missing.join(', ')} (initialised in ${initDir})`);
  const rs = !!trained.config.use_rslora;
  if (rs !== !!init.config.use_rslora) throw new LoraValueError(`use_rslora differs between ${trainedDir} and ${initDir}`);
  const modules: Record<string, { A: Tensor; B: Tensor }> = {};
  const entries: { m: string; r: number; alpha: number }[] = [];
  for (const [m, { A, B }] of Object.entries(trained.modules)) {
    const t = peftModuleScale(trained.config, m, trainedDir);
    const i0 = init.modules[m];
    if (!i0) { modules[m] = { A, B }; entries.push({ m, r: t.r, alpha: t.alpha }); continue; }  // not offset: as is
    const i = peftModuleScale(init.config, m, initDir);
    if (Math.abs(i.s - t.s) > 1e-12 * Math.abs(t.s) || i0.A.shape[0] !== A.shape[0] || i0.A.shape[1] !== A.shape[1] || i0.B.shape[0] !== B.shape[0])
      throw new LoraValueError(`module '${m}': the trained adapter (r ${A.shape[0]}, s ${t.s}) was not trained from this init (r ${i0.A.shape[0]}, s ${i.s})`);
    const r = A.shape[0], inF = A.shape[1], o = B.shape[0];
    // [A; A₀] and [B, −B₀], in f32 (PEFT trains and saves f32 adapters for an f32 init).
    const a = new Float32Array(2 * r * inF), b = new Float32Array(o * 2 * r);
    a.set(A.toFloat32()); a.set(i0.A.toFloat32(), r * inF);
    const bt = B.toFloat32(), b0 = i0.B.toFloat32();
    for (let p = 0; p < o; p++)
      for (let j = 0; j < r; j++) { b[p * 2 * r + j] = bt[p * r + j]; b[p * 2 * r + r + j] = -b0[p * r + j]; }
    modules[m] = { A: Tensor.from(a, [2 * r, inF]), B: Tensor.from(b, [o, 2 * r]) };
    entries.push({ m, r: 2 * r, alpha: rs ? t.alpha * Math.SQRT2 : 2 * t.alpha });  // keeps s: α/r and α/√r
  }
  // Exact entries ordered so that PEFT's first-match rule gives each module its own r and α (patterns.ts).
  const first = entries[0], names = entries.map((e) => e.m);
  const rankPattern = exactPatterns(Object.fromEntries(entries.map((e) => [e.m, e.r])), first.r, names, `${out}: rank_pattern`);
  const alphaPattern = exactPatterns(Object.fromEntries(entries.map((e) => [e.m, e.alpha])), first.alpha, names, `${out}: alpha_pattern`);
  let original: string | null = null;
  const rep = path.join(initDir, 'report.json');
  if (fs.existsSync(rep)) original = (JSON.parse(fs.readFileSync(rep, 'utf8')) as { original_model?: string | null }).original_model ?? null;
  const c = trained.config as Record<string, unknown>;
  const config: PeftAdapterConfig = {
    r: first.r, lora_alpha: first.alpha, use_rslora: rs, rank_pattern: rankPattern, alpha_pattern: alphaPattern,
    target_modules: Object.keys(modules),
    base_model_name_or_path: f['base-model'] !== undefined ? String(f['base-model']) : original,
    task_type: (c.task_type as string | null | undefined) ?? null,
    fan_in_fan_out: !!c.fan_in_fan_out,
  };
  await writePeftAdapter(out, { modules, config });
  const n = entries.filter((e) => init.modules[e.m]).length;
  console.log(`loraga export: ${Object.keys(modules).length} module(s), ${n} rewritten against the original base (rank 2r); wrote ${out}`);
  return 0;
}

export const command: Command = {
  summary: 'an adapter trained on the offset base → the same adapter for the original base (rank 2r)',
  help,
  flags: {
    adapter: { kind: 'string', required: true },
    initial: { kind: 'string', required: true },
    out: { kind: 'string', required: true },
    'base-model': { kind: 'string' },
  },
  run,
};
