import { Tensor } from '../tensor';
import { InitSvdOptions, LoraInitResult } from './types';
/**
 * SVD defaults (InitSvdOptions): 'exact' (PEFT's init_lora_weights="pissa"; 'randomized' is PEFT's "pissa_niter_N"),
 * oversample r beyond the r directions (PEFT's pissa_niter_N uses none, i.e. 0), 4 power iterations; dtype of A and B
 * defaults to W's.
 */
export interface PiSSAConfig extends InitSvdOptions {
    rank: number;
    alpha: number;
    rsLora?: boolean;
}
export declare function initPiSSA(W: Tensor, config: PiSSAConfig): LoraInitResult;
export declare function initPiSSAAsync(W: Tensor, config: PiSSAConfig, options?: {
    signal?: AbortSignal;
}): Promise<LoraInitResult>;
