/** Option, result and report types shared by the adapter inits (LoRA, LoRA-GA, LoRA-One, PiSSA). */
import { DType } from '../dtype';
import { Tensor } from '../tensor';

/** SVD and output options common to the SVD-based inits; each init's config documents its own defaults. */
export interface InitSvdOptions {
  /** 'exact' (LAPACK gesdd) or 'randomized' (range finder + power iterations). */
  svd?: 'exact' | 'randomized';
  /** Seed of the randomized SVD's test matrix (and of LoRA-GA's 'random' direction). Default 0. */
  seed?: number;
  /** Randomized SVD: columns of the test matrix beyond the directions the init uses. */
  oversample?: number;
  /** Randomized SVD: power iterations (default 4). */
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
  svd: 'exact' | 'randomized';
  seed: number;
  oversample: number;
  powerIters: number;
  precision: 'f32' | 'f64';
  gapTolerance: number;
}

/** Spectrum of the matrix an init factorised (G for LoRA-GA, W for PiSSA), to judge whether the init is stable. */
export interface SpectralReport {
  /** 'exact' (LAPACK gesdd) or 'randomized' (range finder, q columns, power iterations). */
  method: 'exact' | 'randomized';
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
  /** Human-readable warnings (small gaps, poor randomized accuracy). Empty when all is well. */
  warnings: string[];
}

export interface LoraInitResult {
  /** [r, in] */
  A: Tensor;
  /** [out, r] */
  B: Tensor;
  /** The offset base W' = W − s·B·A in W's dtype; null when the init leaves W unchanged (plain LoRA). */
  W: Tensor | null;
  /** s = α/r (or α/√r with rsLora). */
  scaling: number;
  report?: SpectralReport;
}
