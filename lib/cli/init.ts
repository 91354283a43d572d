/**
 * `loraga init`: LoRA-GA adapters from base weights and a one-step gradient (or the raw per-batch activations and
 * output gradients), written as a PEFT adapter directory:
 *   DIR/adapter_model.safetensors  <module>.lora_A.weight / lora_B.weight (with PEFT's base_model.model. prefix
 *                                  unless --prefix=false)
 *   DIR/adapter_config.json        PEFT LoraConfig
 *   DIR/base_offset.safetensors    <module>.weight = W' = W − s·B·A
 *   DIR/report.json                config, per-module shapes and spectral reports, timings
 * Progress and warnings go to stderr; a summary to stdout. Every file is written to a temporary sibling and renamed
 * into place only once all are written (io/staged-dir.ts): a failure, Ctrl-C or SIGTERM leaves DIR as it was.
 */
import * as path from 'path';
import { LoraAbortError, LoraValueError } from '../errors';
import type { LoraGAConfig, LoraInitResult } from '../../types/init';
import type { TensorStore } from '../../types/io';
import { SafetensorsWriter, openSafetensors } from '../io/safetensors';
import { GradientEstimator } from '../init/estimator';
import { LORAGA_DIRECTIONS, LORAGA_SCALES, resolveLoraGAConfig } from '../init/loraga';
import { initAdapters } from '../init/model';
import { peftConfigJson, stagePeftAdapter } from '../peft/adapter';
import { StagedDir } from '../io/staged-dir';
import { Tensor } from '../tensor';
import { Command, Flags } from './args';

const help = `usage: loraga init --weights BASE.safetensors (--grads GRADS.safetensors | --batches BATCHES.safetensors)
                   --rank R --alpha A [--direction D] [--scale S] [--gamma G] [--convention peft|official]
                   [--svd exact|randomized] [--seed N] [--targets a,b,c] --out DIR

  --weights     base weights, keys <module>.weight [out, in] (a .safetensors file or a sharded *.index.json)
  --grads       gradients G, keys <module>.weight [out, in]
  --batches     per-batch layer inputs and output gradients, keys <module>.x.<i> [tokens, in] and
                <module>.dy.<i> [tokens, out]; G = mean over i of dyᵢᵀ·xᵢ
  --rank        LoRA rank r                      --alpha      lora_alpha (s = α/r)
  --direction   ${LORAGA_DIRECTIONS.join(' | ')} (default ArB2r)
  --scale       ${LORAGA_SCALES.join(' | ')} (default stable)
  --gamma       stable_gamma (default 16)        --convention peft | official (default peft)
  --svd         exact | randomized (default randomized: q = 4r, 4 power iterations, as PEFT)
  --seed        seed of the run (default 0); module m uses moduleSeed(seed, m) for its randomized SVD and
                'random' direction
  --targets     comma-separated module names (default: every module with both weights and gradients)
  --method      loraga (default) | lora-one (from G, like loraga; gamma default 128) | pissa | lora
  --rslora      s = α/√r                         --prefix=false  keys without base_model.model.
  --oversample, --power-iters   randomized SVD parameters (defaults 2r and 4)
  --base-model  base_model_name_or_path for adapter_config.json
  --out         output directory (created)`;

function str(f: Flags, k: string): string | undefined {
  return f[k] === undefined ? undefined : String(f[k]);
}

/** Modules in a batches file: <m>.x.<i> / <m>.dy.<i>, with their batch indices (both halves must be present). */
function batchIndex(store: TensorStore, file: string): Map<string, number[]> {
  const xs = new Map<string, Set<number>>(), dys = new Map<string, Set<number>>();
  for (const k of store.names) {
    const m = /^(.*)\.(x|dy)\.(\d+)$/.exec(k);
    if (!m) continue;
    const map = m[2] === 'x' ? xs : dys;
    if (!map.has(m[1])) map.set(m[1], new Set());
    map.get(m[1])!.add(Number(m[3]));
  }
  const out = new Map<string, number[]>();
  for (const [mod, ix] of xs) {
    const dy = dys.get(mod) ?? new Set<number>();
    const only = [...ix].filter((i) => !dy.has(i)).concat([...dy].filter((i) => !ix.has(i)));
    if (only.length) throw new LoraValueError(`${file}: module '${mod}' batch ${only[0]} has only one of x / dy`);
    out.set(mod, [...ix].sort((a, b) => a - b));
  }
  for (const mod of dys.keys()) if (!xs.has(mod)) throw new LoraValueError(`${file}: module '${mod}' has dy batches but no x`);
  return out;
}

