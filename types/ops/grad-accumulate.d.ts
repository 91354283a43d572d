import { Tensor } from '../tensor';
export interface GradAccumulateOptions {
    /** Multiplier, e.g. 1/nBatches to form a mean. Default 1. */
    scale?: number;
}
export declare function gradAccumulate(G: Tensor, dY: Tensor, X: Tensor, options?: GradAccumulateOptions): Tensor;
export declare function gradAccumulateAsync(G: Tensor, dY: Tensor, X: Tensor, options?: GradAccumulateOptions): Promise<Tensor>;
