/**
 * The SVD path shared by the inits (LoRA-GA factorises the gradient G, PiSSA the weight W), and the spectral report
 * that says whether the chosen split of the spectrum is well determined.
 */
import { matmul, matmulAsync } from '../ops/matmul';
import type { SpectralReport } from '../../types/init';
import type { SvdOptions, SvdResult } from '../../types/ops/svd';
import { svd, svdAsync } from '../ops/svd';
import { Tensor } from '../tensor';
import { Plan, step } from './runner';

export interface SvdPathOptions {
  method: 'exact' | 'randomized' | 'krylov';
  /** Triplets wanted. */
  k: number;
  /** Randomized: total columns q of the range finder (k + oversample); Krylov: the block width (at least k). Capped at min(m, n). */
  q: number;
  powerIters: number;
  seed: number;
  /** Compute in f64 (slower; the exact reference) instead of f32. */
  precision: 'f32' | 'f64';
}

/** The svd() call truncatedSvd makes for M: its options and the dtype M is factored in (M converted first if need be). */
export function svdCall(M: Tensor, o: SvdPathOptions): { opts: SvdOptions; dtype: 'f32' | 'f64' } {
  const p = Math.min(M.shape[0], M.shape[1]);
  const k = Math.min(o.k, p);
  const opts: SvdOptions = o.method === 'exact'
    ? { k, method: 'exact' }
    : { k, method: o.method, oversample: Math.max(0, Math.min(o.q, p) - k), powerIters: o.powerIters, seed: o.seed };
  return { opts, dtype: o.precision === 'f64' ? 'f64' : 'f32' };
}

/** Top-k SVD of M by the chosen method (yields the heavy op). */
export function* truncatedSvd(M: Tensor, o: SvdPathOptions): Plan<SvdResult> {
  const { opts, dtype } = svdCall(M, o);
  const Mc = M.dtype === dtype ? M : M.to(dtype);
  const res = (yield step(() => svd(Mc, opts), () => svdAsync(Mc, opts))) as SvdResult;
  if (Mc !== M) Mc.dispose();
  return res;
}

/** ‖M‖²_F in float64, element-wise. */
export function frobenius2(M: Tensor): number {
  const d = M.dtype === 'f32' || M.dtype === 'f64' ? M.data : M.toFloat32();
  let acc = 0;
  for (let i = 0; i < d.length; i++) acc += d[i] * d[i];
  return acc;
}

export interface ReportOptions {
  method: 'exact' | 'randomized' | 'krylov' | 'sketch';
  /** Rank r of the adapter. */
  r: number;
  /** Directions the init draws from (2r for LoRA-GA, r for PiSSA). */
  used: number;
  /** Which gaps decide the init: the split at r, at 2r, and/or every consecutive pair among the used ones. */
  gaps: ('r' | '2r' | 'all')[];
  /** Relative gap below which we warn. */
  gapTolerance: number;
  /** What the matrix is, for messages ('G', 'W'). */
  name: string;
}

const relGap = (a: number, b: number) => (a > 0 ? (a - b) / a : 0);

/** Builds the report from M and its truncated SVD; for a randomized or Krylov SVD also measures the triplet residuals. */
export function* spectralReport(M: Tensor, res: SvdResult, o: ReportOptions): Plan<SpectralReport> {
  const report = gapReport(Array.from(res.S.toFloat64()), frobenius2(M), o);
  if (o.method === 'randomized' || o.method === 'krylov') report.tripletResidual = (yield* tripletResidual(M, res, o.used)) as number;
  residualWarnings(report, o);
  return report;
}

/**
 * The report of a sketched gradient (no G to measure): energy from the probes' ‖G‖_F estimate, and a warning where
 * the estimated error ‖G − Ĝ‖_F (≥ ‖G − Ĝ‖₂, so Wedin's bound applies) is not below the gap that decides the split.
 */
export function sketchReport(f: { S: Tensor; errorEstimate: number; normEstimate: number; passes: number }, o: ReportOptions): SpectralReport {
  const S = Array.from(f.S.toFloat64());
  const report = gapReport(S, f.normEstimate ** 2, o);
  report.energy = Math.min(1, report.energy); // an estimate: ‖G‖_F from the probes may fall below Σσᵢ²
  report.errorEstimate = f.errorEstimate;
  report.passes = f.passes;
  const err = f.errorEstimate * f.normEstimate;
  for (const i of [o.r, 2 * o.r]) {
    const gap = i < S.length ? S[i - 1] - S[i] : Infinity;
    if (i <= o.used && err >= gap)
      report.warnings.push(`${o.name}: the sketch cannot resolve the split after direction ${i}: estimated error ${err.toExponential(2)} ≥ gap σ${i} − σ${i + 1} = ${gap.toExponential(2)}: use a larger sketch size or more passes`);
  }
  return report;
}

