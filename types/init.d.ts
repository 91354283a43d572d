/*
 * Adapter inits of one Linear layer W [out, in]: plain LoRA (kaiming A, zero B), LoRA-GA and LoRA-One (from the
 * layer's one-step gradient G) and PiSSA (from W's own spectrum). Each returns A [r, in], B [out, r], the scaling s,
 * and the offset base W' = W − s·B·A when the init changes W.
 */
import type { DType } from './dtype';
import type { Tensor } from './tensor';

/** SVD and output options common to the SVD-based inits; each init's config documents its own defaults. */
export interface InitSvdOptions {
  /**
   * 'exact' (LAPACK gesdd), 'randomized' (range finder + power iterations) or 'krylov' (randomized block Krylov:
   * blocks as wide as the directions used, one per iteration, all kept; more of the top energy from no more products
   * of the matrix, see svd's SvdMethod).
   */
  svd?: 'exact' | 'randomized' | 'krylov';
  /** Seed of the randomized / Krylov SVD's test matrix (and of LoRA-GA's 'random' direction). Default 0. */
  seed?: number;
  /** Randomized / Krylov SVD: columns of the test matrix beyond the directions the init uses (Krylov's default 0). */
  oversample?: number;
  /** Randomized SVD: power iterations; Krylov: blocks after the first (default 4). */
  powerIters?: number;
  /** dtype of A and B. */
  dtype?: DType;
  /** SVD precision (default 'f32'; 'f64' for a float64 reference). */
  precision?: 'f32' | 'f64';
  /** Relative singular-value gap below which the report warns (default 1e-3). */
  gapTolerance?: number;
  /** Skip the spectral report. Default false. */
  noReport?: boolean;
}

/** InitSvdOptions validated, with the init's defaults filled in (dtype is resolved by each init). */
export interface ResolvedSvdOptions {
  svd: 'exact' | 'randomized' | 'krylov';
  seed: number;
  oversample: number;
  powerIters: number;
  precision: 'f32' | 'f64';
  gapTolerance: number;
}

/** Spectrum of the matrix an init factorised (G for LoRA-GA, W for PiSSA), to judge whether the init is stable. */
export interface SpectralReport {
  /**
   * 'exact' (LAPACK gesdd), 'randomized' (range finder, q columns, power iterations) or 'sketch' (initAdapters'
   * streaming sketch of G: G itself was never formed).
   */
  method: 'exact' | 'randomized' | 'krylov' | 'sketch';
  /** Leading singular values σ₁ ≥ σ₂ ≥ … (σ₁…σ₂ᵣ₊₁ for LoRA-GA, where the matrix has that many). */
  sigma: number[];
  /** Relative gap (σᵣ − σᵣ₊₁)/σᵣ: how well the split after the r-th direction is determined. */
  gapR: number;
  /** Relative gap (σ₂ᵣ − σ₂ᵣ₊₁)/σ₂ᵣ (NaN when σ₂ᵣ₊₁ does not exist). */
  gap2R: number;
  /** Smallest relative gap between consecutive σᵢ among those used (matters for the interleaved ArBr direction). */
  minGap: number;
  /** Σᵢ≤k σᵢ² / ‖M‖²_F for the k directions the init draws from (2r for LoRA-GA, r for PiSSA). */
  energy: number;
  /** Randomized SVD only: max over the k triplets of √(‖M·vᵢ − σᵢuᵢ‖² + ‖Mᵀuᵢ − σᵢvᵢ‖²)/σ₁, a posteriori error. */
  tripletResidual?: number;
  /**
   * Sketch only: estimated ‖G − Ĝ‖_F/‖G‖_F of the rank-k approximation the init draws from (k = 2r for LoRA-GA), from
   * Gaussian probes that never entered the approximation; `energy` is then an estimate too.
   */
  errorEstimate?: number;
  /** Sketch only: passes over the batches (1: streaming). */
  passes?: number;
  /** Human-readable warnings (small gaps, poor randomized accuracy). Empty when all is well. */
  warnings: string[];
}

/** What every init returns. */
export interface LoraInitResult {
  /** [r, in] */
  A: Tensor;
  /** [out, r] */
  B: Tensor;
  /** The offset base W' = W − s·B·A in W's dtype; null when the init leaves W unchanged (plain LoRA). */
  W: Tensor | null;
  /** s = α/r (or α/√r with rsLora). */
  scaling: number;
  /** The spectrum of the factorised matrix (SVD-based inits, unless noReport). */
  report?: SpectralReport;
  /** True when W' is in the [in, out] layout (fanInFanOut); LoraLinear.fromInit transposes it to [out, in]. */
  fanInFanOut?: boolean;
}

