/*
 * solve: x = a⁻¹·b for a square a (n×n) and b (n×m), by LU with partial pivoting (LAPACK gesv on the CPU).
 * Used for the r×r systems of LoRA-One's preconditioner and LoRA-Pro's adjustment.
 */
import type { Tensor } from '../tensor';

/** Options of solve / solveAsync. */
export interface SolveOptions {
  /** Overwrite a (with its LU factors) and b (with x) instead of copying them. Default false. */
  inPlace?: boolean;
}

/**
 * Returns x with a·x = b (a new tensor unless `inPlace`, in which case it is b). a and b are f32 or f64 (the
 * same) on the same device. Singular a: LoraValueError.
 */
export declare function solve(a: Tensor, b: Tensor, options?: SolveOptions): Tensor;
/** solve off the main thread. */
export declare function solveAsync(a: Tensor, b: Tensor, options?: SolveOptions): Promise<Tensor>;
