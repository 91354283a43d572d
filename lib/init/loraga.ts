/**
 * LoRA-GA init (Wang et al. 2024, "LoRA-GA: Low-Rank Adaptation with Gradient Approximation"): from the one-step
 * gradient G = ∂L/∂W ([out, in]) of a Linear layer, A and B are chosen from the top 2r singular directions of
 * G = U·diag(S)·Vᵀ so that the first LoRA step approximates a full fine-tuning step; W is offset by s·B·A so the
 * adapted layer's output is unchanged at step 0.
 *
 * Two conventions (see README "LoRA-GA conventions"), each with its own scale names, as its code spells them:
 *  - 'peft'     (Hugging Face PEFT 0.21, tuners/lora/layer.py lora_ga_init): B carries diag(S) of its directions;
 *               scales 'stable' (B only, by out^¼/√γ), 'weight_svd' (B by σ₁(W)/S_B[0]), 'gd_scale', 'unit';
 *               'random' draws one index set of r from the top 2r and uses it for both A and B.
 *  - 'official' (github.com/Outsider565/LoRA-GA, peft/src/peft/tuners/lora/layer.py): no diag(S); scales 'stable'
 *               (A and B by out^¼/√γ), 'weightS' (A and B by mean_{i<r} √(σᵢ(W)/s)), 'gd', 'unit';
 *               'random' draws disjoint index sets for A and B from a permutation of the top 2r.
 * A scale name of the other convention is a typed error (the old hybrid 'weightS' under 'peft' is gone).
 */
import type {
  LoraGAConfig, LoraGAConvention, LoraGADirection, LoraGAScale, LoraInitResult, ResolvedLoraGAConfig, SpectralReport,
} from '../../types/init';
import type { SketchFactors } from '../../types/init-model';
import type { SvdResult } from '../../types/ops/svd';
import { LoraAbortError, LoraShapeError, LoraValueError } from '../errors';
import { fmt } from '../ops/check';
import { Tensor } from '../tensor';
import {
  checkRank, configObject, finiteMatrix, gatherCols, gatherRows, loraScaling, offsetBase, oneOf, outDType, posInt, posNumber,
  resolveSvdOptions, SVD_KEYS,
} from './common';
import { fanInFanOutOption, transpose2d } from './layout';
import { permutation } from './rng';
import { Plan, runAsync, runSync } from './runner';
import { SvdPathOptions, sketchReport, spectralReport, truncatedSvd } from './spectrum';

export const LORAGA_DIRECTIONS: readonly LoraGADirection[] = ['ArBr', 'A2rBr', 'ArB2r', 'random'];
/** The scales of each convention, by the names its code uses. */
export const LORAGA_SCALES_BY_CONVENTION: Readonly<Record<LoraGAConvention, readonly LoraGAScale[]>> = {
  peft: ['stable', 'weight_svd', 'gd_scale', 'unit'],
  official: ['stable', 'weightS', 'gd', 'unit'],
};
export const LORAGA_SCALES: readonly LoraGAScale[] = ['stable', 'weight_svd', 'gd_scale', 'unit', 'weightS', 'gd'];

const OTHER_NAME: Record<string, string> = {
  weightS: "'weightS' is the official repository's scale (A and B by mean √(σᵢ(W)/s)): use convention 'official', or PEFT's 'weight_svd' (B by σ₁(W)/S_B[0])",
  gd: "'gd' is the official repository's name: PEFT calls the same scale 'gd_scale'",
  weight_svd: "'weight_svd' is PEFT's scale (B by σ₁(W)/S_B[0]): use convention 'peft', or the official 'weightS'",
  gd_scale: "'gd_scale' is PEFT's name: the official repository calls the same scale 'gd'",
};

/** Every option this init takes: any other key is a LoraValueError. */
export const LORAGA_KEYS: readonly string[] = ['rank', 'alpha', 'direction', 'scale', 'gamma', 'convention', 'rsLora', 'fanInFanOut', ...SVD_KEYS];

export function resolveLoraGAConfig(config: LoraGAConfig): ResolvedLoraGAConfig {
  configObject(config, 'initLoraGA', LORAGA_KEYS);
  const rank = posInt(config.rank, 'initLoraGA rank');
  const alpha = posNumber(config.alpha, 'initLoraGA alpha');
  const convention = oneOf(config.convention, ['peft', 'official'] as const, 'initLoraGA convention', 'peft');
  const allowed = LORAGA_SCALES_BY_CONVENTION[convention];
  if (config.scale !== undefined && typeof config.scale === 'string' && !allowed.includes(config.scale) && Object.hasOwn(OTHER_NAME, config.scale))
    throw new LoraValueError(`initLoraGA scale under convention '${convention}': ${OTHER_NAME[config.scale]}`);
  return {
    rank, alpha,
    direction: oneOf(config.direction, LORAGA_DIRECTIONS, 'initLoraGA direction', 'ArB2r'),
    scale: oneOf(config.scale, allowed, `initLoraGA scale (convention '${convention}')`, 'stable'),
    gamma: config.gamma === undefined ? 16 : posNumber(config.gamma, 'initLoraGA gamma'),
    convention,
    rsLora: !!config.rsLora,
    fanInFanOut: fanInFanOutOption(config.fanInFanOut, 'initLoraGA'),
    ...resolveSvdOptions(config, 'initLoraGA', { svd: 'randomized', oversample: 2 * rank }),
  };
}

