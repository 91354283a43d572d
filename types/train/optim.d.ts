/**
 * Optimizers over Params (LoRA's A and B, or any f32/f64 weight), each step one fused native pass per tensor:
 *   SGD (momentum, weight decay), AdamW (decoupled weight decay, bias correction), and LoRA+ (AdamW whose B
 *   matrices get lr·ratio; Hayou et al. 2024). Parameter groups carry their own lr / weightDecay.
 */
import { Tensor } from '../tensor';
import { Param } from './param';
export interface ParamGroup {
    params: Param[];
    /** Overrides the optimizer's lr for this group. */
    lr?: number;
    /** Overrides the optimizer's weight decay for this group. */
    weightDecay?: number;
}
interface Group {
    params: Param[];
    lr: number;
    weightDecay: number;
}
export declare abstract class Optimizer {
    readonly groups: Group[];
    /** Steps taken so far. */
    stepCount: number;
    protected constructor(params: Param[] | ParamGroup[], lr: number, weightDecay: number);
    /** Sets the first group's lr to `lr` and the others in proportion (keeps e.g. LoRA+'s B/A ratio). */
    setLr(lr: number): void;
    /** Applies one update to every param that has a gradient. */
    step(): void;
    zeroGrad(): void;
    protected abstract update(p: Param, grad: Tensor, g: Group): void;
}
export interface SgdOptions {
    lr: number;
    momentum?: number;
    weightDecay?: number;
}
export declare class SGD extends Optimizer {
    readonly momentum: number;
    private readonly buf;
    constructor(params: Param[] | ParamGroup[], o: SgdOptions);
    protected update(p: Param, grad: Tensor, g: Group): void;
}
export interface AdamWOptions {
    lr: number;
    betas?: [number, number];
    eps?: number;
    weightDecay?: number;
}
export declare class AdamW extends Optimizer {
    readonly betas: [number, number];
    readonly eps: number;
    private readonly state;
    constructor(params: Param[] | ParamGroup[], o: AdamWOptions);
    protected update(p: Param, grad: Tensor, g: Group): void;
}
export interface LoraPlusOptions extends AdamWOptions {
    /** lr_B / lr_A (the LoRA+ paper recommends 16 for most tasks). */
    ratio?: number;
}
/** LoRA+: AdamW with lr for every A and lr·ratio for every B. */
export declare function loraPlus(layers: {
    A: Param;
    B: Param;
}[], o: LoraPlusOptions): AdamW;
export {};
