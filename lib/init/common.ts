/** Pieces shared by the inits: option checks, the LoRA scaling s, row/column gathers, and the offset base W'. */
import type { DType } from '../../types/dtype';
import type { InitSvdOptions, ResolvedSvdOptions } from '../../types/init';
import { isDType } from '../dtype';
import { LoraDTypeError, LoraShapeError, LoraValueError } from '../errors';
import { matmul, matmulAsync } from '../ops/matmul';
import { fmt, knownKeys, matrix } from '../ops/check';
import { Tensor } from '../tensor';
import { Plan, step } from './runner';
import { showJson, str } from '../show';

/** The options every SVD-based init takes (InitSvdOptions). */
export const SVD_KEYS = ['svd', 'seed', 'oversample', 'powerIters', 'dtype', 'precision', 'gapTolerance', 'noReport'] as const;

/**
 * An init's config: a plain object whose keys are all known (a misspelt `powerIter` silently ignored would run
 * with a default the caller did not ask for).
 */
export function configObject(config: unknown, what: string, keys: readonly string[]): void {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new LoraValueError(`${what}: config must be an object`);
  knownKeys(config, keys, what);
}

/** The entries of `config` named in `keys` (what an init among others, e.g. in initAdapters, should see). */
export function pick<T extends object>(config: T, keys: readonly string[]): Partial<T> {
  return Object.fromEntries(Object.entries(config).filter(([k]) => keys.includes(k))) as Partial<T>;
}

export function posInt(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) throw new LoraValueError(`${what}: expected a positive integer, got ${str(x)}`);
  return x;
}

export function posNumber(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) throw new LoraValueError(`${what}: expected a positive finite number, got ${str(x)}`);
  return x;
}

/** A non-negative safe integer; undefined gives dflt, or is refused like any other value when there is no default. */
export function nonNegInt(x: unknown, what: string, dflt?: number): number {
  if (x === undefined && dflt !== undefined) return dflt;
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw new LoraValueError(`${what}: expected a non-negative integer, got ${str(x)}`);
  return x;
}

export function oneOf<T extends string>(x: unknown, allowed: readonly T[], what: string, dflt: T): T {
  if (x === undefined) return dflt;
  if (typeof x !== 'string' || !(allowed as readonly string[]).includes(x))
    throw new LoraValueError(`${what}: expected one of ${allowed.join(', ')}, got ${showJson(x)}`);
  return x as T;
}

export function outDType(x: unknown, dflt: DType, what: string): DType {
  if (x === undefined) return dflt;
  if (!isDType(x)) throw new LoraDTypeError(`${what}: unknown dtype ${showJson(x)}`);
  return x;
}

/** Validates the shared SVD options of an init (`what` names it in errors), filling the init's defaults. */
export function resolveSvdOptions(o: InitSvdOptions, what: string, dflt: { svd: 'exact' | 'randomized'; oversample: number }): ResolvedSvdOptions {
  const svd = oneOf(o.svd, ['exact', 'randomized', 'krylov'] as const, `${what} svd`, dflt.svd);
  return {
    svd,
    seed: nonNegInt(o.seed, `${what} seed`, 0),
    // Krylov's blocks are as wide as the directions wanted (its basis grows by a block per iteration instead).
    oversample: nonNegInt(o.oversample, `${what} oversample`, svd === 'krylov' ? 0 : dflt.oversample),
    powerIters: nonNegInt(o.powerIters, `${what} powerIters`, 4),
    precision: oneOf(o.precision, ['f32', 'f64'] as const, `${what} precision`, 'f32'),
    gapTolerance: o.gapTolerance === undefined ? 1e-3 : posNumber(o.gapTolerance, `${what} gapTolerance`),
  };
}

/** PEFT's scaling: s = α/r, or α/√r with rsLoRA. */
export function loraScaling(alpha: number, r: number, rsLora: boolean): number {
  return rsLora ? alpha / Math.sqrt(r) : alpha / r;
}

/** A finite 2-D float weight/gradient. */
export function finiteMatrix(t: unknown, what: string): Tensor {
  const m = matrix(t, what);
  if (m.size > 0 && !m.isFinite()) throw new LoraValueError(`${what}: ${fmt(m)} contains NaN or Inf`);
  return m;
}

export function checkRank(r: number, out: number, inF: number, need: number, what: string): void {
  if (need * r > Math.min(out, inF))
    throw new LoraShapeError(`${what}: rank ${r} needs ${need}·r = ${need * r} singular directions, but a [${out}, ${inF}] matrix has only ${Math.min(out, inF)}`);
}

/** Rows `idx` of a row-major [rows, cols] matrix, each row times f·scale[i] (scale optional), as float64. */
export function gatherRows(M: Tensor, idx: number[], f: number, scale?: ArrayLike<number>): Float64Array {
  const cols = M.shape[1], d = M.data;
  const out = new Float64Array(idx.length * cols);
  idx.forEach((row, i) => {
    const g = f * (scale ? scale[row] : 1);
    for (let j = 0; j < cols; j++) out[i * cols + j] = d[row * cols + j] * g;
  });
  return out;
}

/** Columns `idx` of a row-major [rows, cols] matrix, column i times f·scale[idx[i]], as float64 [rows, idx.length]. */
export function gatherCols(M: Tensor, idx: number[], f: number, scale?: ArrayLike<number>): Float64Array {
  const [rows, cols] = M.shape, d = M.data, k = idx.length;
  const out = new Float64Array(rows * k);
  const g = idx.map((c) => f * (scale ? scale[c] : 1));
  for (let i = 0; i < rows; i++) for (let j = 0; j < k; j++) out[i * k + j] = d[i * cols + idx[j]] * g[j];
  return out;
}

/**
 * W' = W − s·B·A, accumulated in fp32 (f64 for an f64 W) from A and B as stored (already in their output dtype,
 * as PEFT does), then rounded once to W's dtype.
 */
export function* offsetBase(W: Tensor, A: Tensor, B: Tensor, s: number): Plan<Tensor> {
  const acc = W.dtype === 'f64' ? W.clone() : W.to('f32');
  const o = { alpha: -s, beta: 1, out: acc };
  yield step(() => matmul(B, A, o), () => matmulAsync(B, A, o));
  if (acc.dtype === W.dtype) return acc;
  const out = acc.to(W.dtype);
  acc.dispose();
  return out;
}
