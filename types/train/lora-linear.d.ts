/**
 * LoraLinear: a Linear layer with frozen W [out, in] and trainable A [r, in], B [out, r]:
 *   y = x·Wᵀ + s·(drop(x)·Aᵀ)·Bᵀ,   s = α/r (or α/√r with rsLoRA)
 * forward() keeps what backward() needs (x, h = drop(x)·Aᵀ, the dropout mask); backward(dY) returns dX and writes
 * A.grad and B.grad. Without dropout both passes are the fused ops (loraForward/loraBackward); with dropout the
 * LoRA branch sees the masked input, as in PEFT. merge() folds s·B·A into W (in place) for inference; unmerge()
 * takes it out again. Works on whatever device the tensors live on, through the ops; dropout's mask is host-only.
 */
import { Tensor } from '../tensor';
import { Param } from './param';
export interface LoraLinearOptions {
    /** LoRA alpha (default: rank, i.e. s = 1 without rsLoRA). */
    alpha?: number;
    /** Scale s = α/√r instead of α/r. */
    rsLora?: boolean;
    /** Use exactly this s (what an init function reports as `scaling`); overrides alpha/rsLora. */
    scale?: number;
    /** Dropout probability on the LoRA branch's input (default 0). */
    dropout?: number;
    /** Seed of the dropout masks (each training forward draws the next one). */
    seed?: number;
    /** Layer name (used for the parameters' names and exports). */
    name?: string;
}
export interface LoraBackwardOpts {
    /** Compute dX (default true; false for a first layer). */
    needDx?: boolean;
    /** Add to existing A.grad/B.grad instead of overwriting (gradient accumulation over micro-batches). */
    accumulate?: boolean;
}
/** Scale s of a LoRA layer: α/r, or α/√r with rsLoRA. */
export declare function loraScale(rank: number, alpha: number, rsLora?: boolean): number;
export declare class LoraLinear {
    readonly W: Tensor;
    readonly A: Param;
    readonly B: Param;
    readonly scale: number;
    readonly rank: number;
    readonly dropout: number;
    readonly name: string;
    /**
     * (A₀, B₀) of an init that offset W (LoRA-GA, PiSSA: W here is W' = W − s·B₀·A₀), kept so that an export can be
     * expressed against the original W (see exportPeftAdapter). Null for inits that leave W unchanged.
     */
    initial: {
        A: Tensor;
        B: Tensor;
    } | null;
    /** Dropout is applied only while training. */
    training: boolean;
    private _merged;
    private _saved;
    private _seed;
    private _draws;
    constructor(W: Tensor, A: Tensor, B: Tensor, options?: LoraLinearOptions);
    /** A layer from an init result ({A, B, W, scaling}): W is the init's offset base W' when it has one, else `W`. */
    static fromInit(W: Tensor, init: {
        A: Tensor;
        B: Tensor;
        W?: Tensor | null;
        scaling: number;
    }, options?: Omit<LoraLinearOptions, 'scale' | 'alpha' | 'rsLora'>): LoraLinear;
    get merged(): boolean;
    parameters(): Param[];
    /** Restart the dropout mask sequence (e.g. to replay a forward pass exactly). */
    seedDropout(seed: number): void;
    /** y = x·Wᵀ + s·(drop(x)·Aᵀ)·Bᵀ for x [..., in]. Keeps x (not copied: do not modify it before backward). */
    forward(x: Tensor): Tensor;
    /** Gradients of the last forward: returns dX (null when needDx is false); sets A.grad = dA, B.grad = dB. */
    backward(dY: Tensor, options?: LoraBackwardOpts): Tensor | null;
    zeroGrad(): void;
    /** W ← W + s·B·A (in place). Forward then runs as a plain Linear; backward is refused until unmerge(). */
    merge(): void;
    /** W ← W − s·B·A: undoes merge() (up to rounding in W's dtype). */
    unmerge(): void;
    /** The effective weight W + s·B·A as a new tensor (W untouched). */
    effectiveWeight(): Tensor;
}
