/**
 * svd: M ≈ U·diag(S)·Vᵀ with k triplets, singular values descending.
 * 'exact' → LAPACK gesdd (cuSOLVER on GPU); 'randomized' → Halko et al. range finder with power iterations
 * (the scheme of torch.svd_lowrank: q = k + oversample columns), deterministic for a given seed.
 * native.svd → Backend::svd → svdExact / randomizedSvd (composite.cc).
 */
import { computeDType } from '../dtype';
import { native } from '../native';
import { Tensor } from '../tensor';
import { LoraShapeError, LoraValueError } from '../errors';
import { fmt, intInRange, matrix, pending } from './check';

export type SvdMethod = 'exact' | 'randomized';

export interface SvdOptions {
  /** Number of singular triplets (1 ≤ k ≤ min(m, n)). Default min(m, n). */
  k?: number;
  method?: SvdMethod;
  /** Randomized: extra random columns beyond k. Default k (q = 2k). */
  oversample?: number;
  /** Randomized: power iterations. Default 4. */
  powerIters?: number;
  /** Randomized: seed of the Gaussian test matrix. Default 0. */
  seed?: number;
}

export interface SvdResult {
  U: Tensor;
  S: Tensor;
  Vt: Tensor;
}

function prepare(M: Tensor, o: SvdOptions) {
  matrix(M, 'svd M');
  const [m, n] = M.shape;
  const p = Math.min(m, n);
  if (p === 0) throw new LoraShapeError(`svd: M ${fmt(M)} is empty`);
  const k = o.k ?? p;
  if (!Number.isInteger(k) || k < 1 || k > p)
    throw new LoraShapeError(`svd: k = ${k} must be an integer in [1, min(m, n) = ${p}] for M ${fmt(M)}`);
  const method = o.method ?? 'exact';
  if (method !== 'exact' && method !== 'randomized') throw new LoraValueError(`svd: method must be 'exact' or 'randomized', got ${String(method)}`);
  const oversample = intInRange(o.oversample ?? k, 'svd oversample', 0, 1 << 30);
  const powerIters = intInRange(o.powerIters ?? 4, 'svd powerIters', 0, 100);
  const seed = intInRange(o.seed ?? 0, 'svd seed', 0, Number.MAX_SAFE_INTEGER);
  const dt = computeDType(M.dtype);
  const res: SvdResult = { U: Tensor.zeros([m, k], dt, M.device), S: Tensor.zeros([k], dt, M.device), Vt: Tensor.zeros([k, n], dt, M.device) };
  return { res, randomized: method === 'randomized', oversample, powerIters, seed };
}

export function svd(M: Tensor, options: SvdOptions = {}): SvdResult {
  const p = prepare(M, options);
  native.svd(M, p.res.U, p.res.S, p.res.Vt, p.randomized, p.oversample, p.powerIters, p.seed, false);
  return p.res;
}

export function svdAsync(M: Tensor, options: SvdOptions = {}): Promise<SvdResult> {
  const p = prepare(M, options);
  const { U, S, Vt } = p.res;
  return pending([M, U, S, Vt], () => native.svd(M, U, S, Vt, p.randomized, p.oversample, p.powerIters, p.seed, true), p.res);
}

/** Replaces A (m×n, m ≥ n) by the Q of its thin QR, in place. */
export function orthonormalize(A: Tensor): Tensor {
  matrix(A, 'orthonormalize A');
  if (A.shape[0] < A.shape[1]) throw new LoraShapeError(`orthonormalize: needs rows >= cols, got ${fmt(A)}`);
  native.orthonormalize(A, false);
  return A;
}
