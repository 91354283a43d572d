export type BackendName = 'cpu' | 'cuda';
export type BackendChoice = BackendName | 'auto';
export interface BackendInfo {
    name: BackendName;
    available: boolean;
    /** Why it is unavailable, or what was found. */
    reason: string;
    deviceName: string;
    details: string;
}
/** Every backend with whether it is usable here and why (not). */
export declare function backends(): BackendInfo[];
/** Resolves 'auto' to 'cuda' when a GPU is usable, else 'cpu'; throws LoraBackendError for an unusable choice. */
export declare function resolveBackend(choice?: BackendChoice): BackendName;
/**
 * Lets f32 GEMMs on the GPU use TF32 tensor cores (about 10 mantissa bits per input product, fp32 accumulation):
 * off by default, as in PyTorch. LoraBackendError when CUDA is unavailable. The CPU backend is unaffected.
 */
export declare function setAllowTf32(enabled: boolean): void;
