/**
 * The implementation of the public API declared in types/index.d.ts (the package's "types"): the values here, the
 * declared types re-exported from there. test/types checks that this module satisfies that contract.
 */
export type * from '../types';
export {
  LoraError, LoraShapeError, LoraDTypeError, LoraValueError, LoraBackendError, LoraOutOfMemoryError, LoraLayoutError,
  LoraDisposedError, LoraAbortError, LoraFormatError, LoraIOError,
} from './errors';
export { DTYPES, bytesPerElement } from './dtype';
export { Tensor } from './tensor';
export { backends, resolveBackend, setAllowTf32 } from './backends';
export { matmul, matmulAsync } from './ops/matmul';
export { gradAccumulate, gradAccumulateAsync } from './ops/grad-accumulate';
export { svd, svdAsync, svdBatched, svdBatchedAsync } from './ops/svd';
export { orthonormalize } from './ops/orthonormalize';
export { loraForward, loraForwardAsync, loraBackward, loraBackwardAsync } from './ops/lora';
export { adamwStep, sgdStep } from './ops/optim';
export { solve, solveAsync } from './ops/solve';
export {
  parseSafetensors, parseSafetensorsHeader, readSafetensors, readSafetensorsSync, readSafetensorsSharded,
  readSafetensorsShardedSync, readShardIndex, writeSafetensors, writeSafetensorsSync, SafetensorsFile, openSafetensors,
  SafetensorsWriter,
} from './io/safetensors';
export { initLora } from './init/lora';
export {
  initLoraGA, initLoraGAAsync, resolveLoraGAConfig, loraGAIndices, LORAGA_DIRECTIONS, LORAGA_SCALES, LORAGA_SCALES_BY_CONVENTION,
} from './init/loraga';
export { initLoraOne, initLoraOneAsync, loraOneStepSize } from './init/lora-one';
export { initPiSSA, initPiSSAAsync } from './init/pissa';
export { GradientEstimator } from './init/estimator';
export { initAdapters } from './init/model';
export { moduleSeed } from './init/module-seed';
export { param } from './train/param';
export { LoraLinear, loraScale } from './train/lora-linear';
export { Linear } from './train/linear';
export { Rng } from './train/rng';
export { saveCheckpoint, loadCheckpoint } from './train/checkpoint';
export { peftAdapter, exportPeftAdapter } from './train/export';
export { Optimizer, SGD, AdamW, loraPlus } from './train/optim';
export { LrSchedule } from './train/schedule';
export { loraProAdjust, LoraProAdamW } from './train/lora-pro';
export { solveSylvester } from './train/sylvester';
export { loraOnePrecondition, LoraOneOptimizer, LoraOneAdamW } from './train/lora-one-optim';
export { writePeftAdapter, readPeftAdapter, peftConfigJson, PEFT_PREFIX, ADAPTER_WEIGHTS, ADAPTER_CONFIG, BASE_OFFSET } from './peft/adapter';
