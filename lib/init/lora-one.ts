/**
 * LoRA-One init (Zhang, Liu & Chen 2025, "One-step full gradient could suffice for fine-tuning LLMs, provably and
 * efficiently"; github.com/YuanheZ/LoRA-One). From the one-step gradient G of a Linear layer, take the SVD of −G =
 * U·diag(S)·Vᵀ and set, in our layout (B [out, r], A [r, in]):
 *   B₀ = U_r·diag(√S_r) / (√γ·c),   A₀ = diag(√S_r)·V_rᵀ / (√γ·c),   c = √σ₁ if `normalize` (the official code) else 1
 * W is NOT offset: the adapted layer W + s·B₀·A₀ = W − (s/(γ·c²))·[G]_r is itself one best-rank-r gradient step on
 * W with learning rate s/(γ·c²) ([G]_r = G's truncated SVD). The paper's README states it without the σ₁
 * normalisation (lr s/γ); the official code's "LoRA-One" direction divides by √σ₁ — our default, `normalize: true`.
 * The official runs use rsLoRA (s = α/√r), our default too.
 */
import type { LoraInitResult, LoraOneConfig, SpectralReport } from '../../types/init';
import { LoraAbortError, LoraShapeError, LoraValueError } from '../errors';
import { fmt } from '../ops/check';
import { Tensor } from '../tensor';
import { checkRank, configObject, finiteMatrix, gatherCols, gatherRows, loraScaling, outDType, posInt, posNumber, resolveSvdOptions, SVD_KEYS } from './common';
import { Plan, runAsync, runSync } from './runner';
import { spectralReport, truncatedSvd } from './spectrum';

function* plan(G: Tensor, config: LoraOneConfig): Plan<LoraInitResult> {
  configObject(config, 'initLoraOne', LORA_ONE_KEYS);
  finiteMatrix(G, 'initLoraOne G');
  const r = posInt(config.rank, 'initLoraOne rank');
  const alpha = posNumber(config.alpha, 'initLoraOne alpha');
  const gamma = config.gamma === undefined ? 128 : posNumber(config.gamma, 'initLoraOne gamma');
  const { svd: method, seed, oversample, powerIters, precision, gapTolerance } =
    resolveSvdOptions(config, 'initLoraOne', { svd: 'randomized', oversample: 3 * r });
  const dtype = outDType(config.dtype, G.dtype === 'f64' ? 'f64' : 'f32', 'initLoraOne dtype');
  const [out, inF] = G.shape;
  checkRank(r, out, inF, 1, 'initLoraOne');
  const s = loraScaling(alpha, r, config.rsLora !== false);

  const res = yield* truncatedSvd(G, { method, k: r + 1, q: r + oversample, powerIters, seed, precision });
  try {
    let report: SpectralReport | undefined;
    if (!config.noReport)
      report = yield* spectralReport(G, res, { method, r, used: r, gaps: ['r'], gapTolerance, name: 'G' });
    const S = res.S.toFloat64();
    if (!(S[0] > 0)) throw new LoraValueError(`initLoraOne: the gradient ${fmt(G)} is zero; there is no direction to align with`);
    const sq = Array.from(S, (x) => Math.sqrt(Math.max(x, 0)));
    const f = 1 / (Math.sqrt(gamma) * (config.normalize === false ? 1 : Math.sqrt(S[0])));
    const idx = Array.from({ length: r }, (_, i) => i);
    // SVD of −G: same singular values and V, U negated — folded into B's factor.
    const B = Tensor.fromFloat64(gatherCols(res.U, idx, -f, sq), [out, r], dtype);
    const A = Tensor.fromFloat64(gatherRows(res.Vt, idx, f, sq), [r, inF], dtype);
    return { A, B, W: null, scaling: s, report };
  } finally {
    res.U.dispose(); res.S.dispose(); res.Vt.dispose();
  }
}

/** Every option this init takes: any other key is a LoraValueError. */
export const LORA_ONE_KEYS: readonly string[] = ['rank', 'alpha', 'gamma', 'normalize', 'rsLora', ...SVD_KEYS];

export function initLoraOne(G: Tensor, config: LoraOneConfig): LoraInitResult {
  return runSync(plan(G, config));
}

export function initLoraOneAsync(G: Tensor, config: LoraOneConfig, options: { signal?: AbortSignal } = {}): Promise<LoraInitResult> {
  return runAsync(plan(G, config), options.signal, () => new LoraAbortError('initLoraOne: aborted'));
}

export function loraOneStepSize(config: { alpha: number; rank: number; gamma?: number; rsLora?: boolean }, sigma1: number, normalize = true): number {
  const s = loraScaling(config.alpha, config.rank, config.rsLora !== false);
  if (!(sigma1 > 0)) throw new LoraShapeError('loraOneStepSize: sigma1 must be positive');
  return s / ((config.gamma ?? 128) * (normalize ? sigma1 : 1));
}
