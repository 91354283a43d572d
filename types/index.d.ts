/**
 * loraga: native kernels for gradient-aligned LoRA — tensors on the host or the GPU, the ops (matmul, SVD, fused
 * LoRA forward/backward, optimizer steps), LoRA-GA / LoRA-One / PiSSA inits, training layers and optimizers, and
 * PEFT-compatible safetensors adapters. See README.md for the API tour.
 *
 * @packageDocumentation
 */
export * from './errors';
export * from './dtype';
export * from './tensor';
export * from './backends';
export * from './ops/matmul';
export * from './ops/grad-accumulate';
export * from './ops/svd';
export * from './ops/orthonormalize';
export * from './ops/lora';
export * from './ops/optim';
export * from './ops/solve';
export * from './io';
export * from './init';
export * from './init-model';
export * from './train';
export * from './optimizers';
export * from './peft';
