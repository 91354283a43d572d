/**
 * svd: M ≈ U·diag(S)·Vᵀ with k triplets, singular values descending.
 * 'exact' → LAPACK gesdd (cuSOLVER on GPU); 'randomized' → Halko et al. range finder with power iterations
 * (the scheme of torch.svd_lowrank: q = k + oversample columns); 'krylov' → randomized block Krylov (Musco & Musco:
 * the same products, all of the Krylov space kept). Deterministic for a given seed.
 * native.svd / svdBatched → csrc/binding/svd.cc → Backend::svd / svdBatched → csrc/composite/svd.cc (randomized),
 * csrc/composite/block_krylov.cc (krylov),
 * csrc/cpu/svd.cc | csrc/cuda/svd.cc (exact), csrc/cpu/svd_batched.cc (a thread per core) | csrc/cuda/svd_batched.cc
 * (several streams).
 */
import type { SvdBatchedOptions, SvdOptions, SvdResult } from '../../types/ops/svd';
import { computeDType } from '../dtype';
import { native } from '../native';
import { Tensor } from '../tensor';
import { LoraBackendError, LoraShapeError, LoraValueError } from '../errors';
import { fmt, intInRange, matrix, options, pending } from './check';
import { str } from '../show';

/** The binding's method codes (csrc/backend.h SvdMethod): the index in this list. */
const SVD_METHODS: readonly unknown[] = ['exact', 'randomized', 'krylov'];

function prepare(M: Tensor, given: SvdOptions | undefined, what = 'svd M') {
  const o = options<SvdOptions>(given, what.replace(/ M.*$/, ''), ['k', 'method', 'oversample', 'powerIters', 'seed']);
  matrix(M, what);
  const [m, n] = M.shape;
  const p = Math.min(m, n);
  if (p === 0) throw new LoraShapeError(`svd: ${what.replace(/^svd /, '')} ${fmt(M)} is empty`);
  const k = o.k ?? p;
  if (!Number.isInteger(k) || k < 1 || k > p)
    throw new LoraShapeError(`svd: k = ${k} must be an integer in [1, min(m, n) = ${p}] for ${what.replace(/^svd /, '')} ${fmt(M)}`);
  const method = o.method ?? 'exact';
  const code = SVD_METHODS.indexOf(method);
  if (code < 0) throw new LoraValueError(`svd: method must be 'exact', 'randomized' or 'krylov', got ${str(method)}`);
  const oversample = intInRange(o.oversample ?? k, 'svd oversample', 0, 1 << 30);
  const powerIters = intInRange(o.powerIters ?? 4, 'svd powerIters', 0, 100);
  const seed = intInRange(o.seed ?? 0, 'svd seed', 0, Number.MAX_SAFE_INTEGER);
  const dt = computeDType(M.dtype);
  const res: SvdResult = { U: Tensor.zeros([m, k], dt, M.device), S: Tensor.zeros([k], dt, M.device), Vt: Tensor.zeros([k, n], dt, M.device) };
  return { res, method: code, oversample, powerIters, seed };
}

export function svd(M: Tensor, opts?: SvdOptions): SvdResult {
  const p = prepare(M, opts);
  native.svd(M, p.res.U, p.res.S, p.res.Vt, p.method, p.oversample, p.powerIters, p.seed, false);
  return p.res;
}

export function svdAsync(M: Tensor, opts?: SvdOptions): Promise<SvdResult> {
  const p = prepare(M, opts);
  const { U, S, Vt } = p.res;
  return pending(() => native.svd(M, U, S, Vt, p.method, p.oversample, p.powerIters, p.seed, true), p.res);
}

export function svdBatched(Ms: Tensor[], opts?: SvdBatchedOptions): SvdResult[] {
  const b = prepareBatch(Ms, opts);
  native.svdBatched(Ms, b.U, b.S, b.Vt, b.method, b.oversample, b.powerIters, b.seed, false);
  return b.res;
}

export function svdBatchedAsync(Ms: Tensor[], opts?: SvdBatchedOptions): Promise<SvdResult[]> {
  const b = prepareBatch(Ms, opts);
  return pending(() => native.svdBatched(Ms, b.U, b.S, b.Vt, b.method, b.oversample, b.powerIters, b.seed, true), b.res);
}

function prepareBatch(Ms: Tensor[], given: SvdBatchedOptions | undefined) {
  const o = options<SvdBatchedOptions>(given, 'svdBatched', ['k', 'method', 'oversample', 'powerIters', 'seed', 'seeds']);
  if (!Array.isArray(Ms) || Ms.length === 0) throw new LoraShapeError('svdBatched: expected a non-empty array of matrices');
  const { seeds: seedList, ...common } = o;
  const preps = Ms.map((M, i) => prepare(M, { ...common, seed: 0 }, `svdBatched M[${i}]`));
  let seed: number | number[];
  if (seedList !== undefined) {
    if (o.seed !== undefined) throw new LoraValueError('svdBatched: give seed (matrix i draws with seed + i) or seeds, not both');
    if (!Array.isArray(seedList) || seedList.length !== Ms.length)
      throw new LoraValueError(`svdBatched seeds: expected an array of ${Ms.length} seeds, one per matrix`);
    seed = seedList.map((s, i) => intInRange(s, `svdBatched seeds[${i}]`, 0, Number.MAX_SAFE_INTEGER));
  } else {
    seed = intInRange(o.seed ?? 0, 'svd seed', 0, Number.MAX_SAFE_INTEGER - Ms.length);
  }
  const dev = Ms[0].device;
  Ms.forEach((M, i) => {
    if (M.device !== dev) throw new LoraBackendError(`svdBatched: M[${i}] is on ${M.device}, M[0] on ${dev}`);
  });
  const res = preps.map((p) => p.res);
  const p0 = preps[0];
  return { res, U: res.map((r) => r.U), S: res.map((r) => r.S), Vt: res.map((r) => r.Vt), method: p0.method,
    oversample: p0.oversample, powerIters: p0.powerIters, seed };
}
