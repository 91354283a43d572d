/** Pieces shared by the inits: option checks, the LoRA scaling s, row/column gathers, and the offset base W'. */
import { DType } from '../dtype';
import { Tensor } from '../tensor';
import { Plan } from './runner';
import { InitSvdOptions, ResolvedSvdOptions } from './types';
export declare function posInt(x: unknown, what: string): number;
export declare function posNumber(x: unknown, what: string): number;
export declare function nonNegInt(x: unknown, what: string, dflt: number): number;
export declare function oneOf<T extends string>(x: unknown, allowed: readonly T[], what: string, dflt: T): T;
export declare function outDType(x: unknown, dflt: DType, what: string): DType;
/** Validates the shared SVD options of an init (`what` names it in errors), filling the init's defaults. */
export declare function resolveSvdOptions(o: InitSvdOptions, what: string, dflt: {
    svd: 'exact' | 'randomized';
    oversample: number;
}): ResolvedSvdOptions;
/** PEFT's scaling: s = α/r, or α/√r with rsLoRA. */
export declare function loraScaling(alpha: number, r: number, rsLora: boolean): number;
/** A finite 2-D float weight/gradient. */
export declare function finiteMatrix(t: unknown, what: string): Tensor;
export declare function checkRank(r: number, out: number, inF: number, need: number, what: string): void;
/** Rows `idx` of a row-major [rows, cols] matrix, each row times f·scale[i] (scale optional), as float64. */
export declare function gatherRows(M: Tensor, idx: number[], f: number, scale?: ArrayLike<number>): Float64Array;
/** Columns `idx` of a row-major [rows, cols] matrix, column i times f·scale[idx[i]], as float64 [rows, idx.length]. */
export declare function gatherCols(M: Tensor, idx: number[], f: number, scale?: ArrayLike<number>): Float64Array;
/**
 * W' = W − s·B·A, accumulated in fp32 (f64 for an f64 W) from A and B as stored (already in their output dtype,
 * as PEFT does), then rounded once to W's dtype.
 */
export declare function offsetBase(W: Tensor, A: Tensor, B: Tensor, s: number): Plan<Tensor>;
