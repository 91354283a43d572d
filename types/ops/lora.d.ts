/*
 * The LoRA layer ops, W frozen:
 *   forward  y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ            (x [..., in], W [out, in], A [r, in], B [out, r])
 *   backward dX = dY·W + s·(dY·B)·A,  dA = s·(dY·B)ᵀ·x,  dB = s·dYᵀ·(x·Aᵀ)
 */
import type { DType } from '../dtype';
import type { Tensor } from '../tensor';

/** Options of loraForward. */
export interface LoraForwardOptions {
  /** Where to write y; allocated when omitted. */
  out?: Tensor;
  /** dtype of a newly allocated y (default f32, or f64 when every input is f64). */
  dtype?: DType;
  /** Keep h = x·Aᵀ ([T, r], f32) for the backward pass (saves one GEMM there). Default true. */
  saveH?: boolean;
}

/** y [..., out], and h = x·Aᵀ [T, r] (null when saveH is false). */
export interface LoraForwardResult {
  y: Tensor;
  h: Tensor | null;
}

/** Options of loraBackward. */
export interface LoraBackwardOptions {
  /** h = x·Aᵀ from the forward pass; recomputed when absent. */
  h?: Tensor | null;
  /** Compute dX (default true; false for a first layer). */
  needDx?: boolean;
  /** Write dX here instead of allocating. */
  dx?: Tensor;
  /** Write dA here instead of allocating. */
  dA?: Tensor;
  /** Write dB here instead of allocating. */
  dB?: Tensor;
}

/** The gradients: dX like x (null when needDx is false), dA [r, in], dB [out, r]. */
export interface LoraBackwardResult {
  dX: Tensor | null;
  dA: Tensor;
  dB: Tensor;
}

/** y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ in one call (fused on the GPU). */
export declare function loraForward(x: Tensor, W: Tensor, A: Tensor, B: Tensor, s: number, options?: LoraForwardOptions): LoraForwardResult;
/** loraForward off the main thread. */
export declare function loraForwardAsync(x: Tensor, W: Tensor, A: Tensor, B: Tensor, s: number, options?: LoraForwardOptions): Promise<LoraForwardResult>;
/** dX, dA and dB of the LoRA layer for the output gradient dY. */
export declare function loraBackward(dY: Tensor, x: Tensor, W: Tensor, A: Tensor, B: Tensor, s: number, options?: LoraBackwardOptions): LoraBackwardResult;
/** loraBackward off the main thread. */
export declare function loraBackwardAsync(dY: Tensor, x: Tensor, W: Tensor, A: Tensor, B: Tensor, s: number, options?: LoraBackwardOptions): Promise<LoraBackwardResult>;
