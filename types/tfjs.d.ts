/**
 * loraga/tfjs: LoRA-GA (and LoRA-One, PiSSA, plain LoRA) for TensorFlow.js models. Import it from 'loraga/tfjs'; it
 * needs `@tensorflow/tfjs` ≥ 4 (an optional peer dependency) and loads it — the main entry 'loraga' never does.
 *
 * Memory across the boundary (README "Memory and ownership"): fromTf borrows a tf.Tensor's memory read-only
 * (zero-copy on the pure-JS cpu backend, a download on wasm/WebGL), toTf copies unless asked not to; loraga never
 * writes into memory a TF.js tensor uses.
 *
 * @packageDocumentation
 */
import type * as tf from '@tensorflow/tfjs';
import type { GradientEstimator, InitAdaptersConfig } from './init-model';
import type { LoraInitResult } from './init';
import type { Tensor } from './tensor';
import type { ExportOptions, ExportedAdapter, LoraLinear } from './train';

/** Options of fromTf / toTf (unknown names are LoraValueError). */
export interface TfCopyOptions {
  /**
   * fromTf: true gives an owned, writable copy; default false borrows (read-only, zero-copy on the cpu backend).
   * toTf: default true copies; false hands the storage to TF.js (zero-copy on the cpu backend) and makes the loraga
   * tensor read-only to loraga's ops from then on.
   */
  copy?: boolean;
}

/**
 * A float32 tf.Tensor as a loraga Tensor<'f32'> (a scalar becomes shape [1]). Borrowed and read-only by default:
 * on the pure-JS cpu backend the backend's own array, no copy (TF.js never changes a tensor's values, and the
 * array stays valid after the tf.Tensor is disposed); elsewhere dataSync()'s download. int32, bool, complex64 and
 * string tensors: LoraDTypeError (cast first); a disposed tf.Tensor: LoraDisposedError.
 */
export declare function fromTf(t: tf.Tensor, options?: TfCopyOptions): Tensor<'f32'>;
/**
 * A host loraga Tensor as a float32 tf.Tensor of the same shape: a copy (f64/bf16/f16 are converted), or with
 * `{ copy: false }` the f32 storage itself (zero-copy on the cpu backend). A device tensor: LoraBackendError.
 */
export declare function toTf(t: Tensor, options?: TfCopyOptions): tf.Tensor;
/** True for a TensorFlow.js tensor. */
export declare function isTfTensor(x: unknown): x is tf.Tensor;
/** True when the active TF.js backend is the pure-JS 'cpu' one, where fromTf and toTf({ copy: false }) copy nothing. */
export declare function zeroCopyBackend(): boolean;

/**
 * y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ (+ b) as one TF.js op (x [..., in], W [out, in], A [r, in], B [out, r], b [out]): forward
 * loraForward, gradient loraBackward for x, A and B (W and b are taken as frozen: no gradient flows to them).
 * Stateless: every call's gradient uses that call's own inputs.
 */
export declare function loraDenseOp(x: tf.Tensor, W: tf.Tensor, A: tf.Tensor, B: tf.Tensor, scale: number, bias?: tf.Tensor | null): tf.Tensor;

/** Config of LoraDense (unknown names are LoraValueError). */
export interface LoraDenseArgs {
  /** Output size. */
  units: number;
  /** LoRA rank r. */
  rank: number;
  /** s of y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ (α/r, or an init's `scaling`). */
  scale: number;
  /** A TF.js activation name ('relu', 'tanh', …), applied after the bias. Default 'linear'. */
  activation?: string;
  /** Whether the layer has a (frozen) bias. Default true. */
  useBias?: boolean;
  /** Whether the layer keeps A₀/B₀ of an init that offset W (for the export against the original W). Default false. */
  offset?: boolean;
  /** Layer name. */
  name?: string;
  /** As for any TF.js layer. */
  inputShape?: tf.Shape;
  batchInputShape?: tf.Shape;
  batchSize?: number;
  trainable?: boolean;
  dtype?: tf.DataType;
}

/**
 * A Dense layer with LoRA: y = act(x·Wᵀ + s·(x·Aᵀ)·Bᵀ + b). Weights (by name; setNamed sets them): `weight` [units, in]
 * (W, frozen; a Dense kernel is Wᵀ), `bias` [units] (frozen, when useBias), `lora_A` [r, in] and `lora_B` [units, r]
 * (trainable: model.fit, tf.train optimizers and gradient clipping update them), and with `offset` `lora_A0`,
 * `lora_B0` (frozen). A registered serializable class ('LoraDense'): model.save / tf.loadLayersModel work once
 * loraga/tfjs is loaded. Built fresh, A is PEFT's kaiming-uniform draw and B zero; loraModel fills it from an init.
 */
