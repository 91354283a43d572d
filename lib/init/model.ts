/**
 * Whole-model init: LoRA-GA (or LoRA-One / PiSSA / plain LoRA) over many target modules, one module at a time
 * (LoRA-GA: `concurrency` at a time, their gradients' SVDs in one svdBatched call that uses every core or several GPU
 * streams), async, with progress events and cancellation. Each module's random draws (plain LoRA's A, a randomized SVD,
 * LoRA-GA's 'random' direction) use its own seed, moduleSeed(config.seed, name). Memory stays bounded: beyond the caller's inputs, only one module's working set
 * (its W, G, SVD and results) is alive at once when weights come from a loader and results go to `onModule`.
 */
import type { LoraGAConfig, LoraInitResult, LoraOneConfig, PiSSAConfig } from '../../types/init';
import type { GradientSource, InitAdaptersConfig, InitAdaptersResult, ModelWeights } from '../../types/init-model';
import { LoraAbortError, LoraShapeError, LoraValueError } from '../errors';
import { finiteMatrix, nonNegInt, posInt } from './common';
import { fmt } from '../ops/check';
import { svdBatchedAsync } from '../ops/svd';
import { svdCall } from './spectrum';
import type { SvdOptions, SvdResult } from '../../types/ops/svd';
import { Tensor } from '../tensor';
import { GradientEstimator, sketchOf } from './estimator';
import { LORAGA_KEYS, initLoraGAAsync, initLoraGAFromSketchAsync, initLoraGAWithSvdAsync, loraGASvdPath, resolveLoraGAConfig } from './loraga';
import { configObject, pick } from './common';
import { fanInFanOutOption, transpose2d } from './layout';
import { matchTargets } from '../peft/targets';
import { initLora } from './lora';
import { LORA_ONE_KEYS, initLoraOneAsync } from './lora-one';
import { moduleSeed } from './module-seed';
import { PISSA_KEYS, initPiSSAAsync } from './pissa';
import { showJson } from '../show';

/** Every option initAdapters takes: the inits' own (LoRA-GA's are a superset, plus LoRA-One's normalize) and the run's. */
const INIT_ADAPTERS_KEYS: readonly string[] = [
  ...LORAGA_KEYS, 'normalize', 'method', 'targets', 'signal', 'onProgress', 'onModule', 'keepResults', 'releaseGradients', 'concurrency',
];

function isLoader(x: unknown): x is { load(name: string): Tensor | Promise<Tensor> } {
  return !!x && typeof (x as { load?: unknown }).load === 'function';
}