/** Config of initLora. */
export interface LoraInitConfig {
  rank: number;
  alpha: number;
  /** Default 0. */
  seed?: number;
  rsLora?: boolean;
  /** dtype of A and B (default f32). */
  dtype?: DType;
}

/**
 * Plain LoRA init as PEFT does it (init_lora_weights=True): A ~ kaiming_uniform_(a=√5), i.e. uniform on
 * [−1/√in, 1/√in], and B = 0, so W is left unchanged (W: null).
 */
export declare function initLora(out: number, inF: number, config: LoraInitConfig): LoraInitResult;

/** Which of the top 2r singular directions go to A and to B (PEFT's names). */
export type LoraGADirection = 'ArBr' | 'A2rBr' | 'ArB2r' | 'random';
/**
 * How A and B are scaled, by the name each convention's code uses. PEFT ('peft'): 'stable', 'weight_svd',
 * 'gd_scale', 'unit'. The official repository ('official'): 'stable', 'weightS', 'gd', 'unit'. 'gd_scale' and 'gd'
 * are the same rule (A/s, B/s); a name of the other convention is a LoraValueError.
 */
export type LoraGAScale = 'stable' | 'weight_svd' | 'gd_scale' | 'unit' | 'weightS' | 'gd';
/**
 * 'peft' (Hugging Face PEFT 0.21): B carries diag(S) of its directions; 'stable' scales B only by out^¼/√γ;
 * 'weight_svd' scales B by σ₁(W)/S_B[0] (S_B[0]: the singular value of B's first direction);
 * 'random' draws one index set of r from the top 2r and uses it for both A and B.
 * 'official' (github.com/Outsider565/LoRA-GA): no diag(S); 'stable' scales A and B by out^¼/√γ;
 * 'weightS' scales A and B by mean_{i<r} √(σᵢ(W)/s); 'random' draws disjoint index sets for A and B from a
 * permutation of the top 2r.
 */
export type LoraGAConvention = 'peft' | 'official';
/** Every LoraGADirection. */
export declare const LORAGA_DIRECTIONS: readonly LoraGADirection[];
/** Every LoraGAScale (both conventions' names). */
export declare const LORAGA_SCALES: readonly LoraGAScale[];
/** The scales each convention accepts. */
export declare const LORAGA_SCALES_BY_CONVENTION: Readonly<Record<LoraGAConvention, readonly LoraGAScale[]>>;

/**
 * Config of initLoraGA. SVD defaults (InitSvdOptions): 'randomized' with q = 4r columns (oversample 2r beyond the
 * 2r directions) and 4 power iterations, as PEFT's torch.svd_lowrank call; dtype of A and B defaults to f32 (f64 for
 * an f64 W), as the official code keeps them, and W' is formed from those unrounded A and B; noReport saves, for
 * randomized SVD, the two GEMMs of the residual check. An option not listed here is a LoraValueError.
 */
export interface LoraGAConfig extends InitSvdOptions {
  rank: number;
  /** lora_alpha: s = α/r (α/√r with rsLora). */
  alpha: number;
  /** Default 'ArB2r' (PEFT's LoraGAConfig default). */
  direction?: LoraGADirection;
  /** Default 'stable'. Names per convention: see LoraGAScale. */
  scale?: LoraGAScale;
  /** stable_gamma γ, default 16. */
  gamma?: number;
  /** Default 'peft'. */
  convention?: LoraGAConvention;
  rsLora?: boolean;
  /**
   * W (and G) are stored [in, out], as transformers' Conv1D (GPT-2) does: PEFT's `fan_in_fan_out: true`. A and B
   * are still [r, in] / [out, r] (PEFT's lora_A / lora_B); W' comes back in W's layout. Default false ([out, in]).
   */
  fanInFanOut?: boolean;
}

/** LoraGAConfig validated, with every default filled in. */
export interface ResolvedLoraGAConfig extends ResolvedSvdOptions {
  rank: number;
  alpha: number;
  direction: LoraGADirection;
  scale: LoraGAScale;
  gamma: number;
  convention: LoraGAConvention;
  rsLora: boolean;
  fanInFanOut: boolean;
}

