import { Tensor } from '../tensor';
export interface AdamWHyper {
    lr: number;
    beta1?: number;
    beta2?: number;
    eps?: number;
    weightDecay?: number;
    /** 1-based step count used for bias correction. */
    step: number;
}
export interface SgdHyper {
    lr: number;
    momentum?: number;
    weightDecay?: number;
}
/** One AdamW step on `p` (in place), updating its moments `m` and `v` (in place). Returns p. */
export declare function adamwStep(p: Tensor, g: Tensor, m: Tensor, v: Tensor, hp: AdamWHyper): Tensor;
/** One SGD step on `p` (in place); `buf` is the momentum buffer (null: plain SGD). Returns p. */
export declare function sgdStep(p: Tensor, g: Tensor, buf: Tensor | null, hp: SgdHyper): Tensor;
