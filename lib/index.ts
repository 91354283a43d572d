/** loraga: native kernels for gradient-aligned LoRA. See README.md for the API tour. */
export * from './errors';
export { DTYPES, bytesPerElement } from './dtype';
export type { DType, Storage } from './dtype';
export { Tensor } from './tensor';
export type { Device, Shape, TensorSource, FromOptions } from './tensor';
export { matmul, matmulAsync } from './ops/matmul';
export type { MatmulOptions } from './ops/matmul';
export { gradAccumulate, gradAccumulateAsync } from './ops/grad-accumulate';
export type { GradAccumulateOptions } from './ops/grad-accumulate';
export { svd, svdAsync, svdBatched, svdBatchedAsync } from './ops/svd';
export { orthonormalize } from './ops/orthonormalize';
export type { SvdOptions, SvdResult, SvdMethod } from './ops/svd';
export { loraForward, loraForwardAsync, loraBackward, loraBackwardAsync } from './ops/lora';
export type { LoraForwardOptions, LoraForwardResult, LoraBackwardOptions, LoraBackwardResult } from './ops/lora';
export { backends, resolveBackend, setAllowTf32 } from './backends';
export type { BackendInfo, BackendName, BackendChoice } from './backends';
export {
  parseSafetensors, parseSafetensorsHeader, readSafetensors, readSafetensorsSync, readSafetensorsSharded,
  readSafetensorsShardedSync, readShardIndex, writeSafetensors, writeSafetensorsSync, SafetensorsFile, openSafetensors,
  SafetensorsWriter,
} from './io/safetensors';
export type { SafetensorsEntry, SafetensorsHeader, ParseOptions, TensorStore } from './io/safetensors';
export { initLoraGA, initLoraGAAsync, resolveLoraGAConfig, loraGAIndices, LORAGA_DIRECTIONS, LORAGA_SCALES } from './init/loraga';
export type { LoraGAConfig, LoraGADirection, LoraGAScale, LoraGAConvention, ResolvedLoraGAConfig } from './init/loraga';
export type { InitSvdOptions, LoraInitResult, SpectralReport } from './init/types';
export { GradientEstimator } from './init/estimator';
export { adamwStep, sgdStep } from './ops/optim';
export type { AdamWHyper, SgdHyper } from './ops/optim';
export { solve, solveAsync } from './ops/solve';
export type { SolveOptions } from './ops/solve';
export { initLoraOne, initLoraOneAsync, loraOneStepSize } from './init/lora-one';
export type { LoraOneConfig } from './init/lora-one';
export { LoraLinear, loraScale } from './train/lora-linear';
export type { LoraLinearOptions, LoraBackwardOpts } from './train/lora-linear';
export { param } from './train/param';
export type { Param } from './train/param';
export { Optimizer, SGD, AdamW, loraPlus } from './train/optim';
export type { ParamGroup, SgdOptions, AdamWOptions, LoraPlusOptions } from './train/optim';
export { loraProAdjust, LoraProAdamW } from './train/lora-pro';
export type { LoraProAdjustOptions, LoraProAdjusted, LoraProOptions, LoraProPair, LoraProX } from './train/lora-pro';
export { solveSylvester } from './train/sylvester';
export { loraOnePrecondition, LoraOneOptimizer } from './train/lora-one-optim';
export type { LoraOneOptimOptions } from './train/lora-one-optim';
export { peftAdapter, exportPeftAdapter } from './train/export';
export type { ExportLayer, ExportOptions, ExportedAdapter } from './train/export';
export { initLora } from './init/lora';
export type { LoraInitConfig } from './init/lora';
export { initPiSSA, initPiSSAAsync } from './init/pissa';
export type { PiSSAConfig } from './init/pissa';
export { writePeftAdapter, readPeftAdapter, peftConfigJson, PEFT_PREFIX, ADAPTER_WEIGHTS, ADAPTER_CONFIG, BASE_OFFSET } from './peft/adapter';
export type { PeftAdapter, PeftAdapterConfig, ReadPeftAdapterResult } from './peft/adapter';
export { initAdapters } from './init/model';
export type { InitAdaptersConfig, InitAdaptersResult, InitProgress, ModelWeights, GradientSource } from './init/model';