export declare class LoraDense extends tf.layers.Layer {
  static className: string;
  readonly units: number;
  readonly rank: number;
  readonly scale: number;
  readonly activation: string;
  readonly useBias: boolean;
  readonly offset: boolean;
  weight: tf.LayerVariable | null;
  bias: tf.LayerVariable | null;
  loraA: tf.LayerVariable | null;
  loraB: tf.LayerVariable | null;
  loraA0: tf.LayerVariable | null;
  loraB0: tf.LayerVariable | null;
  constructor(args: LoraDenseArgs);
  build(inputShape: tf.Shape | tf.Shape[]): void;
  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape;
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor;
  /**
   * Sets weights by name ('weight', 'bias', 'lora_A', 'lora_B', 'lora_A0', 'lora_B0'; TF.js's getWeights() lists the
   * trainable ones first). A name the layer lacks: LoraValueError; a wrong shape: LoraShapeError.
   */
  setNamed(values: Record<string, tf.Tensor>): void;
  /** The Dense kernel [in, units] this layer computes with, (W + s·B·A)ᵀ: what mergeLora writes. */
  mergedKernel(): tf.Tensor2D;
  getConfig(): tf.serialization.ConfigDict;
}

/** A named tensor as tf.Optimizer's applyGradients / getWeights take it (tfjs-core does not export its own). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** Options of NativeAdamW / adamw (unknown names are LoraValueError); the core AdamW's names and defaults. */
export interface NativeAdamWOptions {
  lr: number;
  /** Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Default 1e-8 (added to √v̂, as PyTorch; TF.js's tf.train.adam defaults to 1e-7). */
  eps?: number;
  /** Decoupled weight decay (AdamW). Default 0: Adam. */
  weightDecay?: number;
}

/**
 * A tf.Optimizer (use it in model.compile or call applyGradients / minimize) whose step is loraga's fused adamwStep:
 * on the pure-JS backend a step costs one native pass per variable instead of TF.js Adam's ~10 tensor ops. TF.js
 * tensors are not written: each step writes the new value into fresh memory and assigns it to the variable (zero-copy
 * on the pure-JS backend). Moments are kept per variable name; getWeights / setWeights carry them ('<name>/m',
 * '<name>/v'). Registered as the serializable class 'NativeAdamW'. Only float32 variables (else LoraDTypeError).
 */
export declare class NativeAdamW extends tf.Optimizer {
  static get className(): string;
  /** The learning rate; may be changed between steps. */
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  constructor(options: NativeAdamWOptions);
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void;
  getWeights(): Promise<NamedTensor[]>;
  setWeights(weightValues: NamedTensor[]): Promise<void>;
  getConfig(): tf.serialization.ConfigDict;
  dispose(): void;
}
/** `model.compile({ optimizer: adamw({ lr: 1e-3 }), loss })`. */
export declare function adamw(options: NativeAdamWOptions): NativeAdamW;

/** Batches { xs, ys } as model.fitDataset takes them: an array, an iterable, an async iterable or a tf.data.Dataset. */
export type TfBatches =
  | Iterable<{ xs: tf.Tensor; ys: tf.Tensor }>
  | AsyncIterable<{ xs: tf.Tensor; ys: tf.Tensor }>
  | tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>;

/** Which Dense layers: exact layer names, a RegExp matching whole names, or every Dense layer (default). */
export type DenseTargets = string[] | RegExp | 'all-dense';

/** Options of estimateGradients (unknown names are LoraValueError). */
export interface EstimateGradientsOptions {
  /** The Dense layers to estimate (default: all). */
  targets?: DenseTargets;
  /** The loss (mean-reduced): default the compiled model's loss. */
  loss?: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
  /** Run the model in training mode (dropout on). Default false. */
  training?: boolean;
  /** Accumulate into this estimator (modules registered here with fanInFanOut, or already so). Default: a new one. */
  estimator?: GradientEstimator;
  /** Cancels between batches (LoraAbortError). */
  signal?: AbortSignal;
  /** After each batch: batches done, seconds since the start. */
  onProgress?: (e: { batch: number; seconds: number }) => void;
}

