/** loraga: native kernels for gradient-aligned LoRA. See README.md for the API tour. */
export * from './errors';
export { DTYPES, bytesPerElement } from './dtype';
export type { DType, Storage } from './dtype';
export { Tensor } from './tensor';
export type { Device, Shape, TensorSource, FromOptions } from './tensor';
export { matmul, matmulAsync } from './ops/matmul';
export type { MatmulOptions } from './ops/matmul';
export { gradAccumulate, gradAccumulateAsync } from './ops/grad';
export type { GradAccumulateOptions } from './ops/grad';
export { svd, svdAsync, svdBatched, svdBatchedAsync, orthonormalize } from './ops/svd';
export type { SvdOptions, SvdResult, SvdMethod } from './ops/svd';
export { loraForward, loraForwardAsync, loraBackward, loraBackwardAsync } from './ops/lora';
export type { LoraForwardOptions, LoraForwardResult, LoraBackwardOptions, LoraBackwardResult } from './ops/lora';
export { backends, resolveBackend, setAllowTf32 } from './backends';
export type { BackendInfo, BackendName, BackendChoice } from './backends';
