/** Result and report types shared by the adapter inits (LoRA, LoRA-GA, PiSSA). */
import { Tensor } from '../tensor';
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
