/**
 * The LoRA layer ops, W frozen:
 *   forward  y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ            (x [..., in], W [out, in], A [r, in], B [out, r])
 *   backward dX = dY·W + s·(dY·B)·A,  dA = s·(dY·B)ᵀ·x,  dB = s·dYᵀ·(x·Aᵀ)
 * native.loraForward/loraBackward → csrc/binding/lora.cc → Backend::loraForward/loraBackward →
 * csrc/composite/lora.cc (GEMMs), or fused on the GPU: csrc/cuda/lora.cc + lora.cu.
 */
import { DType } from '../dtype';
import { Tensor } from '../tensor';
export interface LoraForwardOptions {
    out?: Tensor;
    /** dtype of a newly allocated y (default f32, or f64 when every input is f64). */
    dtype?: DType;
    /** Keep h = x·Aᵀ ([T, r], f32) for the backward pass (saves one GEMM there). Default true. */
    saveH?: boolean;
}
export interface LoraForwardResult {
    y: Tensor;
    h: Tensor | null;
}
export interface LoraBackwardOptions {
    /** h = x·Aᵀ from the forward pass; recomputed when absent. */
    h?: Tensor | null;
    /** Compute dX (default true; false for a first layer). */
    needDx?: boolean;
    /** Write into these instead of allocating. */
    dx?: Tensor;
    dA?: Tensor;
    dB?: Tensor;
}
export interface LoraBackwardResult {
    dX: Tensor | null;
    dA: Tensor;
    dB: Tensor;
}
export declare function loraForward(x: Tensor, W: Tensor, A: Tensor, B: Tensor, s: number, options?: LoraForwardOptions): LoraForwardResult;
export declare function loraForwardAsync(x: Tensor, W: Tensor, A: Tensor, B: Tensor, s: number, options?: LoraForwardOptions): Promise<LoraForwardResult>;
export declare function loraBackward(dY: Tensor, x: Tensor, W: Tensor, A: Tensor, B: Tensor, s: number, options?: LoraBackwardOptions): LoraBackwardResult;
export declare function loraBackwardAsync(dY: Tensor, x: Tensor, W: Tensor, A: Tensor, B: Tensor, s: number, options?: LoraBackwardOptions): Promise<LoraBackwardResult>;