export function loraGAIndices(direction: LoraGADirection, r: number, convention: LoraGAConvention, seed: number): { a: number[]; b: number[] } {
  const range = (lo: number, hi: number, stepBy = 1) => Array.from({ length: Math.ceil((hi - lo) / stepBy) }, (_, i) => lo + i * stepBy);
  switch (direction) {
    case 'ArBr': return { a: range(1, 2 * r, 2), b: range(0, 2 * r, 2) };
    case 'A2rBr': return { a: range(r, 2 * r), b: range(0, r) };
    case 'ArB2r': return { a: range(0, r), b: range(r, 2 * r) };
    case 'random': {
      const p = permutation(2 * r, seed);
      return convention === 'peft' ? { a: p.slice(0, r), b: p.slice(0, r) } : { a: p.slice(0, r), b: p.slice(r, 2 * r) };
    }
  }
}

/**
 * G itself; G with its SVD already computed (initAdapters' concurrency: many modules' SVDs in one svdBatched call,
 * made with loraGASvdPath's options of G as [out, in]); or (initAdapters' svd 'sketch') the low-rank factors of a
 * sketched G that was never formed.
 */
type GradientInput = { G: Tensor; svd?: SvdResult } | { sketch: SketchFactors };

/** The SVD LoRA-GA takes of G: 2r directions plus σ₂ᵣ₊₁ for the gap at 2r; randomized keeps q = 2r + oversample. */
export function loraGASvdPath(c: ResolvedLoraGAConfig): SvdPathOptions {
  const r = c.rank;
  return { method: c.svd, k: 2 * r + 1, q: 2 * r + c.oversample, powerIters: c.powerIters, seed: c.seed, precision: c.precision };
}

