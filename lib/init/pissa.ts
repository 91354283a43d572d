/**
 * PiSSA init (Meng et al. 2024) as PEFT does it: from W = U·diag(S)·Vᵀ, the top r triplets go to the adapter and
 * the rest stays in the base. With S_r' = S_r / s: A = diag(√S_r')·V_rᵀ, B = U_r·diag(√S_r'), so s·B·A = U_r S_r V_rᵀ,
 * and W' = W − s·B·A (the residual). Same SVD path as LoRA-GA (exact, or randomized with q = r + oversample).
 */
import { DType } from '../dtype';
import { LoraAbortError, LoraValueError } from '../errors';
import { Tensor } from '../tensor';
import { checkRank, finiteMatrix, gatherCols, gatherRows, loraScaling, nonNegInt, offsetBase, oneOf, outDType, posInt, posNumber } from './common';
import { Plan, runAsync, runSync } from './runner';
import { spectralReport, truncatedSvd } from './spectrum';
import { LoraInitResult, SpectralReport } from './types';

export interface PiSSAConfig {
  rank: number;
  alpha: number;
  /** Default 'exact' (PEFT's init_lora_weights="pissa"); 'randomized' is PEFT's "pissa_niter_N". */
  svd?: 'exact' | 'randomized';
  seed?: number;
  rsLora?: boolean;
  /** Randomized: columns beyond r (default r; PEFT's pissa_niter_N uses none, i.e. 0). */
  oversample?: number;
  /** Randomized: power iterations (default 4). */
  powerIters?: number;
  /** dtype of A and B (default W's). */
  dtype?: DType;
  precision?: 'f32' | 'f64';
  gapTolerance?: number;
  noReport?: boolean;
}

function* plan(W: Tensor, config: PiSSAConfig): Plan<LoraInitResult> {
  if (config === null || typeof config !== 'object') throw new LoraValueError('initPiSSA: config must be an object');
  finiteMatrix(W, 'initPiSSA W');
  const r = posInt(config.rank, 'initPiSSA rank');
  const alpha = posNumber(config.alpha, 'initPiSSA alpha');
  const method = oneOf(config.svd, ['exact', 'randomized'] as const, 'initPiSSA svd', 'exact');
  const precision = oneOf(config.precision, ['f32', 'f64'] as const, 'initPiSSA precision', 'f32');
  const dtype = outDType(config.dtype, W.dtype, 'initPiSSA dtype');
  const [out, inF] = W.shape;
  checkRank(r, out, inF, 1, 'initPiSSA');
  const s = loraScaling(alpha, r, !!config.rsLora);
  const p = Math.min(out, inF);
  // k = r + 1 (when it exists) so the report can show the gap after r.
  const k = Math.min(r + 1, p);
  const res = yield* truncatedSvd(W, {
    method, k, q: r + nonNegInt(config.oversample, 'initPiSSA oversample', r) + (k - r),
    powerIters: nonNegInt(config.powerIters, 'initPiSSA powerIters', 4), seed: nonNegInt(config.seed, 'initPiSSA seed', 0), precision,
  });
  try {
    let report: SpectralReport | undefined;
    if (!config.noReport)
      report = yield* spectralReport(W, res, { method, r, used: r, gaps: ['r'], gapTolerance: config.gapTolerance ?? 1e-3, name: 'W' });
    const S = res.S.toFloat64();
    const root = Array.from(S, (v) => Math.sqrt(Math.max(v, 0) / s));
    const idx = Array.from({ length: r }, (_, i) => i);
    const A = Tensor.fromFloat64(gatherRows(res.Vt, idx, 1, root), [r, inF], dtype);
    const B = Tensor.fromFloat64(gatherCols(res.U, idx, 1, root), [out, r], dtype);
    const Wp = yield* offsetBase(W, A, B, s);
    return { A, B, W: Wp, scaling: s, report };
  } finally {
    res.U.dispose(); res.S.dispose(); res.Vt.dispose();
  }
}

export function initPiSSA(W: Tensor, config: PiSSAConfig): LoraInitResult {
  return runSync(plan(W, config));
}

export function initPiSSAAsync(W: Tensor, config: PiSSAConfig, options: { signal?: AbortSignal } = {}): Promise<LoraInitResult> {
  return runAsync(plan(W, config), options.signal, () => new LoraAbortError('initPiSSA: aborted'));
}
