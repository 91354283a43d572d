/*
 * Whole-model init: the gradients of many Linear layers (GradientEstimator), and LoRA-GA (or PiSSA / plain LoRA)
 * over many target modules, one module at a time, async, with progress events and cancellation (initAdapters).
 */
import type { LoraGAConfig, LoraInitResult } from './init';
import type { Tensor } from './tensor';

/**
 * The one-step gradient G = (1/n) Σᵢ dYᵢᵀ·Xᵢ of each target Linear layer (W: [out, in]), streamed batch by batch
 * and accumulated in fp32 — exactly the estimate PEFT's LoRA-GA preprocessing forms (mean over the batches of the
 * weight gradient). A ready gradient can be supplied instead.
 */
export declare class GradientEstimator {
  /** `dtype`: accumulator precision, f32 (default, as PEFT) or f64. */
  constructor(options?: { dtype?: 'f32' | 'f64' });
  /**
   * Registers a target module with its sizes out and in. The accumulator is allocated on first use. With
   * `fanInFanOut` (a Conv1D-style W stored [in, out]) setGradient takes and gradient returns G in that layout.
   */
  register(name: string, out: number, inF: number, options?: { fanInFanOut?: boolean }): this;
  /** The registered module names, in registration order. */
  get modules(): string[];
  /** The sizes [out, in] registered for `name` (whatever the layout). */
  shape(name: string): [number, number];
  /** Whether `name` was registered with fanInFanOut (G in [in, out]). */
  fanInFanOut(name: string): boolean;
  /** Batches accumulated so far for `name`. */
  batches(name: string): number;
  /** Adds one batch: X = the layer's input [tokens, in], dY = the gradient of its output [tokens, out]. */
  accumulate(name: string, X: Tensor, dY: Tensor): this;
  /** accumulate off the main thread; calls for one module run one after another. */
  accumulateAsync(name: string, X: Tensor, dY: Tensor): Promise<this>;
  /** Supplies a ready gradient G [out, in] ([in, out] with fanInFanOut) instead of batches, e.g. from autograd. */
  setGradient(name: string, G: Tensor): this;
  /** The estimate G = (1/n)·Σ dYᵀ·X as a new tensor, in the module's layout (or the ready gradient as given). */
  gradient(name: string): Tensor;
  /** Frees a module's accumulator (after its adapter is initialised) to bound memory. */
  release(name: string): void;
}

/** Weights by module name: a plain record, or a loader called once per module (e.g. over a SafetensorsFile). */
export type ModelWeights = Record<string, Tensor> | { names: string[]; load(name: string): Tensor | Promise<Tensor> };
/** Gradients by module name: a GradientEstimator, a record of ready G, or a loader. Not needed for 'pissa'/'lora'. */
export type GradientSource = GradientEstimator | Record<string, Tensor> | { load(name: string): Tensor | Promise<Tensor> } | null;

/** A progress event of initAdapters. */
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

/**
 * Config of initAdapters: LoRA-GA's fields (rank and alpha also for the other methods; gamma, rsLora and the SVD
 * options also for 'lora-one', with its own defaults) and the run's options.
 */
export interface InitAdaptersConfig extends LoraGAConfig {
  /**
   * 'loraga' (default, initLoraGA), 'lora-one' (initLoraOne, from G), 'pissa' (initPiSSA, from W alone) or 'lora'
   * (initLora: kaiming A, zero B).
   */
  method?: 'loraga' | 'lora-one' | 'pissa' | 'lora';
  /**
   * Seed of the run (default 0). Module `name` is initialised with seed moduleSeed(seed, name), used for every
   * random draw of its init (plain LoRA's A, the randomized SVD's test matrix, LoRA-GA's 'random' direction): each
   * module draws independently, and its init does not depend on the other targets or their order.
   */
  seed?: number;
  /** 'lora-one' only: divide A₀ and B₀ by √σ₁ (default true, the official code). */
  normalize?: boolean;
  /**
   * Modules to initialise (default: every module of `model`), as PEFT's target_modules: a full module name or a
   * dotted suffix of one (`q_proj` matches `model.layers.0.self_attn.q_proj`). A target that matches nothing is a
   * LoraValueError.
   */
  targets?: string[];
  /** Cancels between modules and steps (LoraAbortError). */
  signal?: AbortSignal;
  /** Called before and after each module. */
  onProgress?: (e: InitProgress) => void;
  /** Receives each module's result as soon as it is ready (e.g. to write it out); awaited before the next module. */
  onModule?: (name: string, result: LoraInitResult) => void | Promise<void>;
  /** Keep results in the returned record (default true; false with onModule for bounded memory). */
  keepResults?: boolean;
  /** Release each module's estimator accumulator once used (default false). */
  releaseGradients?: boolean;
}

/** The results by module (empty when keepResults is false) and the time taken. */
export interface InitAdaptersResult {
  modules: Record<string, LoraInitResult>;
  seconds: number;
}

/**
 * The seed initAdapters uses for module `name` of a run with `seed`: a stable 53-bit hash of both (FNV-1a), the same
 * in every process and version, so one module's init can be reproduced with the per-module functions.
 */
export declare function moduleSeed(seed: number, name: string): number;

/**
 * Initialises the adapters of every target module, one module at a time. Memory stays bounded: beyond the caller's
 * inputs, only one module's working set (its W, G, SVD and results) is alive at once when weights come from a
 * loader and results go to `onModule`. Errors name the module.
 */
export declare function initAdapters(model: ModelWeights, estimate: GradientSource, config: InitAdaptersConfig): Promise<InitAdaptersResult>;