/** Fills defaults and validates (throws LoraValueError naming the bad field). */
export declare function resolveLoraGAConfig(config: LoraGAConfig): ResolvedLoraGAConfig;
/** Which of the top 2r directions go to A (rows of Vᵀ) and to B (columns of U). */
export declare function loraGAIndices(direction: LoraGADirection, r: number, convention: LoraGAConvention, seed: number): { a: number[]; b: number[] };
/**
 * LoRA-GA init (Wang et al. 2024) of one Linear layer: W [out, in] (f32/bf16/f16/f64) and its gradient G [out, in]
 * ([in, out] both, with fanInFanOut).
 * A and B come from the top 2r singular directions of G so that the first LoRA step approximates a full fine-tuning
 * step; W is offset by s·B·A so the adapted layer's output is unchanged at step 0.
 */
export declare function initLoraGA(W: Tensor, G: Tensor, config: LoraGAConfig): LoraInitResult;
/** As initLoraGA, with the SVD and GEMMs off the main thread; `signal` cancels between steps (LoraAbortError). */
export declare function initLoraGAAsync(W: Tensor, G: Tensor, config: LoraGAConfig, options?: { signal?: AbortSignal }): Promise<LoraInitResult>;

/**
 * Config of initLoraOne. SVD defaults (InitSvdOptions): 'randomized' with oversample 3r beyond the r directions
 * (q = 4r) and 4 power iterations; dtype of A and B defaults to f64 for an f64 G, else f32.
 */
export interface LoraOneConfig extends InitSvdOptions {
  rank: number;
  /** lora_alpha: s = α/√r with rsLora (default), α/r without. */
  alpha: number;
  /** γ (the official stable_gamma; default 128, the README's runs). */
  gamma?: number;
  /** Divide A₀ and B₀ by √σ₁ (the official code). Default true. */
  normalize?: boolean;
  /** Default true (the official runs). */
  rsLora?: boolean;
}

/**
 * LoRA-One init (Zhang, Liu & Chen 2025) of one Linear layer from its gradient G [out, in]: from −G = U·diag(S)·Vᵀ,
 * B₀ = U_r·diag(√S_r)/(√γ·c), A₀ = diag(√S_r)·V_rᵀ/(√γ·c), c = √σ₁ when `normalize`. W is not offset (W: null):
 * W + s·B₀·A₀ is one best-rank-r gradient step on W (see loraOneStepSize).
 */
export declare function initLoraOne(G: Tensor, config: LoraOneConfig): LoraInitResult;
/** initLoraOne off the main thread; `signal` cancels between steps (LoraAbortError). */
export declare function initLoraOneAsync(G: Tensor, config: LoraOneConfig, options?: { signal?: AbortSignal }): Promise<LoraInitResult>;
/** The learning rate η of the gradient step the init equals: W + s·B₀·A₀ = W − η·[G]_r. */
export declare function loraOneStepSize(config: { alpha: number; rank: number; gamma?: number; rsLora?: boolean }, sigma1: number, normalize?: boolean): number;

/**
 * Config of initPiSSA. SVD defaults (InitSvdOptions): 'exact' (PEFT's init_lora_weights="pissa"; 'randomized' is
 * PEFT's "pissa_niter_N"), oversample r beyond the r directions (PEFT's pissa_niter_N uses none, i.e. 0), 4 power
 * iterations; dtype of A and B defaults to f32 (f64 for an f64 W).
 */
export interface PiSSAConfig extends InitSvdOptions {
  rank: number;
  alpha: number;
  rsLora?: boolean;
  /** W is stored [in, out] (Conv1D, PEFT's fan_in_fan_out); W' comes back in that layout. Default false. */
  fanInFanOut?: boolean;
}

/**
 * PiSSA init (Meng et al. 2024) as PEFT does it: the top r singular triplets of W go to the adapter
 * (A = diag(√(S_r/s))·V_rᵀ, B = U_r·diag(√(S_r/s))) and the rest stays in the base W' = W − s·B·A.
 */
export declare function initPiSSA(W: Tensor, config: PiSSAConfig): LoraInitResult;
/** initPiSSA off the main thread; `signal` cancels between steps (LoraAbortError). */
export declare function initPiSSAAsync(W: Tensor, config: PiSSAConfig, options?: { signal?: AbortSignal }): Promise<LoraInitResult>;
