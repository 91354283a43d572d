/* Which compute backends this process can use, and the default one. */

/** A compute backend: the host (BLAS/LAPACK) or an NVIDIA GPU (cuBLAS/cuSOLVER). */
export type BackendName = 'cpu' | 'cuda';
/** A backend, or 'auto': 'cuda' when a GPU is usable, else 'cpu'. */
export type BackendChoice = BackendName | 'auto';

/** One backend as `backends()` reports it. */
export interface BackendInfo {
  /** Which backend. */
  name: BackendName;
  /** Whether it can be used in this process. */
  available: boolean;
  /** Why it is unavailable, or what was found. */
  reason: string;
  /** What does the work: the BLAS core (e.g. 'OpenBLAS Haswell') or the GPU's name. */
  deviceName: string;
  /** More about it: the BLAS build and thread count, or the GPU's compute capability, memory and library versions. */
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