async function run(f: Flags): Promise<number> {
  const weights = str(f, 'weights')!, out = str(f, 'out')!;
  const grads = str(f, 'grads'), batches = str(f, 'batches');
  const method = (str(f, 'method') ?? 'loraga') as 'loraga' | 'lora-one' | 'pissa' | 'lora';
  const fromG = method === 'loraga' || method === 'lora-one';
  if (fromG && !!grads === !!batches) throw new LoraValueError('give exactly one of --grads or --batches');
  const cfg: LoraGAConfig = {
    rank: f.rank as number, alpha: f.alpha as number,
    direction: str(f, 'direction') as LoraGAConfig['direction'], scale: str(f, 'scale') as LoraGAConfig['scale'],
    gamma: f.gamma as number | undefined, convention: str(f, 'convention') as LoraGAConfig['convention'],
    svd: str(f, 'svd') as LoraGAConfig['svd'], seed: f.seed as number | undefined, rsLora: !!f.rslora,
    oversample: f.oversample as number | undefined, powerIters: f['power-iters'] as number | undefined,
  };
  const resolved = method === 'loraga' ? resolveLoraGAConfig(cfg) : null;

  const wStore = openSafetensors(weights);
  const stores: TensorStore[] = [wStore];
  try {
    const weightMods = wStore.names.filter((k) => k.endsWith('.weight')).map((k) => k.slice(0, -'.weight'.length));
    let available = weightMods;
    let gradients: { load(m: string): Tensor | Promise<Tensor> } | null = null;
    if (fromG && grads) {
      const gStore = openSafetensors(grads);
      stores.push(gStore);
      available = weightMods.filter((m) => gStore.has(`${m}.weight`));
      gradients = { load: (m) => gStore.get(`${m}.weight`) };
    } else if (fromG && batches) {
      const bStore = openSafetensors(batches);
      stores.push(bStore);
      const bIndex = batchIndex(bStore, batches);
      available = weightMods.filter((m) => bIndex.has(m));
      // G of one module at a time: its batches streamed through the estimator (fp32), one batch resident.
      gradients = {
        load: async (m) => {
          const [o, i] = wStore.entry(`${m}.weight`).shape;
          const est = new GradientEstimator().register(m, o, i);
          for (const b of bIndex.get(m)!) {
            const x = bStore.get(`${m}.x.${b}`), dy = bStore.get(`${m}.dy.${b}`);
            await est.accumulateAsync(m, x, dy);
            x.dispose(); dy.dispose();
          }
          const G = est.gradient(m);
          est.release(m);
          return G;
        },
      };
    }
    const targets = f.targets !== undefined ? String(f.targets).split(',').map((t) => t.trim()).filter(Boolean) : available;
    const bad = targets.filter((t) => !available.includes(t));
    if (bad.length) {
      const why = !fromG ? `no '<m>.weight' in ${weights}` : `needs '<m>.weight' in ${weights} and ${grads ? `'<m>.weight' in ${grads}` : `'<m>.x.<i>'/'<m>.dy.<i>' in ${batches}`}`;
      throw new LoraValueError(`--targets: ${bad.join(', ')} not found (${why}); available: ${available.join(', ') || 'none'}`);
    }
    if (targets.length === 0) throw new LoraValueError(`no target modules found in ${weights}${grads ? ` and ${grads}` : batches ? ` and ${batches}` : ''}`);
    for (const m of targets) if (wStore.entry(`${m}.weight`).shape.length !== 2) throw new LoraValueError(`${weights}: '${m}.weight' is not 2-D [out, in]`);

    const stage = new StagedDir(out);
    // W' is streamed to base_offset.safetensors as each module finishes (same dtype and shape as W).
    // Plain LoRA and LoRA-One leave W as it is: no offset base to write.
    const baseWriter = method === 'lora' || method === 'lora-one' ? null : new SafetensorsWriter(stage.path('base_offset.safetensors'),
      targets.map((m) => ({ name: `${m}.weight`, dtype: wStore.entry(`${m}.weight`).dtype, shape: wStore.entry(`${m}.weight`).shape })), { format: 'pt' });
    const As: Record<string, { A: Tensor; B: Tensor }> = {};
    const reports: Record<string, unknown> = {};
    let warnings = 0;
    let lineOpen = false;  // a progress line waits for its " done": anything else printed starts a new line
    const ac = new AbortController();
    const onSig = (sig: NodeJS.Signals) => {
      process.stderr.write(`${lineOpen ? '\n' : ''}interrupted (${sig}): stopping; ${out} is left as it was\n`);
      lineOpen = false;
      ac.abort();
    };
    process.on('SIGINT', onSig);
    process.on('SIGTERM', onSig);
    let res;
    try {
      res = await initAdapters({ names: targets, load: (m) => wStore.get(`${m}.weight`) }, gradients, {
        ...cfg, method, targets, signal: ac.signal, keepResults: false,
        onProgress: (e) => {
          if (e.phase === 'start') process.stderr.write(`[${e.index}/${e.total}] ${e.module} …`);
          else process.stderr.write(` done (${e.seconds.toFixed(2)} s)\n`);
          lineOpen = e.phase === 'start';
        },
        onModule: (m: string, r: LoraInitResult) => {
          As[m] = { A: r.A, B: r.B };
          if (r.W && baseWriter) { baseWriter.write(`${m}.weight`, r.W); r.W.dispose(); }
          reports[m] = { shape: [r.B.shape[0], r.A.shape[1]], scaling: r.scaling, ...(r.report ?? {}) };
          for (const w of r.report?.warnings ?? []) { process.stderr.write(`\nwarning: ${m}: ${w}\n`); warnings++; }
        },
      });
      baseWriter?.close();
      const adapterCfg = { r: cfg.rank, lora_alpha: cfg.alpha, use_rslora: !!cfg.rsLora, target_modules: targets, base_model_name_or_path: str(f, 'base-model') ?? null };
      const report = {
        method, config: method === 'loraga' ? resolved : method === 'lora-one'
          ? { rank: cfg.rank, alpha: cfg.alpha, gamma: cfg.gamma ?? 128, rsLora: cfg.rsLora, svd: cfg.svd ?? 'randomized', seed: cfg.seed ?? 0 }
          : { rank: cfg.rank, alpha: cfg.alpha, svd: cfg.svd ?? 'exact' },
        inputs: { weights, grads: grads ?? null, batches: batches ?? null },
        seconds: res.seconds, modules: reports, adapter_config: peftConfigJson({ modules: As, config: adapterCfg }),
      };
      await stage.writeFile('report.json', JSON.stringify(report, null, 2) + '\n');
      await stagePeftAdapter(stage, { modules: As, prefix: f.prefix !== false, config: adapterCfg });  // config last
      if (ac.signal.aborted) throw new LoraAbortError('loraga init: interrupted before the files were put in place');
      stage.commit();
    } catch (e) {
      baseWriter?.abort();
      stage.abort();
      if (lineOpen) process.stderr.write('\n');  // the error message gets its own line
      throw e;
    } finally {
      process.removeListener('SIGINT', onSig);
      process.removeListener('SIGTERM', onSig);
    }
    console.log(`loraga init: ${targets.length} module(s), r = ${cfg.rank}, ${method}${resolved ? ` ${resolved.direction}/${resolved.scale}/${resolved.convention}, ${resolved.svd} SVD` : ''}, ${res.seconds.toFixed(2)} s${warnings ? `, ${warnings} warning(s)` : ''}`);
    console.log(`wrote ${path.join(out, 'adapter_model.safetensors')}, adapter_config.json, ${baseWriter ? 'base_offset.safetensors, ' : ''}report.json`);
    return 0;
  } finally {
    for (const st of stores) st.close();
  }
}

export const command: Command = {
  summary: 'LoRA-GA adapter from weights + gradients (or batches) → PEFT adapter directory',
  help,
  flags: {
    weights: { kind: 'string', required: true },
    grads: { kind: 'string' },
    batches: { kind: 'string' },
    rank: { kind: 'number', required: true },
    alpha: { kind: 'number', required: true },
    direction: { kind: 'string' },
    scale: { kind: 'string' },
    gamma: { kind: 'number' },
    convention: { kind: 'string' },
    svd: { kind: 'string' },
    seed: { kind: 'number' },
    targets: { kind: 'string' },
    method: { kind: 'string' },
    rslora: { kind: 'boolean' },
    prefix: { kind: 'boolean', default: true },
    oversample: { kind: 'number' },
    'power-iters': { kind: 'number' },
    'base-model': { kind: 'string' },
    out: { kind: 'string', required: true },
  },
  run,
};
