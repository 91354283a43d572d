/**
 * GradientSketch: a module's gradient G = mean over batches of dYᵀ·X ([out, in]) kept only as randomized sketches,
 * updated from each batch's (X, dY) without ever forming G (Tropp, Yurtsever, Udell & Cevher 2017/2019, single-pass
 * low-rank approximation with a core sketch). Memory O((in + out)·size) instead of out·in.
 *
 * One pass (streaming): range Y = G·Ω [out, k], co-range W = Υᵀ·G [k, in], core Z = Φᵀ·G·Ψ [s, s], then
 * Q = orth(Y), P = orth(Wᵀ), C = (ΦᵀQ)⁺·Z·((ΨᵀP)⁺)ᵀ and G ≈ Q·C·Pᵀ. With replayable batches, more passes sharpen it:
 * pass 2 forms Gᵀ·Q exactly (the randomized SVD without power iterations), each further pass one half power
 * iteration. Every pass also feeds a probe sketch E = G·Θ (t Gaussian columns, independent of the rest) that gives
 * an unbiased estimate of ‖G − Ĝ‖²_F = E‖(G − Ĝ)·θ‖² (Halko et al. 2011, §4.3): the reported error estimate.
 */
import type { SketchFactors, SketchOptions } from '../../types/init-model';
import { LoraValueError } from '../errors';
import { matmul, matmulAsync } from '../ops/matmul';
import { orthonormalize } from '../ops/orthonormalize';
import { MAX_SKETCH_SEED, sketchUpdate, sketchUpdateAsync } from '../ops/sketch-update';
import { solve } from '../ops/solve';
import { svd } from '../ops/svd';
import { Tensor } from '../tensor';
import { transpose2d } from './layout';
import { Plan, step } from './runner';
import { str } from '../show';

export interface ResolvedSketchOptions {
  size: number;
  coreSize: number;
  probes: number;
  passes: number;
  seed: number;
}

export function resolveSketchOptions(o: SketchOptions, out: number, inF: number, what: string): ResolvedSketchOptions {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new LoraValueError(`${what}: sketch must be an object ({ size, … })`);
  for (const k of Object.keys(o))
    if (!['size', 'coreSize', 'probes', 'passes', 'seed'].includes(k)) throw new LoraValueError(`${what}: unknown sketch option '${k}' (expected size, coreSize, probes, passes, seed)`);
  const int = (x: unknown, name: string, lo: number, hi: number, dflt?: number): number => {
    if (x === undefined && dflt !== undefined) return dflt;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi) throw new LoraValueError(`${what}: sketch ${name} must be an integer in [${lo}, ${hi}], got ${str(x)}`);
    return x;
  };
  const p = Math.min(out, inF);
  const size = int(o.size, 'size', 1, p);
  // Tropp et al. (2019) take s = 2k + 1 for the core: it must exceed k for the least-squares solves.
  const coreSize = int(o.coreSize, 'coreSize', size + 1, Number.MAX_SAFE_INTEGER, 2 * size + 1);
  return {
    size, coreSize,
    probes: int(o.probes, 'probes', 1, 1024, 10),
    passes: int(o.passes, 'passes', 1, 64, 1),
    seed: int(o.seed, 'seed', 0, MAX_SKETCH_SEED, 0),
  };
}

const gemm = (a: Tensor, b: Tensor, o: { transA?: boolean; transB?: boolean; out?: Tensor; beta?: number }) =>
  step(() => matmul(a, b, o), () => matmulAsync(a, b, o));

export class GradientSketch {
  readonly o: ResolvedSketchOptions;
  /** Passes completed, and batches in the current one. */
  pass = 1;
  batches = 0;
  private batchesOf: number[] = [];
  // Sketches; which exist depends on the pass. The test matrices Ω, Υ, Φ, Ψ, Θ are not kept: they are drawn again
  // from the seed (counter-based generator, so identical every time) when a batch or the reconstruction needs them,
  // which keeps the resident state to the sketches alone.
  private y: Tensor | null; private w: Tensor | null; private z: Tensor | null; private e: Tensor;
  /** Passes ≥ 2: the fixed basis this pass multiplies by (Q [out, k] or P [in, k]) and its product with G. */
  private basis: Tensor | null = null;
  private prod: Tensor | null = null;

