import { Tensor } from '../tensor';
import { GradientEstimator } from './estimator';
import { LoraGAConfig } from './loraga';
import { LoraInitResult } from './types';
/** Weights by module name: a plain record, or a loader called once per module (e.g. over a SafetensorsFile). */
export type ModelWeights = Record<string, Tensor> | {
    names: string[];
    load(name: string): Tensor | Promise<Tensor>;
};
/** Gradients by module name: a GradientEstimator, a record of ready G, or a loader. Not needed for 'pissa'/'lora'. */
export type GradientSource = GradientEstimator | Record<string, Tensor> | {
    load(name: string): Tensor | Promise<Tensor>;
} | null;
export interface InitProgress {
    /** 'start' before a module, 'done' after it. */
    phase: 'start' | 'done';
    module: string;
    /** 1-based position and total. */
    index: number;
    total: number;
    /** Seconds since initAdapters began. */
    seconds: number;
    /** The module's result, on 'done'. */
    result?: LoraInitResult;
}
export interface InitAdaptersConfig extends LoraGAConfig {
    /** 'loraga' (default), 'pissa' (from W alone) or 'lora' (kaiming A, zero B). */
    method?: 'loraga' | 'pissa' | 'lora';
    /** Modules to initialise (default: every module of `model`). */
    targets?: string[];
    signal?: AbortSignal;
    onProgress?: (e: InitProgress) => void;
    /** Receives each module's result as soon as it is ready (e.g. to write it out); awaited before the next module. */
    onModule?: (name: string, result: LoraInitResult) => void | Promise<void>;
    /** Keep results in the returned record (default true; false with onModule for bounded memory). */
    keepResults?: boolean;
    /** Release each module's estimator accumulator once used (default false). */
    releaseGradients?: boolean;
}
export interface InitAdaptersResult {
    modules: Record<string, LoraInitResult>;
    seconds: number;
}
export declare function initAdapters(model: ModelWeights, estimate: GradientSource, config: InitAdaptersConfig): Promise<InitAdaptersResult>;
