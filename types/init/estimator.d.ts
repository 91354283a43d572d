import { Tensor } from '../tensor';
export declare class GradientEstimator {
    private readonly slots;
    private readonly dtype;
    /** `dtype`: accumulator precision, f32 (default, as PEFT) or f64. */
    constructor(options?: {
        dtype?: 'f32' | 'f64';
    });
    /** Registers a target module with its weight shape [out, in]. The accumulator is allocated on first use. */
    register(name: string, out: number, inF: number): this;
    get modules(): string[];
    shape(name: string): [number, number];
    /** Batches accumulated so far for `name`. */
    batches(name: string): number;
    private slot;
    private prepare;
    /** Adds one batch: X = the layer's input [tokens, in], dY = the gradient of its output [tokens, out]. */
    accumulate(name: string, X: Tensor, dY: Tensor): this;
    accumulateAsync(name: string, X: Tensor, dY: Tensor): Promise<this>;
    /** Supplies a ready gradient G [out, in] (e.g. from a framework's autograd) instead of batches. */
    setGradient(name: string, G: Tensor): this;
    /** The estimate G = (1/n)·Σ dYᵀ·X as a new tensor (or the ready gradient as given). */
    gradient(name: string): Tensor;
    /** Frees a module's accumulator (after its adapter is initialised) to bound memory. */
    release(name: string): void;
}