  constructor(readonly out: number, readonly inF: number, o: ResolvedSketchOptions, private readonly dtype: 'f32' | 'f64') {
    this.o = o;
    const { size: k, coreSize: s, probes: t } = o;
    this.y = Tensor.zeros([out, k], dtype);
    this.e = Tensor.zeros([out, t], dtype);
    // The co-range and core sketches serve only the single-pass reconstruction.
    const single = o.passes === 1;
    this.w = single ? Tensor.zeros([k, inF], dtype) : null;
    this.z = single ? Tensor.zeros([s, s], dtype) : null;
  }

  /** Test matrix `which` (Ω [in, k], Υ [out, k], Φ [out, s], Ψ [in, s], Θ [in, t]), drawn from the seed. */
  private test(which: 'om' | 'ups' | 'phi' | 'psi' | 'th', dtype: 'f32' | 'f64' = this.dtype): Tensor {
    const { size: k, coreSize: s, probes: t, seed } = this.o;
    const spec = { om: [[this.inF, k], 1], ups: [[this.out, k], 2], phi: [[this.out, s], 3], psi: [[this.inF, s], 4], th: [[this.inF, t], 5] } as const;
    const [shape, i] = spec[which];
    return Tensor.randn([shape[0], shape[1]], dtype, 'cpu', seed * 8 + i);
  }

  /** Bytes held now (test matrices and sketches); 0 once disposed (GradientEstimator.release). */
  get bytes(): number {
    if (this.disposed) return 0;
    return [this.y, this.w, this.z, this.e, this.basis, this.prod]
      .reduce((a, t) => a + (t ? t.size * (this.dtype === 'f64' ? 8 : 4) : 0), 0);
  }

  get done(): boolean {
    return this.pass > this.o.passes;
  }

  /** Folds one batch (X [T, in], dY [T, out], 2-D) into the current pass's sketches. */
  *update(X: Tensor, dY: Tensor): Plan<void> {
    if (this.done) throw new LoraValueError(`sketch: all ${this.o.passes} pass(es) are complete; no more batches`);
    const tmp: Tensor[] = [];
    const keep = <T extends Tensor>(t: T) => (tmp.push(t), t);
    try {
      if (this.pass === 1) {
        // Y += dYᵀ·(X·Ω), E += dYᵀ·(X·Θ), and for one pass W += (dY·Υ)ᵀ·X, Z += (dY·Φ)ᵀ·(X·Ψ): one native op that
        // draws the test matrices (this.test's values) a block of columns at a time and frees its scratch on return.
        const s = { Y: this.y!, E: this.e, W: this.w, Z: this.z }, seed = this.o.seed;
        yield step(() => sketchUpdate(X, dY, seed, s), () => sketchUpdateAsync(X, dY, seed, s));
      } else if (this.pass % 2 === 0) {
        // prod = Gᵀ·Q [in, k]: += Xᵀ·(dY·Q)
        const dq = keep((yield gemm(dY, this.basis!, {})) as Tensor);
        yield gemm(X, dq, { transA: true, out: this.prod!, beta: 1 });
      } else {
        // prod = G·P [out, k]: += dYᵀ·(X·P)
        const xp = keep((yield gemm(X, this.basis!, {})) as Tensor);
        yield gemm(dY, xp, { transA: true, out: this.prod!, beta: 1 });
      }
      this.batches++;
    } finally {
      for (const t of tmp) t.dispose();
    }
  }

  /** Refuses a nextPass this sketch cannot take, changing nothing (GradientEstimator checks every module first). */
  checkNextPass(what: string): void {
    if (this.done) throw new LoraValueError(`${what}: all ${this.o.passes} pass(es) are already complete`);
    if (this.batches === 0) throw new LoraValueError(`${what}: no batches in pass ${this.pass}`);
  }

  /** Ends the current pass (the caller replays the same batches for the next one). */
  nextPass(what: string): void {
    this.checkNextPass(what);
    this.batchesOf.push(this.batches);
    this.batches = 0;
    this.pass++;
    if (this.done) return;
    // The next pass multiplies by a fixed orthonormal basis of what this pass produced: that sketch, orthonormalized
    // in place (CholeskyQR2, Householder when it is ill-conditioned), and the next product goes into the basis
    // before it, which has its shape (Q [out, k] and P [in, k] alternate): nothing is allocated after pass 2, so the
    // memory of a pass stays what the sketch holds.
    const src = this.pass === 2 ? this.y! : this.prod!;
    orthonormalize(src, { method: 'cholqr2' });
    const old = this.basis;
    this.basis = src;
    this.y = null;
    if (old) (old.data as Float32Array | Float64Array).fill(0);
    this.prod = old ?? Tensor.zeros([this.inF, this.o.size], this.dtype);
  }

