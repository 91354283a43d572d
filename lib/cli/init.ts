/**
 * `loraga init`: LoRA-GA adapters from base weights and a one-step gradient (or the raw per-batch activations and
 * output gradients), written as a PEFT adapter directory:
 *   DIR/adapter_model.safetensors  <module>.lora_A.weight / lora_B.weight (with PEFT's base_model.model. prefix
 *                                  unless --prefix=false)
 *   DIR/adapter_config.json        PEFT LoraConfig
 *   DIR/base_offset.safetensors    <module>.weight = W' = W − s·B·A
 *   DIR/base_model/                when the checkpoint has a config.json: the whole model with W' in place (what
 *                                  base_model_name_or_path points at, so AutoPeftModelFor… loads the right base)
 *   DIR/report.json                config, per-module shapes and spectral reports, timings
 * Progress and warnings go to stderr; a summary to stdout. Every file is written to a temporary sibling and renamed
 * into place only once all are written (io/staged-dir.ts): a failure, Ctrl-C or SIGTERM leaves DIR as it was.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LoraAbortError, LoraValueError } from '../errors';
import type { LoraGAConfig, LoraInitResult } from '../../types/init';
import type { TensorStore } from '../../types/io';
import { SafetensorsWriter, openSafetensors } from '../io/safetensors';
import { GradientEstimator } from '../init/estimator';
import { LORAGA_DIRECTIONS, LORAGA_SCALES_BY_CONVENTION, resolveLoraGAConfig } from '../init/loraga';
import { initAdapters } from '../init/model';
import { peftConfigJson, stagePeftAdapter } from '../peft/adapter';
import { StagedDir } from '../io/staged-dir';
import { checkTaskType, inferTaskType, readModelConfig, resolveFanInFanOut } from '../peft/hf-config';
import { allLinear, matchTargets } from '../peft/targets';
import { Tensor } from '../tensor';
import { Command, Flags } from './args';

const help = `usage: loraga init --weights BASE.safetensors (--grads GRADS.safetensors | --batches BATCHES.safetensors)
                   --rank R --alpha A [--direction D] [--scale S] [--gamma G] [--convention peft|official]
                   [--svd exact|randomized|krylov|sketch] [--seed N] [--targets a,b,c | all-linear] [--fan-in-fan-out[=false]]
                   [--task-type T] [--base-model NAME] [--offset-model=false] --out DIR

  --weights     base weights, keys <module>.weight [out, in] ([in, out] with --fan-in-fan-out) (a .safetensors
                file or a sharded *.index.json); a config.json beside it is read (layout, task type, base_model/)
  --grads       gradients G, keys <module>.weight, in the weights' layout
  --batches     per-batch layer inputs and output gradients, keys <module>.x.<i> [tokens, in] and
                <module>.dy.<i> [tokens, out]; G = mean over i of dyᵢᵀ·xᵢ
  --rank        LoRA rank r                      --alpha      lora_alpha (s = α/r)
  --direction   ${LORAGA_DIRECTIONS.join(' | ')} (default ArB2r)
  --scale       peft: ${LORAGA_SCALES_BY_CONVENTION.peft.join(' | ')}; official: ${LORAGA_SCALES_BY_CONVENTION.official.join(' | ')}
                (default stable)
  --gamma       stable_gamma (default 16)        --convention peft | official (default peft)
  --svd         exact | randomized (default randomized: q = 4r, 4 power iterations, as PEFT) | krylov (block
                Krylov: 2r + 1 wide blocks, 5 kept; more of G's top energy from fewer products) | sketch (with
                --batches: G is never formed, each module keeps randomized sketches of it, O((in + out)·k))
  --sketch-size   sketch width k (default 4r + 1, at least 2r + 1)
  --sketch-passes passes over the batches file (default 1; 2 or more replay it for a sharper sketch)
  --seed        seed of the run (default 0); module m uses moduleSeed(seed, m) for its randomized SVD and
                'random' direction
  --targets     comma-separated, as PEFT's target_modules: full module names or dotted suffixes (q_proj,v_proj),
                or all-linear (every Linear/Conv1D but embeddings and the output head); default: every module
                with both weights and gradients
  --fan-in-fan-out  W is stored [in, out] (transformers' Conv1D, GPT-2); detected from a GPT-2 config.json;
                GPT-2 Conv1D names without one are an error until this is given (=false for [out, in])
  --method      loraga (default) | lora-one (from G, like loraga; gamma default 128) | pissa | lora
  --rslora      s = α/√r                         --prefix=false  keys without base_model.model.
  --oversample, --power-iters   randomized SVD parameters (defaults 2r and 4)
  --task-type   adapter_config task_type (PEFT's TaskType: CAUSAL_LM, SEQ_CLS, …); default inferred from
                config.json's architectures (*ForCausalLM → CAUSAL_LM), else null
  --base-model  base_model_name_or_path for adapter_config.json (default: DIR/base_model when written, the
                original checkpoint for --method lora, else null)
  --offset-model=false  do not write DIR/base_model (the whole model with W' in place; needs config.json)
  --model-config  the checkpoint's config.json (default: the one beside --weights, if any)
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

/** Files of a checkpoint directory that from_pretrained reads besides the weights (config, generation, tokenizer). */
const MODEL_FILES = ['generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'vocab.txt', 'merges.txt', 'tokenizer.model', 'added_tokens.json', 'chat_template.jinja'];

function copyModelFiles(from: string, to: StagedDir, configPath: string): void {
  fs.copyFileSync(configPath, to.path('config.json'));
  for (const f of MODEL_FILES) if (fs.existsSync(path.join(from, f))) fs.copyFileSync(path.join(from, f), to.path(f));
}

/**
 * The batches fix each module's (out, in): x is [tokens, in], dy [tokens, out]. A W whose shape disagrees with the
 * chosen layout is refused here with the fix, instead of an init of the wrong orientation (a square W cannot be
 * told apart this way: the config.json detection or --fan-in-fan-out decides it).
 */
function checkBatchLayout(targets: string[], w: TensorStore, b: TensorStore, idx: Map<string, number[]>, ffo: boolean): void {
  for (const m of targets) {
    const i0 = idx.get(m)![0];
    const inF = b.entry(`${m}.x.${i0}`).shape.at(-1)!, out = b.entry(`${m}.dy.${i0}`).shape.at(-1)!;
    const [d0, d1] = w.entry(`${m}.weight`).shape;
    const want = ffo ? [inF, out] : [out, inF];
    if (d0 === want[0] && d1 === want[1]) continue;
    const flip = d0 === want[1] && d1 === want[0];
    throw new LoraValueError(`'${m}.weight' is [${d0}, ${d1}] but its batches give out = ${out}, in = ${inF}: ${flip ? `W is stored ${ffo ? '[out, in]: drop --fan-in-fan-out' : '[in, out] (Conv1D): pass --fan-in-fan-out'}` : 'the shapes do not match'}`);
  }
}

/**
 * --svd sketch: every target's batches streamed through one GradientEstimator that keeps only sketches (one batch
 * resident at a time), the batches file replayed once per pass.
 */
async function sketchBatches(targets: string[], wStore: TensorStore, bs: TensorStore, bi: Map<string, number[]>, cfg: LoraGAConfig, f: Flags): Promise<GradientEstimator> {
  const size = f['sketch-size'] === undefined ? 4 * cfg.rank + 1 : (f['sketch-size'] as number);
  const passes = f['sketch-passes'] === undefined ? 1 : (f['sketch-passes'] as number);
  const ffo = !!cfg.fanInFanOut;
  const est = new GradientEstimator();
  for (const m of targets) {
    const [d0, d1] = wStore.entry(`${m}.weight`).shape;
    const [o, i] = ffo ? [d1, d0] : [d0, d1];
    est.register(m, o, i, { fanInFanOut: ffo, sketch: { size: Math.min(size, o, i), passes, seed: cfg.seed ?? 0 } });
  }
  for (let p = 0; p < passes; p++) {
    for (const m of targets)
      for (const b of bi.get(m)!) {
        const x = bs.get(`${m}.x.${b}`), dy = bs.get(`${m}.dy.${b}`);
        await est.accumulateAsync(m, x, dy);
        x.dispose(); dy.dispose();
      }
    est.nextPass();
  }
  return est;
}

async function run(f: Flags): Promise<number> {
  const weights = str(f, 'weights')!, out = str(f, 'out')!;
  const grads = str(f, 'grads'), batches = str(f, 'batches');
  const method = (str(f, 'method') ?? 'loraga') as 'loraga' | 'lora-one' | 'pissa' | 'lora';
  const fromG = method === 'loraga' || method === 'lora-one';
  const keepsW = method === 'lora' || method === 'lora-one';  // no offset base: the adapter goes on the original W
  if (fromG && !!grads === !!batches) throw new LoraValueError('give exactly one of --grads or --batches');
  const sketch = str(f, 'svd') === 'sketch';
  if (sketch && (method !== 'loraga' || !batches)) throw new LoraValueError('--svd sketch needs --batches (G is never formed from them) and --method loraga');
  const cfg: LoraGAConfig = {
    rank: f.rank as number, alpha: f.alpha as number,
    direction: str(f, 'direction') as LoraGAConfig['direction'], scale: str(f, 'scale') as LoraGAConfig['scale'],
    gamma: f.gamma as number | undefined, convention: str(f, 'convention') as LoraGAConfig['convention'],
    svd: sketch ? undefined : str(f, 'svd') as LoraGAConfig['svd'], seed: f.seed as number | undefined, rsLora: !!f.rslora,
    oversample: f.oversample as number | undefined, powerIters: f['power-iters'] as number | undefined,
  };
  if (f['fan-in-fan-out'] !== undefined) cfg.fanInFanOut = f['fan-in-fan-out'] as boolean;
  let resolved = method === 'loraga' ? resolveLoraGAConfig(cfg) : null;  // fails fast on bad values; again once the layout is known

  const modelCfg = readModelConfig(weights, str(f, 'model-config'));
  const wStore = openSafetensors(weights);
  const stores: TensorStore[] = [wStore];
  let bStore: TensorStore | null = null, bIndex: Map<string, number[]> | null = null;
  try {
    const weightMods = wStore.names.filter((k) => k.endsWith('.weight')).map((k) => k.slice(0, -'.weight'.length));
    let available = weightMods;
    let gradients: { load(m: string): Tensor | Promise<Tensor> } | GradientEstimator | null = null;
    if (fromG && grads) {
      const gStore = openSafetensors(grads);
      stores.push(gStore);
      available = weightMods.filter((m) => gStore.has(`${m}.weight`));
      gradients = { load: (m) => gStore.get(`${m}.weight`) };
    } else if (fromG && batches) {
      const bs = openSafetensors(batches);
      bStore = bs;
      stores.push(bs);
      const bi = batchIndex(bs, batches);
      bIndex = bi;
      available = weightMods.filter((m) => bi.has(m));
      // G of one module at a time: its batches streamed through the estimator (fp32), one batch resident.
      gradients = {
        load: async (m) => {
          const [d0, d1] = wStore.entry(`${m}.weight`).shape;
          // G comes back in W's layout (the estimator transposes for a fan-in-fan-out module).
          const ffo = !!cfg.fanInFanOut;
          const est = new GradientEstimator().register(m, ffo ? d1 : d0, ffo ? d0 : d1, { fanInFanOut: ffo });
          for (const b of bi.get(m)!) {
            const x = bs.get(`${m}.x.${b}`), dy = bs.get(`${m}.dy.${b}`);
            await est.accumulateAsync(m, x, dy);
            x.dispose(); dy.dispose();
          }
          const G = est.gradient(m);
          est.release(m);
          return G;
        },
      };
    }
    const why = !fromG ? `no '<m>.weight' in ${weights}` : `needs '<m>.weight' in ${weights} and ${grads ? `'<m>.weight' in ${grads}` : `'<m>.x.<i>'/'<m>.dy.<i>' in ${batches}`}`;
    let targets: string[];
    const spec = f.targets !== undefined ? String(f.targets).split(',').map((t) => t.trim()).filter(Boolean) : null;
    if (spec && spec.includes('all-linear')) {
      if (spec.length > 1) throw new LoraValueError('--targets all-linear cannot be combined with module names');
      const shapes = Object.fromEntries(weightMods.map((m) => [m, wStore.entry(`${m}.weight`).shape]));
      const vocab = modelCfg?.json.vocab_size;
      const sel = allLinear(shapes, { vocabSize: typeof vocab === 'number' ? vocab : undefined });
      targets = sel.targets;
      if (sel.excluded.length) process.stderr.write(`all-linear: leaving out ${[...sel.excluded].sort().join(', ')} (embeddings / output head)\n`);
    } else if (spec) {
      // PEFT's rule over every weight: a full name or a dotted suffix.
      targets = matchTargets(spec, weightMods, '--targets');
    } else {
      targets = available;
    }
    const bad = targets.filter((t) => !available.includes(t));
    if (bad.length) throw new LoraValueError(`--targets: ${bad.join(', ')} not usable (${why}); available: ${available.join(', ') || 'none'}`);
    if (targets.length === 0) throw new LoraValueError(`no target modules found in ${weights}${grads ? ` and ${grads}` : batches ? ` and ${batches}` : ''}`);
    for (const m of targets) if (wStore.entry(`${m}.weight`).shape.length !== 2) throw new LoraValueError(`${weights}: '${m}.weight' is not 2-D`);
    const layout = resolveFanInFanOut(targets, modelCfg, f['fan-in-fan-out'] as boolean | undefined);
    cfg.fanInFanOut = layout.fanInFanOut;
    if (resolved) resolved = resolveLoraGAConfig(cfg);
    if (layout.detected && layout.fanInFanOut) process.stderr.write(`${modelCfg!.path}: GPT-2 Conv1D layers, W stored [in, out] (fan_in_fan_out: true)\n`);
    if (bIndex) checkBatchLayout(targets, wStore, bStore!, bIndex, layout.fanInFanOut);
    if (sketch) gradients = await sketchBatches(targets, wStore, bStore!, bIndex!, cfg, f);
    const taskType = str(f, 'task-type') !== undefined ? checkTaskType(str(f, 'task-type'), '--task-type') : inferTaskType(modelCfg);
    const offsetModel = !keepsW && modelCfg !== null && f['offset-model'] !== false;
    const baseModel = str(f, 'base-model') ?? (offsetModel ? path.resolve(out, 'base_model') : keepsW && modelCfg ? path.resolve(path.dirname(weights)) : null);
    if (str(f, 'base-model') !== undefined && !keepsW)
      process.stderr.write(`note: this ${method} adapter is correct only on the offset base W' (base_offset.safetensors${offsetModel ? ' or base_model/' : ''}): --base-model must name a model that holds it\n`);

    const stage = new StagedDir(out);
    // W' is streamed to base_offset.safetensors as each module finishes (same dtype and shape as W).
    const baseWriter = keepsW ? null : new SafetensorsWriter(stage.path('base_offset.safetensors'),
      targets.map((m) => ({ name: `${m}.weight`, dtype: wStore.entry(`${m}.weight`).dtype, shape: wStore.entry(`${m}.weight`).shape })), { format: 'pt' });
    // …and into DIR/base_model/model.safetensors, the whole checkpoint with W' in place, which adapter_config's
    // base_model_name_or_path names: AutoPeftModelFor….from_pretrained(DIR) then loads the base the adapter needs.
    const modelDir = path.join(out, 'base_model');
    let modelWriter: SafetensorsWriter | null = null;
    const modelStage = offsetModel ? new StagedDir(modelDir) : null;
    if (modelStage) {
      const layoutOf = wStore.names.map((n) => {
        try {
          const e = wStore.entry(n);
          return { name: n, dtype: e.dtype, shape: e.shape };
        } catch (e) {
          throw new (e as { constructor: new (m: string) => Error }).constructor(`${(e as Error).message} (writing ${modelDir} needs every tensor of the checkpoint; --offset-model=false skips it)`);
        }
      });
      modelWriter = new SafetensorsWriter(modelStage.path('model.safetensors'), layoutOf, { format: 'pt' });
    }
    const As: Record<string, { A: Tensor; B: Tensor }> = {};
    const reports: Record<string, unknown> = {};
    let warnings = 0;
    const unresolved: { m: string; w: string; bound: number }[] = [];
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
        ...cfg, ...(sketch ? { svd: 'sketch' as const } : {}), method, targets, signal: ac.signal, keepResults: false,
        onProgress: (e) => {
          if (e.phase === 'start') process.stderr.write(`[${e.index}/${e.total}] ${e.module} …`);
          else process.stderr.write(` done (${e.seconds.toFixed(2)} s)\n`);
          lineOpen = e.phase === 'start';
        },
        onModule: (m: string, r: LoraInitResult) => {
          As[m] = { A: r.A, B: r.B };
          if (r.W && baseWriter) { baseWriter.write(`${m}.weight`, r.W); modelWriter?.write(`${m}.weight`, r.W); r.W.dispose(); }
          reports[m] = { shape: [r.B.shape[0], r.A.shape[1]], scaling: r.scaling, ...(r.report ?? {}) };
          for (const w of r.report?.warnings ?? []) {
            warnings++;
            // Randomized-resolution warnings are summed up once at the end (one line, the worst bound).
            if (/randomized SVD cannot resolve/.test(w)) unresolved.push({ m, w, bound: Number(/sin θ ≤ ([\d.]+)/.exec(w)?.[1] ?? NaN) });
            else process.stderr.write(`${lineOpen ? '\n' : ''}warning: ${m}: ${w}\n`);
          }
        },
      });
      baseWriter?.close();
      if (modelWriter) {
        const done = new Set(targets.map((m) => `${m}.weight`));
        for (const n of wStore.names) {
          if (done.has(n)) continue;
          const t = wStore.get(n);
          modelWriter.write(n, t);
          t.dispose();
        }
        modelWriter.close();
        copyModelFiles(path.dirname(modelCfg!.path), modelStage!, modelCfg!.path);
      }
      if (unresolved.length) {
        const worst = unresolved.reduce((a, b) => (b.bound > a.bound ? b : a));
        process.stderr.write(`warning: randomized SVD left the A/B split unresolved in ${unresolved.length} module(s) (report.json lists them); worst ${worst.m}: ${worst.w}\n`);
      }
      const adapterCfg = {
        r: cfg.rank, lora_alpha: cfg.alpha, use_rslora: !!cfg.rsLora, target_modules: targets, base_model_name_or_path: baseModel,
        task_type: taskType, fan_in_fan_out: layout.fanInFanOut,
      };
      const report = {
        method, config: method === 'loraga' ? (sketch ? { ...resolved, svd: 'sketch' } : resolved) : method === 'lora-one'
          ? { rank: cfg.rank, alpha: cfg.alpha, gamma: cfg.gamma ?? 128, rsLora: cfg.rsLora, svd: cfg.svd ?? 'randomized', seed: cfg.seed ?? 0 }
          : { rank: cfg.rank, alpha: cfg.alpha, svd: cfg.svd ?? 'exact' },
        inputs: { weights, grads: grads ?? null, batches: batches ?? null, model_config: modelCfg?.path ?? null },
        // What `loraga export` needs to express a trained adapter against the original checkpoint.
        original_model: modelCfg ? path.resolve(path.dirname(modelCfg.path)) : null,
        offset_model: offsetModel ? path.resolve(modelDir) : null,
        fan_in_fan_out: layout.fanInFanOut, fan_in_fan_out_detected: layout.detected,
        seconds: res.seconds, modules: reports, adapter_config: peftConfigJson({ modules: As, config: adapterCfg }),
      };
      await stage.writeFile('report.json', JSON.stringify(report, null, 2) + '\n');
      await stagePeftAdapter(stage, { modules: As, prefix: f.prefix !== false, config: adapterCfg });  // config last
      if (ac.signal.aborted) throw new LoraAbortError('loraga init: interrupted before the files were put in place');
      modelStage?.commit();  // the base the config names first, then the adapter (its config last)
      stage.commit();
    } catch (e) {
      baseWriter?.abort();
      modelWriter?.abort();
      modelStage?.abort();
      stage.abort();
      if (lineOpen) process.stderr.write('\n');  // the error message gets its own line
      throw e;
    } finally {
      process.removeListener('SIGINT', onSig);
      process.removeListener('SIGTERM', onSig);
    }
    console.log(`loraga init: ${targets.length} module(s), r = ${cfg.rank}, ${method}${resolved ? ` ${resolved.direction}/${resolved.scale}/${resolved.convention}, ${sketch ? 'sketched G' : `${resolved.svd} SVD`}` : ''}, ${res.seconds.toFixed(2)} s${warnings ? `, ${warnings} warning(s)` : ''}`);
    console.log(`wrote ${path.join(out, 'adapter_model.safetensors')}, adapter_config.json, ${baseWriter ? 'base_offset.safetensors, ' : ''}${offsetModel ? 'base_model/, ' : ''}report.json`);
    if (baseWriter && !offsetModel)
      console.log(`the adapter needs the offset base W': load base_offset.safetensors into the model first (README, "Loading the adapter in PEFT")`);
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
    'sketch-size': { kind: 'number' },
    'sketch-passes': { kind: 'number' },
    'base-model': { kind: 'string' },
    'fan-in-fan-out': { kind: 'boolean' },
    'task-type': { kind: 'string' },
    'model-config': { kind: 'string' },
    'offset-model': { kind: 'boolean' },
    out: { kind: 'string', required: true },
  },
  run,
};
