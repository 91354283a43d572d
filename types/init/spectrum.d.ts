import { SvdResult } from '../ops/svd';
import { Tensor } from '../tensor';
import { Plan } from './runner';
import { SpectralReport } from './types';
export interface SvdPathOptions {
    method: 'exact' | 'randomized';
    /** Triplets wanted. */
    k: number;
    /** Randomized: total columns q of the range finder (k + oversample); capped at min(m, n). */
    q: number;
    powerIters: number;
    seed: number;
    /** Compute in f64 (slower; the exact reference) instead of f32. */
    precision: 'f32' | 'f64';
}
/** Top-k SVD of M by the chosen method (yields the heavy op). */
export declare function truncatedSvd(M: Tensor, o: SvdPathOptions): Plan<SvdResult>;
/** ‖M‖²_F in float64, element-wise. */
export declare function frobenius2(M: Tensor): number;
export interface ReportOptions {
    method: 'exact' | 'randomized';
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
/** Builds the report from M and its truncated SVD; for randomized SVD also measures the triplet residuals. */
export declare function spectralReport(M: Tensor, res: SvdResult, o: ReportOptions): Plan<SpectralReport>;