/**
 * The one-step gradient of each target Dense layer's kernel, G = mean over the batches of dL/dK ([in, out], the
 * kernel's layout: the estimator's modules are registered with fanInFanOut), as LoRA-GA / LoRA-One want it. TF.js
 * runs the model's forward and the backward down to the first target only (no kernel gradient in TF.js); each
 * layer's input and pre-activation gradient dL/dz go to the native gradAccumulate. A target layer called twice in
 * one forward, or one the loss does not depend on: LoraValueError.
 */
export declare function estimateGradients(model: tf.LayersModel, data: TfBatches, options?: EstimateGradientsOptions): Promise<GradientEstimator>;

/** Options of loraModel: initAdapters' (method, rank, alpha, seed, LoRA-GA's fields, signal, onProgress, …) and these. */
export interface LoraModelOptions extends Omit<InitAdaptersConfig, 'targets' | 'fanInFanOut' | 'onModule' | 'keepResults'> {
  /** Dense layers to adapt (default: all), as PEFT's target_modules for TF.js layer names. */
  targets?: DenseTargets;
  /** LoRA-GA / LoRA-One: the batches the gradient is estimated from (estimateGradients). */
  data?: TfBatches;
  /** LoRA-GA / LoRA-One: a ready estimate instead of data. */
  gradients?: GradientEstimator;
  /** The loss for the estimate (default: the compiled model's). */
  loss?: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
  /** Estimate in training mode. Default false. */
  training?: boolean;
  /** Progress of the estimate, per batch. */
  onBatch?: (e: { batch: number; seconds: number }) => void;
}

/** What loraModel returns. */
export interface LoraModelResult {
  /** A new model: the targets are LoraDense, every other layer frozen (its weights shared). Compile it to train. */
  model: tf.LayersModel;
  /** Each target's init result (A, B, W' [in, out], scaling, report). */
  modules: Record<string, LoraInitResult>;
  /** The adapted layers' names, in model order. */
  targets: string[];
  /** Seconds the inits took. */
  seconds: number;
  /** The gradient estimate used (null for PiSSA / plain LoRA). */
  gradients: GradientEstimator | null;
}

/**
 * The LoRA version of a model in one call: the gradient estimate from `data` (LoRA-GA, LoRA-One), the init of every
 * target Dense layer (initAdapters with fanInFanOut: Dense kernels are [in, out]), and a new model whose targets are
 * LoraDense layers holding W' = W − s·B₀·A₀ and the trainable A, B, so that its outputs at step 0 equal the
 * original's (up to f32 rounding). The original model is not changed.
 */
export declare function loraModel(model: tf.LayersModel, options: LoraModelOptions): Promise<LoraModelResult>;

/** A copy of the model with every LoraDense folded into a plain Dense layer (kernel (W + s·B·A)ᵀ, same bias). */
export declare function mergeLora(model: tf.LayersModel): Promise<tf.LayersModel>;

/** Options of loraLayers. */
export interface LoraLayersOptions {
  /** Module name per layer name (e.g. the PyTorch module path), default the layer names. */
  names?: Record<string, string>;
}

/** The model's LoraDense layers as LoraLinear layers (copies of their weights), for exportPeftAdapter. */
export declare function loraLayers(model: tf.LayersModel, options?: LoraLayersOptions): { name: string; layer: LoraLinear }[];

/**
 * Writes the model's adapters as a PEFT adapter directory (exportPeftAdapter): against the ORIGINAL weights (rank
 * 2r where the init offset W), keys by layer name (or `names`), for a model whose Linear weight is each Dense kernel
 * transposed.
 */
export declare function exportPeft(dir: string, model: tf.LayersModel, options?: ExportOptions & LoraLayersOptions): Promise<ExportedAdapter>;

/** Options of importPeft (unknown names are LoraValueError). */
export interface ImportPeftOptions {
  /** Module name per layer name, as exportPeft's `names` (default: the layer names). */
  names?: Record<string, string>;
}

/**
 * The inverse of exportPeft: a new model in which each Dense layer named by a module of the PEFT adapter in `dir` is a
 * LoraDense with W = its kernel transposed, lora_A / lora_B from the file (converted to float32) and PEFT's scale
 * (lora_alpha / r, or / √r with use_rslora; rank_pattern / alpha_pattern: the first key that matches, as in PEFT). Every other layer is
 * copied and frozen. Give the ORIGINAL model (the adapter applies to it): a LoraDense target, a module that is no
 * Dense layer, A/B shapes that do not fit the kernel, or an adapter that trains biases is a typed error.
 */
export declare function importPeft(dir: string, model: tf.LayersModel, options?: ImportPeftOptions): Promise<tf.LayersModel>;
