/**
 * Plain LoRA init as PEFT does it (init_lora_weights=True): A ~ kaiming_uniform_(a=√5), i.e. uniform on
 * [−1/√in, 1/√in] (gain √(2/(1+a²)) = 1/√3, bound = √3·gain/√fan_in), and B = 0, so W is left unchanged.
 */
import { DType } from '../dtype';
import { LoraInitResult } from './types';
export interface LoraInitConfig {
    rank: number;
    alpha: number;
    /** Default 0. */
    seed?: number;
    rsLora?: boolean;
    /** dtype of A and B (default f32). */
    dtype?: DType;
}
export declare function initLora(out: number, inF: number, config: LoraInitConfig): LoraInitResult;