function* plan(W0: Tensor, input: GradientInput, config: LoraGAConfig): Plan<LoraInitResult> {
  finiteMatrix(W0, 'initLoraGA W');
  const G0 = 'G' in input ? finiteMatrix(input.G, 'initLoraGA G') : null;
  const c = resolveLoraGAConfig(config);
  const layout = c.fanInFanOut ? '[in, out] (fanInFanOut)' : '[out, in]';
  if (G0 && (W0.shape[0] !== G0.shape[0] || W0.shape[1] !== G0.shape[1]))
    throw new LoraShapeError(`initLoraGA: W ${fmt(W0)} and G ${fmt(G0)} must have the same ${layout} shape`);
  // Work in [out, in]; a fan-in-fan-out W and its gradient are transposed here and W' back at the end.
  const W = c.fanInFanOut ? transpose2d(W0) : W0, G = G0 && c.fanInFanOut ? transpose2d(G0) : G0;
  // A and B stay in f32 (f64 for an f64 W) unless asked, as the official code keeps them: a bf16 W then needs no
  // rounded adapter, and the offset is formed from the unrounded A and B.
  const dtype = outDType(config.dtype, W.dtype === 'f64' ? 'f64' : 'f32', 'initLoraGA dtype');
  const [out, inF] = W.shape, r = c.rank;
  checkRank(r, out, inF, 2, 'initLoraGA');
  const s = loraScaling(c.alpha, r, c.rsLora);
  const gaps: ('r' | '2r' | 'all')[] = c.direction === 'ArB2r' || c.direction === 'A2rBr' ? ['r', '2r'] : ['all', '2r'];
  const reportOpts = { r, used: 2 * r, gaps, gapTolerance: c.gapTolerance, name: 'G' };

  // One SVD of G: 2r directions, plus σ₂ᵣ₊₁ for the gap at 2r. Randomized keeps q = 2r + oversample (4r by default).
  const svdOpts = loraGASvdPath(c);
  let res: SvdResult;
  let report: SpectralReport | undefined;
  const given = 'G' in input ? input.svd : undefined;
  if (G && given) {
    const k = Math.min(svdOpts.k, Math.min(out, inF));
    if (given.U.shape[0] !== out || given.U.shape[1] !== k || given.Vt.shape[1] !== inF)
      throw new LoraShapeError(`initLoraGA: the SVD given is of a [${given.U.shape[0]}, ${given.Vt.shape[1]}] gradient with ${given.U.shape[1]} directions; expected [${out}, ${inF}] with ${k}`);
    res = given;
  } else if (G) {
    res = yield* truncatedSvd(G, svdOpts);
  } else {
    const f = (input as { sketch: SketchFactors }).sketch;
    if (f.U.shape[0] !== out || f.Vt.shape[1] !== inF)
      throw new LoraShapeError(`initLoraGA: the sketch is of a [${f.U.shape[0]}, ${f.Vt.shape[1]}] gradient, W is [${out}, ${inF}] as [out, in]`);
    if (f.S.size < 2 * r + 1) throw new LoraValueError(`initLoraGA: rank ${r} needs a sketch of size ≥ 2r + 1 = ${2 * r + 1}, got ${f.S.size}`);
    res = { U: f.U, S: f.S, Vt: f.Vt };
    if (!config.noReport) report = sketchReport(f, { method: 'sketch', ...reportOpts });
  }
  try {
    if (G && !config.noReport) report = yield* spectralReport(G, res, { method: c.svd, ...reportOpts });
    const S = res.S.toFloat64();
    const idx = loraGAIndices(c.direction, r, c.convention, c.seed);
    const peft = c.convention === 'peft';

    // Multipliers of A and B for the chosen scale; `out` is the layer's true output size in either layout.
    let fA = 1, fB = 1;
    const stable = Math.pow(out, 0.25) / Math.sqrt(c.gamma);
    switch (c.scale) {
      case 'gd': case 'gd_scale': fA = fB = 1 / s; break;
      case 'unit': break;
      case 'stable': fB = stable; if (!peft) fA = stable; break;
      case 'weight_svd': {
        // PEFT: B ← B·σ₁(W)/S_B[0], S_B[0] the singular value of B's first direction (σ₁(W) from svd_lowrank,
        // q = r, 4 iterations: the same SVD method and q here); skipped when S_B[0] is 0, as PEFT does.
        const wres = yield* truncatedSvd(W, { ...svdOpts, k: 1, q: r });
        const sw1 = wres.S.toFloat64()[0];
        wres.U.dispose(); wres.S.dispose(); wres.Vt.dispose();
        const sb0 = S[idx.b[0]];
        if (sb0 > 0) fB = sw1 / sb0;
        break;
      }
      case 'weightS': {
        // Official: A and B by the mean of √(σᵢ(W)/s) over the top r singular values of W (svd_lowrank q = 4r).
        const wres = yield* truncatedSvd(W, { ...svdOpts, k: r, q: Math.max(r, 4 * r) });
        const sw = wres.S.toFloat64();
        let acc = 0;
        for (let i = 0; i < r; i++) acc += Math.sqrt(Math.max(sw[i], 0) / s);
        fA = fB = acc / r;
        wres.U.dispose(); wres.S.dispose(); wres.Vt.dispose();
        break;
      }
    }
    const A = Tensor.fromFloat64(gatherRows(res.Vt, idx.a, fA), [r, inF], dtype);
    const B = Tensor.fromFloat64(gatherCols(res.U, idx.b, fB, peft ? S : undefined), [out, r], dtype);
    const Wp = yield* offsetBase(W, A, B, s);
    if (!c.fanInFanOut) return { A, B, W: Wp, scaling: s, report };
    const WpT = transpose2d(Wp);
    Wp.dispose(); W.dispose(); G?.dispose();
    return { A, B, W: WpT, scaling: s, report, fanInFanOut: true };
  } finally {
    res.U.dispose(); res.S.dispose(); res.Vt.dispose();
  }
}

export function initLoraGA(W: Tensor, G: Tensor, config: LoraGAConfig): LoraInitResult {
  return runSync(plan(W, { G }, config));
}

export function initLoraGAAsync(W: Tensor, G: Tensor, config: LoraGAConfig, options: { signal?: AbortSignal } = {}): Promise<LoraInitResult> {
  return runAsync(plan(W, { G }, config), options.signal, () => new LoraAbortError('initLoraGA: aborted'));
}

/** LoRA-GA with G's SVD already computed (initAdapters' concurrency); the SVD is the caller's and is disposed. */
export function initLoraGAWithSvdAsync(W: Tensor, G: Tensor, res: SvdResult, config: LoraGAConfig, options: { signal?: AbortSignal } = {}): Promise<LoraInitResult> {
  return runAsync(plan(W, { G, svd: res }, config), options.signal, () => new LoraAbortError('initLoraGA: aborted'));
}

/** LoRA-GA from a sketched gradient's factors ([out, in] orientation), for initAdapters' svd 'sketch'. */
export function initLoraGAFromSketchAsync(W: Tensor, sketch: SketchFactors, config: LoraGAConfig, options: { signal?: AbortSignal } = {}): Promise<LoraInitResult> {
  return runAsync(plan(W, { sketch }, config), options.signal, () => new LoraAbortError('initLoraGA: aborted'));
}
