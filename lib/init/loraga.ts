/**
 * LoRA-GA init (Wang et al. 2024, "LoRA-GA: Low-Rank Adaptation with Gradient Approximation"): from the one-step
 * gradient G = ∂L/∂W ([out, in]) of a Linear layer, A and B are chosen from the top 2r singular directions of
 * G = U·diag(S)·Vᵀ so that the first LoRA step approximates a full fine-tuning step; W is offset by s·B·A so the
 * adapted layer's output is unchanged at step 0.
 *
 * Two conventions (see README "LoRA-GA conventions"):
 *  - 'peft'     (Hugging Face PEFT 0.21): B carries diag(S) of its directions; 'stable' scales B only by out^¼/√γ;
 *               'random' draws one index set of r from the top 2r and uses it for both A and B.
 *  - 'official' (github.com/Outsider565/LoRA-GA): no diag(S); 'stable' scales A and B by out^¼/√γ;
 *               'random' draws disjoint index sets for A and B from a permutation of the top 2r.
 */
import type {
  LoraGAConfig, LoraGAConvention, LoraGADirection, LoraGAScale, LoraInitResult, ResolvedLoraGAConfig, SpectralReport,
} from '../../types/init';
import { LoraAbortError, LoraShapeError } from '../errors';
import { fmt } from '../ops/check';
import { Tensor } from '../tensor';
import { checkRank, configObject, finiteMatrix, gatherCols, gatherRows, loraScaling, offsetBase, oneOf, outDType, posInt, posNumber, resolveSvdOptions, SVD_KEYS } from './common';
import { permutation } from './rng';
import { Plan, runAsync, runSync } from './runner';
import { spectralReport, truncatedSvd } from './spectrum';

export const LORAGA_DIRECTIONS: readonly LoraGADirection[] = ['ArBr', 'A2rBr', 'ArB2r', 'random'];
export const LORAGA_SCALES: readonly LoraGAScale[] = ['gd', 'gd_scale', 'unit', 'stable', 'weightS'];

/** Every option this init takes: any other key is a LoraValueError. */
export const LORAGA_KEYS: readonly string[] = ['rank', 'alpha', 'direction', 'scale', 'gamma', 'convention', 'rsLora', ...SVD_KEYS];

export function resolveLoraGAConfig(config: LoraGAConfig): ResolvedLoraGAConfig {
  configObject(config, 'initLoraGA', LORAGA_KEYS);
  const rank = posInt(config.rank, 'initLoraGA rank');
  const alpha = posNumber(config.alpha, 'initLoraGA alpha');
  return {
    rank, alpha,
    direction: oneOf(config.direction, LORAGA_DIRECTIONS, 'initLoraGA direction', 'ArB2r'),
    scale: oneOf(config.scale, LORAGA_SCALES, 'initLoraGA scale', 'stable'),
    gamma: config.gamma === undefined ? 16 : posNumber(config.gamma, 'initLoraGA gamma'),
    convention: oneOf(config.convention, ['peft', 'official'] as const, 'initLoraGA convention', 'peft'),
    rsLora: !!config.rsLora,
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

function* plan(W: Tensor, G: Tensor, config: LoraGAConfig): Plan<LoraInitResult> {
  finiteMatrix(W, 'initLoraGA W');
  finiteMatrix(G, 'initLoraGA G');
  if (W.shape[0] !== G.shape[0] || W.shape[1] !== G.shape[1])
    throw new LoraShapeError(`initLoraGA: W ${fmt(W)} and G ${fmt(G)} must have the same [out, in] shape`);
  const c = resolveLoraGAConfig(config);
  const dtype = outDType(config.dtype, W.dtype, 'initLoraGA dtype');
  const [out, inF] = W.shape, r = c.rank;
  checkRank(r, out, inF, 2, 'initLoraGA');
  const s = loraScaling(c.alpha, r, c.rsLora);

  // One SVD of G: 2r directions, plus σ₂ᵣ₊₁ for the gap at 2r. Randomized keeps q = 2r + oversample (4r by default).
  const svdOpts = { method: c.svd, k: 2 * r + 1, q: 2 * r + c.oversample, powerIters: c.powerIters, seed: c.seed, precision: c.precision };
  const res = yield* truncatedSvd(G, svdOpts);
  try {
    let report: SpectralReport | undefined;
    if (!config.noReport) {
      const gaps: ('r' | '2r' | 'all')[] = c.direction === 'ArB2r' || c.direction === 'A2rBr' ? ['r', '2r'] : ['all', '2r'];
      report = yield* spectralReport(G, res, { method: c.svd, r, used: 2 * r, gaps, gapTolerance: c.gapTolerance, name: 'G' });
    }
    const S = res.S.toFloat64();
    const idx = loraGAIndices(c.direction, r, c.convention, c.seed);

    // Multipliers of A and B for the chosen scale.
    let fA = 1, fB = 1;
    const stable = Math.pow(out, 0.25) / Math.sqrt(c.gamma);
    switch (c.scale) {
      case 'gd': case 'gd_scale': fA = fB = 1 / s; break;
      case 'unit': break;
      case 'stable': fB = stable; if (c.convention === 'official') fA = stable; break;
      case 'weightS': {
        // Mean of √(σᵢ(W)/s) over the top r singular values of W, applied to A and B (the official repo's rule).
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
    const B = Tensor.fromFloat64(gatherCols(res.U, idx.b, fB, c.convention === 'peft' ? S : undefined), [out, r], dtype);
    const Wp = yield* offsetBase(W, A, B, s);
    return { A, B, W: Wp, scaling: s, report };
  } finally {
    res.U.dispose(); res.S.dispose(); res.Vt.dispose();
  }
}

export function initLoraGA(W: Tensor, G: Tensor, config: LoraGAConfig): LoraInitResult {
  return runSync(plan(W, G, config));
}

export function initLoraGAAsync(W: Tensor, G: Tensor, config: LoraGAConfig, options: { signal?: AbortSignal } = {}): Promise<LoraInitResult> {
  return runAsync(plan(W, G, config), options.signal, () => new LoraAbortError('initLoraGA: aborted'));
}
