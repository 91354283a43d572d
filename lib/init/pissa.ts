/**
 * PiSSA init (Meng et al. 2024) as PEFT does it: from W = U·diag(S)·Vᵀ, the top r triplets go to the adapter and
 * the rest stays in the base. With S_r' = S_r / s: A = diag(√S_r')·V_rᵀ, B = U_r·diag(√S_r'), so s·B·A = U_r S_r V_rᵀ,
 * and W' = W − s·B·A (the residual). Same SVD path as LoRA-GA (exact, or randomized with q = r + oversample).
 */
import type { LoraInitResult, PiSSAConfig, SpectralReport } from '../../types/init';
import { LoraAbortError } from '../errors';
import { Tensor } from '../tensor';
import {
  checkRank, configObject, finiteMatrix, gatherCols, gatherRows, loraScaling, offsetBase, outDType, posInt, posNumber,
  resolveSvdOptions, SVD_KEYS,
} from './common';
import { fanInFanOutOption, transpose2d } from './layout';
import { Plan, runAsync, runSync } from './runner';
import { spectralReport, truncatedSvd } from './spectrum';

function* plan(W0: Tensor, config: PiSSAConfig): Plan<LoraInitResult> {
  configObject(config, 'initPiSSA', PISSA_KEYS);
  finiteMatrix(W0, 'initPiSSA W');
  // A fan-in-fan-out (Conv1D) W is [in, out]: work on its transpose, hand W' back in the caller's layout.
  const ffo = fanInFanOutOption(config.fanInFanOut, 'initPiSSA');
  const W = ffo ? transpose2d(W0) : W0;
  const r = posInt(config.rank, 'initPiSSA rank');
  const alpha = posNumber(config.alpha, 'initPiSSA alpha');
  const { svd: method, seed, oversample, powerIters, precision, gapTolerance } =
    resolveSvdOptions(config, 'initPiSSA', { svd: 'exact', oversample: r });
  // f32 adapters (f64 for an f64 W) unless asked: LoraLinear trains f32/f64, and W' is formed from unrounded A, B.
  const dtype = outDType(config.dtype, W.dtype === 'f64' ? 'f64' : 'f32', 'initPiSSA dtype');
  const [out, inF] = W.shape;
  checkRank(r, out, inF, 1, 'initPiSSA');
  const s = loraScaling(alpha, r, !!config.rsLora);
  const p = Math.min(out, inF);
  // k = r + 1 (when it exists) so the report can show the gap after r.
  const k = Math.min(r + 1, p);
  const res = yield* truncatedSvd(W, {
    method, k, q: r + oversample + (k - r), powerIters, seed, precision,
  });
  try {
    let report: SpectralReport | undefined;
    if (!config.noReport)
      report = yield* spectralReport(W, res, { method, r, used: r, gaps: ['r'], gapTolerance, name: 'W' });
    const S = res.S.toFloat64();
    const root = Array.from(S, (v) => Math.sqrt(Math.max(v, 0) / s));
    const idx = Array.from({ length: r }, (_, i) => i);
    const A = Tensor.fromFloat64(gatherRows(res.Vt, idx, 1, root), [r, inF], dtype);
    const B = Tensor.fromFloat64(gatherCols(res.U, idx, 1, root), [out, r], dtype);
    const Wp = yield* offsetBase(W, A, B, s);
    if (!ffo) return { A, B, W: Wp, scaling: s, report };
    const WpT = transpose2d(Wp);
    Wp.dispose(); W.dispose();
    return { A, B, W: WpT, scaling: s, report, fanInFanOut: true };
  } finally {
    res.U.dispose(); res.S.dispose(); res.Vt.dispose();
  }
}

/** Every option this init takes: any other key is a LoraValueError. */
export const PISSA_KEYS: readonly string[] = ['rank', 'alpha', 'rsLora', 'fanInFanOut', ...SVD_KEYS];

export function initPiSSA(W: Tensor, config: PiSSAConfig): LoraInitResult {
  return runSync(plan(W, config));
}

export function initPiSSAAsync(W: Tensor, config: PiSSAConfig, options: { signal?: AbortSignal } = {}): Promise<LoraInitResult> {
  return runAsync(plan(W, config), options.signal, () => new LoraAbortError('initPiSSA: aborted'));
}
