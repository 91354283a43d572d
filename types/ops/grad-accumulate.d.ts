/*
 * gradAccumulate: G += scale·dYᵀ·X, the one-step gradient of a Linear layer (W: [out, in]) streamed batch by batch.
 * G is the fp32 (or f64) accumulator; dY and X may be f32/f64/bf16/f16.
 */
import type { Tensor } from '../tensor';

/** Options of gradAccumulate / gradAccumulateAsync. */
export interface GradAccumulateOptions {
  /** Multiplier, e.g. 1/nBatches to form a mean. Default 1. */
  scale?: number;
}

/** G += scale·dYᵀ·X in place (G [out, in] f32/f64, dY [T, out], X [T, in]); returns G. */
export declare function gradAccumulate(G: Tensor, dY: Tensor, X: Tensor, options?: GradAccumulateOptions): Tensor;
/** gradAccumulate off the main thread. */
export declare function gradAccumulateAsync(G: Tensor, dY: Tensor, X: Tensor, options?: GradAccumulateOptions): Promise<Tensor>;