  /** The low-rank factors of the mean gradient, k triplets, with the probe error estimate of the first `used`. */
  factors(used: number): SketchFactors {
    if (!this.done) throw new LoraValueError(`sketch: pass ${this.pass} of ${this.o.passes} is not finished (call nextPass() after each pass's batches)`);
    const f64 = (t: Tensor, scale = 1) => {
      const r = t.to('f64');
      if (scale !== 1) { const d = r.data; for (let i = 0; i < d.length; i++) d[i] *= scale; }
      return r;
    };
    const nb1 = 1 / this.batchesOf[0], nbLast = 1 / this.batchesOf[this.batchesOf.length - 1];
    let U: Tensor, S: Float64Array, Vt: Tensor;
    const p = this.o.passes;
    if (p === 1) {
      const Q = orthonormalize(f64(this.y!), { method: 'cholqr2' });
      const P = orthonormalize(transpose2d(f64(this.w!)), { method: 'cholqr2' });
      const Z = f64(this.z!, nb1);
      const PQ = matmul(this.test('phi', 'f64'), Q, { transA: true }); // Φᵀ·Q [s, k]
      const PP = matmul(this.test('psi', 'f64'), P, { transA: true }); // Ψᵀ·P [s, k]
      // C1 = (ΦᵀQ)⁺·Z by the normal equations (ΦᵀQ is a Gaussian block times an orthonormal one: well conditioned).
      const C1 = solve(matmul(PQ, PQ, { transA: true }), matmul(PQ, Z, { transA: true })); // [k, s]
      // C = C1·((ΨᵀP)⁺)ᵀ, i.e. Cᵀ = (PPᵀPP)⁻¹·PPᵀ·C1ᵀ
      const Ct = solve(matmul(PP, PP, { transA: true }), matmul(PP, C1, { transA: true, transB: true })); // [k, k]
      const sv = svd(transpose2d(Ct)); // C = Uc·Σ·Vcᵀ
      U = matmul(Q, sv.U);
      Vt = matmul(sv.Vt, P, { transB: true });
      S = sv.S.toFloat64();
    } else if (p % 2 === 0) {
      // prod = Gᵀ·Q·(batches): B = Qᵀ·G = prodᵀ, SVD(B) = Ub·Σ·Vᵀ, U = Q·Ub
      const sv = svd(transpose2d(f64(this.prod!, nbLast)));
      U = matmul(this.basis!.to('f64'), sv.U);
      Vt = sv.Vt;
      S = sv.S.toFloat64();
    } else {
      // prod = G·P: G ≈ G·P·Pᵀ, SVD(G·P) = U·Σ·Wᵀ, V = P·W
      const sv = svd(f64(this.prod!, nbLast));
      U = sv.U;
      Vt = matmul(sv.Vt, this.basis!.to('f64'), { transB: true });
      S = sv.S.toFloat64();
    }
    // Probe estimate: ‖G‖²_F ≈ ‖E‖²/t and ‖G − Ĝ_used‖²_F ≈ ‖E − Ĝ_used·Θ‖²/t (Ĝ_used: the first `used` triplets).
    const k = S.length, t = this.o.probes, u = Math.min(used, k);
    const E = f64(this.e, nb1).data;
    const VtTh = matmul(Vt, this.test('th', 'f64')).data; // [k, t]
    const Ud = U.data;
    let err = 0, norm = 0;
    for (let i = 0; i < this.out; i++)
      for (let j = 0; j < t; j++) {
        let g = 0;
        for (let q = 0; q < u; q++) g += Ud[i * k + q] * S[q] * VtTh[q * t + j];
        const e = E[i * t + j];
        err += (e - g) ** 2;
        norm += e * e;
      }
    let top = 0;
    for (let q = 0; q < u; q++) top += S[q] ** 2;
    return {
      U: U.to(this.dtype), S: Tensor.fromFloat64(S, [k], this.dtype), Vt: Vt.to(this.dtype),
      mode: p === 1 ? 'single-pass' : 'multi-pass', passes: p,
      errorEstimate: norm > 0 ? Math.sqrt(err / norm) : 0,
      energyEstimate: norm > 0 ? Math.min(1, top / (norm / t)) : NaN,
      normEstimate: Math.sqrt(norm / t),
      bytes: this.bytes,
    };
  }

  /** Released: its tensors are freed, so it can take no batch and give no factors. */
  disposed = false;

  dispose(): void {
    for (const t of [this.y, this.w, this.z, this.e, this.basis, this.prod]) t?.dispose();
    this.disposed = true;
  }
}
