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
  register(name: string, out: number, inF: number, options?: { fanInFanOut?: boolean; sketch?: SketchOptions }): this;
  /**
   * Ends the current pass of every sketched module that has not done all its passes; the caller then replays the
   * same batches (in any order) for the next one. Returns the pass number now begun (or the last one, when done).
   * A module with no batches in the current pass is a LoraValueError naming it, and then no module advances.
   */
  nextPass(): number;
  /** The pass a sketched module is in (passes + 1 once all are done); 0 for a module without a sketch. */
  pass(name: string): number;
  /** Bytes a module's estimate holds now: its accumulator or its sketches and their test matrices. */
  bytes(name: string): number;
  /**
   * A sketched module's low-rank factors of the mean gradient (`size` triplets, in [out, in] orientation whatever
   * the layout), once all its passes are done, with the error estimate of the first `used` of them (default all).
   */
  sketch(name: string, used?: number): SketchFactors;
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
  /**
   * The estimate G = (1/n)·Σ dYᵀ·X as a new tensor, in the module's layout (or the ready gradient as given). A
   * sketched module has no G: a LoraValueError (use sketch()).
   */
  gradient(name: string): Tensor;
  /**
   * Frees a module's accumulator or sketch (after its adapter is initialised) to bound memory: bytes() is then 0. A
   * released sketch gives no factors and takes no batch (LoraDisposedError), and nextPass leaves it out.
   */
  release(name: string): void;
}

/**
 * Streaming sketch of a module's gradient (register's `sketch` option; initAdapters' svd 'sketch'): G is never
 * formed, only randomized sketches updated from each batch's (X, dY) — Tropp, Yurtsever, Udell & Cevher's single-pass
 * low-rank approximation (range, co-range and core sketches) — so a module holds O((in + out)·size) numbers instead of
 * out·in. With `passes` ≥ 2 the caller replays the batches (nextPass() between passes): pass 2 forms Gᵀ·Q exactly
 * (the randomized SVD without power iterations), each further pass one more half power iteration.
 */
export interface SketchOptions {
  /** Range sketch width k: at least 2r + 1 for LoRA-GA of rank r (more is more accurate); ≤ min(out, in). */
  size: number;
  /** Core sketch size s (single pass only), > size; default 2·size + 1. */
  coreSize?: number;
  /** Gaussian probe columns for the error estimate; default 10 (relative spread of the estimate ≈ √(2/probes)). */
  probes?: number;
  /** Passes over the batches: 1 (streaming, default) or more when they can be replayed. */
  passes?: number;
  /** Seed of the test matrices (counter-based generator); default 0. */
  seed?: number;
}

/** What a sketch gives: G ≈ U·diag(S)·Vt, and how good that is, estimated from probes that never saw the rest. */
export interface SketchFactors {
  /** [out, size] */
  U: Tensor;
  /** [size], descending */
  S: Tensor;
  /** [size, in] */
  Vt: Tensor;
  /** 'single-pass' (passes = 1) or 'multi-pass'. */
  mode: 'single-pass' | 'multi-pass';
  passes: number;
  /** Estimated ‖G − Ĝ‖_F / ‖G‖_F for Ĝ the first `used` triplets (Gaussian probes; unbiased in the square). */
  errorEstimate: number;
  /** Estimated Σᵢ≤used σᵢ² / ‖G‖²_F (the report's energy, with ‖G‖_F from the probes). */
  energyEstimate: number;
  /** Estimated ‖G‖_F. */
  normEstimate: number;
  /** Bytes the sketch held. */
  bytes: number;
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
export interface InitAdaptersConfig extends Omit<LoraGAConfig, 'svd'> {
  /**
   * How G is factorised: 'exact', 'randomized' (LoRA-GA's default) or, for 'loraga' only, 'sketch': `estimate` must
   * be a GradientEstimator whose targets were registered with a `sketch` (size ≥ 2r + 1) and have done all their
   * passes; G is never formed, the reports say method 'sketch' with an error estimate. W's own SVD (scales
   * 'weight_svd' / 'weightS') is then randomized.
   */
  svd?: 'exact' | 'randomized' | 'krylov' | 'sketch';
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
  /**
   * Modules at once (default 1). With n > 1 (LoRA-GA from G), the modules go in windows of n: their gradients' SVDs
   * run in one svdBatched call (on the CPU a thread per core, each with single-threaded BLAS; on the GPU several
   * streams), then each module's init as usual, in order. Results are the same as with 1 (same per-module seeds);
   * memory is n modules' working sets; cancellation is checked between windows and steps. LoRA-One, PiSSA, plain
   * LoRA and svd 'sketch' take only 1 (else LoraValueError).
   */
  concurrency?: number;
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
 * Initialises the adapters of every target module, one module at a time (or `concurrency` at once). Memory stays
 * bounded: beyond the caller's inputs, only one module's working set (its W, G, SVD and results; `concurrency`
 * modules') is alive at once when weights come from a loader and results go to `onModule`. Errors name the module.
 */
export declare function initAdapters(model: ModelWeights, estimate: GradientSource, config: InitAdaptersConfig): Promise<InitAdaptersResult>;