function gapReport(S: number[], total: number, o: ReportOptions): SpectralReport {
  const { r, used } = o;
  const sigma = S.slice(0, Math.min(S.length, 2 * r + 1));
  const at = (i: number) => (i < S.length ? S[i] : NaN); // 0-based
  const gapR = S.length > r ? relGap(at(r - 1), at(r)) : NaN;
  const gap2R = S.length > 2 * r ? relGap(at(2 * r - 1), at(2 * r)) : NaN;
  let minGap = Infinity;
  for (let i = 0; i + 1 < Math.min(S.length, used + 1); i++) minGap = Math.min(minGap, relGap(S[i], S[i + 1]));
  if (!Number.isFinite(minGap)) minGap = NaN;
  let captured = 0;
  for (let i = 0; i < Math.min(used, S.length); i++) captured += S[i] * S[i];
  const report: SpectralReport = { method: o.method, sigma, gapR, gap2R, minGap, energy: total > 0 ? captured / total : NaN, warnings: [] };
  const w = report.warnings;
  const tol = o.gapTolerance;
  const check = (label: string, g: number, i: number) => {
    if (Number.isFinite(g) && g < tol)
      w.push(`${o.name}: σ${i} and σ${i + 1} are within a relative gap of ${g.toExponential(2)} (< ${tol}): the split after direction ${i} is ill-determined, so the init is not stable under small changes of ${o.name} (${label})`);
  };
  if (o.gaps.includes('r')) check('gap at r', gapR, r);
  if (o.gaps.includes('2r')) check('gap at 2r', gap2R, 2 * r);
  if (o.gaps.includes('all')) {
    for (let i = 0; i + 1 < Math.min(S.length, used + 1); i++) {
      const g = relGap(S[i], S[i + 1]);
      if (g < tol) { check('consecutive directions', g, i + 1); break; }
    }
  }
  if (S.length > 0 && S[0] === 0) w.push(`${o.name} is zero: every direction is arbitrary`);
  return report;
}

function residualWarnings(report: SpectralReport, o: ReportOptions): void {
  const { r, used } = o, S = report.sigma, w = report.warnings;
  const res2 = report.tripletResidual;
  if (res2 !== undefined && S.length > 0) {
    // Wedin: the computed singular subspaces on either side of the split after direction i are within
    // sin θ ≤ residual / (σᵢ − σᵢ₊₁) of the exact ones. The bound is loose (on small random models the measured
    // angle is 10–50× smaller), so warn only when it guarantees nothing (≥ 1): then the randomized SVD really
    // cannot tell which directions fall on which side.
    const absGap = (i: number) => (i < S.length ? S[i - 1] - S[i] : Infinity);
    for (const i of [r, 2 * r]) {
      const bound = (res2 * S[0]) / absGap(i);
      if (i <= used && bound >= 1)
        w.push(`${o.name}: randomized SVD cannot resolve the split after direction ${i}: residual ${(res2 * S[0]).toExponential(2)} ≥ gap σ${i} − σ${i + 1} = ${absGap(i).toExponential(2)} (bound sin θ ≤ ${bound.toFixed(2)}): use svd 'exact' or more power iterations`);
    }
  }
}

/**
 * max_i √(‖M·vᵢ − σᵢuᵢ‖² + ‖Mᵀuᵢ − σᵢvᵢ‖²) / σ₁ over the first `k` triplets of a randomized SVD. Its triplets come
 * from the SVD of B = QᵀM (uᵢ = Q·bᵢ, Bᵀbᵢ = σᵢvᵢ), so Mᵀuᵢ − σᵢvᵢ = Bᵀbᵢ − σᵢvᵢ is zero to rounding by
 * construction: only M·V is formed (one k-column product), not Mᵀ·U.
 */
function* tripletResidual(M: Tensor, res: SvdResult, k: number): Plan<number> {
  const Mf = M.dtype === res.U.dtype ? M : M.to(res.U.dtype);
  const MV = (yield step(() => matmul(Mf, res.Vt, { transB: true }), () => matmulAsync(Mf, res.Vt, { transB: true }))) as Tensor; // [m, kk]
  if (Mf !== M) Mf.dispose();
  const [m, kk] = res.U.shape;
  const U = res.U.data, S = res.S.data, a = MV.data;
  const kMax = Math.min(k, kk);
  const e = new Float64Array(kMax);
  for (let i = 0; i < m; i++) {
    const row = i * kk;
    for (let j = 0; j < kMax; j++) e[j] += (a[row + j] - S[j] * U[row + j]) ** 2;
  }
  MV.dispose();
  const worst = Math.sqrt(Math.max(0, ...e));
  return S[0] > 0 ? worst / S[0] : 0;
}