export async function initAdapters(model: ModelWeights, estimate: GradientSource, config: InitAdaptersConfig): Promise<InitAdaptersResult> {
  if (!model || typeof model !== 'object') throw new LoraValueError('initAdapters: model must be a record of weights or a loader');
  configObject(config, 'initAdapters', INIT_ADAPTERS_KEYS);
  const method = config.method ?? 'loraga';
  if (!['loraga', 'lora-one', 'pissa', 'lora'].includes(method)) throw new LoraValueError(`initAdapters: unknown method ${showJson(method)}`);
  const sketch = config.svd === 'sketch';
  if (sketch && method !== 'loraga') throw new LoraValueError(`initAdapters: svd 'sketch' is for method 'loraga' (got '${method}')`);
  // The sketch replaces G's SVD; W's own (scales 'weight_svd' / 'weightS') stays randomized.
  const gaConfig = { ...pick(config, LORAGA_KEYS), ...(sketch ? { svd: 'randomized' } : {}) } as LoraGAConfig;
  if (method === 'loraga') resolveLoraGAConfig(gaConfig); // fail fast on a bad config, before any work
  const seed = nonNegInt(config.seed, 'initAdapters seed', 0);
  const fromG = method === 'loraga' || method === 'lora-one';
  const names = isLoader(model) ? (model as { names: string[] }).names : Object.keys(model);
  // Targets as PEFT reads them: a full module name or a dotted suffix of one.
  const targets = config.targets ? matchTargets(config.targets, names, 'initAdapters targets') : names;
  const ffo = fanInFanOutOption(config.fanInFanOut, 'initAdapters');
  const concurrency = config.concurrency === undefined ? 1 : posInt(config.concurrency, 'initAdapters concurrency');
  if (concurrency > 1 && (method !== 'loraga' || sketch))
    throw new LoraValueError(`initAdapters: concurrency > 1 is for LoRA-GA from G (got method '${method}'${sketch ? " with svd 'sketch'" : ''}); leave it at 1`);
  if (fromG) {
    if (!estimate) throw new LoraValueError('initAdapters: LoRA-GA and LoRA-One need gradients (a GradientEstimator or a record of G)');
    if (estimate instanceof GradientEstimator) {
      const nog = targets.filter((t) => !estimate.modules.includes(t));
      if (nog.length) throw new LoraValueError(`initAdapters: the estimator has no gradient for ${nog.join(', ')}`);
      // The estimator gives G in the layout its module was registered with; it must be W's.
      const other = targets.filter((t) => estimate.fanInFanOut(t) !== ffo);
      if (other.length) throw new LoraValueError(`initAdapters: fanInFanOut is ${ffo} but the estimator registered ${other.join(', ')} with fanInFanOut ${!ffo}`);
      if (sketch) {
        const unsketched = targets.filter((t) => !sketchOf(estimate, t));
        if (unsketched.length) throw new LoraValueError(`initAdapters: svd 'sketch' needs every target registered with a sketch; not: ${unsketched.join(', ')}`);
        const open = targets.filter((t) => !sketchOf(estimate, t)!.done);
        if (open.length) throw new LoraValueError(`initAdapters: the sketches of ${open.join(', ')} have passes left (call estimator.nextPass() after each pass over the batches)`);
        const small = targets.filter((t) => sketchOf(estimate, t)!.o.size < 2 * (config.rank as number) + 1);
        if (small.length) throw new LoraValueError(`initAdapters: rank ${config.rank} needs sketches of size ≥ 2r + 1 = ${2 * (config.rank as number) + 1}; smaller: ${small.join(', ')}`);
      }
    } else if (sketch) {
      throw new LoraValueError("initAdapters: svd 'sketch' needs a GradientEstimator whose targets were registered with a sketch");
    } else if (!isLoader(estimate)) {
      const nog = targets.filter((t) => !(t in (estimate as Record<string, Tensor>)));
      if (nog.length) throw new LoraValueError(`initAdapters: no gradient for ${nog.join(', ')}`);
    }
  }
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;
  const signal = config.signal;
  const abort = () => new LoraAbortError(`initAdapters: aborted after ${seconds().toFixed(2)} s`);
  const out: Record<string, LoraInitResult> = {};
  const keep = config.keepResults !== false;

  const loadW = async (name: string): Promise<Tensor> => {
    const W = isLoader(model) ? await model.load(name) : (model as Record<string, Tensor>)[name];
    if (!(W instanceof Tensor) || W.rank !== 2) throw new LoraShapeError(`initAdapters: weight of '${name}' must be a 2-D ${ffo ? '[in, out]' : '[out, in]'} tensor`);
    return W;
  };
  /** G of a module, and whether it is ours to dispose (a fresh mean or a loaded tensor, not a caller's ready G). */
  const loadG = async (name: string): Promise<{ G: Tensor; ownG: boolean }> => {
    if (estimate instanceof GradientEstimator) return { G: estimate.gradient(name), ownG: estimate.batches(name) > 0 };
    if (isLoader(estimate)) return { G: await estimate.load(name), ownG: true };
    return { G: (estimate as Record<string, Tensor>)[name], ownG: false };
  };
  const named = (e: unknown, name: string) =>
    e instanceof LoraAbortError ? abort() : new (e as { constructor: new (m: string) => Error }).constructor(`module '${name}': ${(e as Error).message}`);

  for (let w0 = 0; w0 < targets.length; w0 += concurrency) {
    const window = targets.slice(w0, w0 + concurrency);
    if (signal?.aborted) throw abort();
    // concurrency > 1: every module of the window loaded and its G factored in one svdBatched call, up front.
    const ready = new Map<string, Prepared>();
    if (concurrency > 1) {
      window.forEach((name, j) => config.onProgress?.({ phase: 'start', module: name, index: w0 + j + 1, total: targets.length, seconds: seconds() }));
      try {
        for (const name of window) ready.set(name, { W: await loadW(name), ...(await loadG(name)) });
        await batchedSvds(window, ready, { ...gaConfig }, seed, ffo);
      } catch (e) {
        for (const p of ready.values()) disposePrepared(p, isLoader(model));
        throw e instanceof LoraAbortError || (e as Error).message.startsWith('module ') ? e : named(e, window.join(', '));
      }
    }
    for (let j = 0; j < window.length; j++) {
      const i = w0 + j;
      if (signal?.aborted) {
        for (const p of ready.values()) disposePrepared(p, isLoader(model));
        throw abort();
      }
      const name = targets[i];
      const prep = ready.get(name);
      ready.delete(name);
      if (!prep) config.onProgress?.({ phase: 'start', module: name, index: i + 1, total: targets.length, seconds: seconds() });
      const W = prep ? prep.W : await loadW(name);
      let result!: LoraInitResult;
      const mseed = moduleSeed(seed, name);
      if (method === 'lora') {
        const [o, i] = ffo ? [W.shape[1], W.shape[0]] : [W.shape[0], W.shape[1]];
        result = initLora(o, i, { rank: config.rank, alpha: config.alpha, seed: mseed, rsLora: config.rsLora, dtype: config.dtype ?? (W.dtype === 'f64' ? 'f64' : 'f32') });
      } else if (method === 'pissa') {
        result = await initPiSSAAsync(W, { ...pick(config, PISSA_KEYS), seed: mseed, svd: config.svd ?? 'exact' } as PiSSAConfig, { signal });
      } else {
        let G: Tensor | null = null;
        let ownG = false;
        if (sketch) {
          // G was never formed: LoRA-GA from the sketch's factors (2r directions for the error estimate).
          try {
            const f = (estimate as GradientEstimator).sketch(name, 2 * (config.rank as number));
            result = await initLoraGAFromSketchAsync(W, f, { ...gaConfig, seed: mseed }, { signal });
          } catch (e) {
            if (e instanceof LoraAbortError) throw abort();
            throw new (e as { constructor: new (m: string) => Error }).constructor(`module '${name}': ${(e as Error).message}`);
          } finally {
            if (config.releaseGradients) (estimate as GradientEstimator).release(name);
          }
        } else {
          ({ G, ownG } = prep ?? (await loadG(name)));
        }
        if (G) try {
          if (prep?.svd) {
            const res = prep.svd;
            prep.svd = undefined;
            result = await initLoraGAWithSvdAsync(W, G, res, { ...gaConfig, seed: mseed }, { signal });
          } else if (method === 'loraga') {
            result = await initLoraGAAsync(W, G, { ...gaConfig, seed: mseed }, { signal });
          } else {
            // LoRA-One reads G alone, as [out, in]: a fan-in-fan-out G (W's layout, [in, out]) is turned first.
            const Gt = ffo ? transpose2d(G) : G;
            try {
              result = await initLoraOneAsync(Gt, { ...pick(config, LORA_ONE_KEYS), seed: mseed } as LoraOneConfig, { signal });
            } finally {
              if (Gt !== G) Gt.dispose();
            }
          }
        } catch (e) {
          for (const p of ready.values()) disposePrepared(p, isLoader(model));
          throw named(e, name);
        } finally {
          if (ownG) G.dispose();
          if (config.releaseGradients && estimate instanceof GradientEstimator) estimate.release(name);
        }
      }
      if (isLoader(model) && result.W !== W) W.dispose();
      if (config.onModule) await config.onModule(name, result);
      if (keep) out[name] = result;
      config.onProgress?.({ phase: 'done', module: name, index: i + 1, total: targets.length, seconds: seconds(), result });
    }
  }
  return { modules: out, seconds: seconds() };
}

/** A module of a window, loaded, with its G's SVD once the window's batch has run. */
interface Prepared {
  W: Tensor;
  G: Tensor;
  ownG: boolean;
  svd?: SvdResult;
}

function disposePrepared(p: Prepared, ownW: boolean): void {
  if (p.svd) for (const t of [p.svd.U, p.svd.S, p.svd.Vt]) t.dispose();
  if (p.ownG) p.G.dispose();
  if (ownW) p.W.dispose();
}

/**
 * The SVDs of a window's gradients, as each module's initLoraGA would take them (loraGASvdPath with its own seed, G
 * as [out, in], in the precision's dtype), in one svdBatched call per set of equal options (in practice one).
 */
async function batchedSvds(window: string[], ready: Map<string, Prepared>, gaConfig: LoraGAConfig, seed: number, ffo: boolean): Promise<void> {
  const groups = new Map<string, { names: string[]; Ms: Tensor[]; seeds: number[]; opts: SvdOptions; temps: Tensor[] }>();
  // The temporaries (transposes, conversions) are disposed however this ends, a refused module included.
  try {
    for (const name of window) {
      const p = ready.get(name)!;
      finiteMatrix(p.G, `module '${name}': initLoraGA G`);
      if (p.W.shape[0] !== p.G.shape[0] || p.W.shape[1] !== p.G.shape[1])
        throw new LoraShapeError(`module '${name}': initLoraGA: W ${fmt(p.W)} and G ${fmt(p.G)} must have the same shape`);
      const c = resolveLoraGAConfig({ ...gaConfig, seed: moduleSeed(seed, name) });
      const Gt = ffo ? transpose2d(p.G) : p.G;
      const { opts, dtype } = svdCall(Gt, loraGASvdPath(c));
      const M = Gt.dtype === dtype ? Gt : Gt.to(dtype);
      const key = JSON.stringify([opts.k, opts.method, opts.oversample, opts.powerIters, dtype, M.device]);
      const g = groups.get(key) ?? { names: [], Ms: [], seeds: [], opts, temps: [] };
      groups.set(key, g);
      g.names.push(name);
      g.Ms.push(M);
      g.seeds.push(opts.seed ?? 0);
      for (const t of new Set([Gt, M])) if (t !== p.G) g.temps.push(t);
    }
    for (const g of groups.values()) {
      const common: SvdOptions = { ...g.opts };
      delete common.seed;   // per module: seeds
      const res = await svdBatchedAsync(g.Ms, g.opts.method !== 'exact' ? { ...common, seeds: g.seeds } : common);
      g.names.forEach((name, i) => (ready.get(name)!.svd = res[i]));
    }
  } finally {
    for (const g of groups.values()) for (const t of g.temps) t.dispose();
  }
}
