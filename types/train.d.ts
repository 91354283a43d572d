/*
 * Training: the trainable Param, the LoraLinear layer (forward/backward, dropout, bias, merge), the trainable Linear
 * for full fine-tuning, a seeded Rng, checkpoint/resume, and the export of trained layers as a PEFT adapter.
 */
import type { DType } from './dtype';
import type { LrSchedule, Optimizer } from './optimizers';
import type { PeftAdapter } from './peft';
import type { Tensor } from './tensor';

/**
 * A trainable tensor and its gradient, the unit the optimizers step. `grad` is written by a layer's backward pass
 * (LoraLinear.backward) or by the trainer, and read (never freed) by Optimizer.step().
 */
export interface Param {
  /** The trained tensor, updated in place by the optimizers. */
  value: Tensor;
  /** Its gradient (same shape), or null. */
  grad: Tensor | null;
  /** For messages and exports. */
  name?: string;
}

/** A Param with no gradient yet. */
export declare function param(value: Tensor, name?: string): Param;

/** Options of the LoraLinear constructor (unknown names are errors). */
export interface LoraLinearOptions {
  /** LoRA alpha (default: rank, i.e. s = 1 without rsLoRA). */
  alpha?: number;
  /** Scale s = α/√r instead of α/r. */
  rsLora?: boolean;
  /** Use exactly this s (what an init function reports as `scaling`); overrides alpha/rsLora. */
  scale?: number;
  /** Dropout probability on the LoRA branch's input (default 0). */
  dropout?: number;
  /** Seed of the dropout masks, a non-negative integer (each training forward draws the next one). */
  seed?: number;
  /** Layer name (used for the parameters' names and exports). */
  name?: string;
  /** The base layer's bias [out]: y gains + b. Frozen unless trainBias. */
  bias?: Tensor;
  /** Train the bias too (f32/f64; it joins parameters() and exports as PEFT's bias="all"). Default false. */
  trainBias?: boolean;
}

/** Options of LoraLinear.backward and Linear.backward (unknown names are errors). */
export interface LoraBackwardOpts {
  /** Compute dX (default true; false for a first layer). */
  needDx?: boolean;
  /** Add to existing A.grad/B.grad instead of overwriting (gradient accumulation over micro-batches). */
  accumulate?: boolean;
  /**
   * The output of the forward pass this dY belongs to (what forward() returned). Needed when several forwards are
   * open (the layer used twice before its backward); without it backward uses the only open forward, and refuses
   * (LoraValueError) when there are several rather than guess.
   */
  output?: Tensor;
}

/** Options of LoraLinear.forward and Linear.forward (unknown names are errors). */
export interface ForwardOptions {
  /**
   * Keep what backward needs (default true). false for forwards that get no backward (evaluation, inference): they
   * keep nothing, so they neither hold memory nor make a later backward ambiguous.
   */
  grad?: boolean;
}

/** Scale s of a LoRA layer: α/r, or α/√r with rsLoRA. */
export declare function loraScale(rank: number, alpha: number, rsLora?: boolean): number;

/**
 * A Linear layer with frozen W [out, in] and trainable A [r, in], B [out, r], and optionally a bias b [out] (frozen,
 * or trained with `trainBias`):
 *   y = x·Wᵀ + s·(drop(x)·Aᵀ)·Bᵀ + b,   s = α/r (or α/√r with rsLoRA)
 * forward() keeps what backward() needs (x, h = drop(x)·Aᵀ, the dropout mask); backward(dY) returns dX and writes
 * A.grad and B.grad. Without dropout both passes are the fused ops (loraForward/loraBackward); with dropout the
 * LoRA branch sees the masked input, as in PEFT. merge() folds s·B·A into W (in place) for inference; unmerge()
 * takes it out again. Works on whatever device the tensors live on, through the ops; dropout's mask is host-only.
 */
export declare class LoraLinear {
  /** The frozen weight [out, in]. */
  readonly W: Tensor;
  /** [r, in], f32 or f64. */
  readonly A: Param;
  /** [out, r], f32 or f64. */
  readonly B: Param;
  /** s of y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ. */
  readonly scale: number;
  /** r, from A's rows. */
  readonly rank: number;
  /** Dropout probability on the LoRA branch's input. */
  readonly dropout: number;
  /** The layer's name; the parameters are `<name>.lora_A`, `<name>.lora_B` (and `<name>.bias`). */
  readonly name: string;
  /** The bias [out], or null. Trained (in parameters(), its grad set by backward) only when trainBias. */
  readonly bias: Param | null;
  /** Whether the bias is trained. */
  readonly trainBias: boolean;
  /**
   * (A₀, B₀) of an init that offset W (LoRA-GA, PiSSA: W here is W' = W − s·B₀·A₀), kept so that an export can be
   * expressed against the original W (see exportPeftAdapter). Null for inits that leave W unchanged.
   */
  initial: { A: Tensor; B: Tensor } | null;
  /** Dropout is applied only while training. */
  training: boolean;
  /** W [out, in] frozen; A [r, in] and B [out, r] are trained in place (f32 or f64). */
  constructor(W: Tensor, A: Tensor, B: Tensor, options?: LoraLinearOptions);
  /**
   * A layer from an init result ({A, B, W, scaling}): W is the init's offset base W' when it has one, else `W`; a
   * fanInFanOut init's W' (or `W`) is [in, out] and is transposed to the layer's [out, in] (a copy).
   */
  static fromInit(W: Tensor, init: { A: Tensor; B: Tensor; W?: Tensor | null; scaling: number; fanInFanOut?: boolean },
                  options?: Omit<LoraLinearOptions, 'scale' | 'alpha' | 'rsLora'>): LoraLinear;
  /** True between merge() and unmerge(). */
  get merged(): boolean;
  /** [A, B], and the bias when trainBias. */
  parameters(): Param[];
  /** Restart the dropout mask sequence at mask number `draws` (default 0), e.g. to replay a forward pass exactly. */
  seedDropout(seed: number, draws?: number): void;
  /** The dropout sequence's seed and masks drawn so far (what a checkpoint saves; seedDropout restores it). */
  get dropoutState(): { seed: number; draws: number };
  /**
   * y = x·Wᵀ + s·(drop(x)·Aᵀ)·Bᵀ for x [..., in]. Keeps x (not copied: do not modify it before backward) and h, one
   * record per forward until the step's backward ran, unless `{ grad: false }`.
   */
  forward(x: Tensor, options?: ForwardOptions): Tensor;
  /**
   * Gradients of a forward (the only open one, or `options.output`'s): returns dX (null when needDx is false); sets
   * A.grad, B.grad (and bias.grad). Several open forwards and no `output`: LoraValueError, never another forward's
   * gradients.
   */
  backward(dY: Tensor, options?: LoraBackwardOpts & { needDx?: true }): Tensor;
  backward(dY: Tensor, options: LoraBackwardOpts & { needDx: false }): null;
  backward(dY: Tensor, options?: LoraBackwardOpts): Tensor | null;
  /** A.grad = B.grad = bias.grad = null. */
  zeroGrad(): void;
  /** W ← W + s·B·A (in place). Forward then runs as a plain Linear; backward is refused until unmerge(). */
  merge(): void;
  /** W ← W − s·B·A: undoes merge() (up to rounding in W's dtype). */
  unmerge(): void;
  /** The effective weight W + s·B·A as a new tensor (W untouched). */
  effectiveWeight(): Tensor;
}

/** Options of Linear (unknown names are errors). */
export interface LinearOptions {
  /** A trainable bias [out] (f32/f64, trained in place). Default: none. */
  bias?: Tensor;
  /** Layer name: the parameters are `<name>.weight` and `<name>.bias` (default 'linear'). */
  name?: string;
}

/**
 * A trainable Linear layer y = x·Wᵀ + b for full fine-tuning, with LoraLinear's forward/backward API (so a trainer
 * swaps one for the other): W [out, in] and b [out] are f32/f64 Params trained in place. Every product is a native
 * GEMM on the tensors' device: dX = dY·W, dW = dYᵀ·x, db = Σ_tokens dY.
 */
export declare class Linear {
  /** The layer's name. */
  readonly name: string;
  /** W [out, in]. */
  readonly weight: Param;
  /** b [out], or null. */
  readonly bias: Param | null;
  constructor(W: Tensor, options?: LinearOptions);
  /** [weight] or [weight, bias]. */
  parameters(): Param[];
  /** y = x·Wᵀ + b for x [..., in]. Keeps x (not copied: do not modify it before backward) unless `{ grad: false }`. */
  forward(x: Tensor, options?: ForwardOptions): Tensor;
  /**
   * Gradients of a forward (the only open one, or `options.output`'s): returns dX (null when needDx is false); sets
   * weight.grad and bias.grad. Several open forwards and no `output`: LoraValueError.
   */
  backward(dY: Tensor, options?: LoraBackwardOpts & { needDx?: true }): Tensor;
  backward(dY: Tensor, options: LoraBackwardOpts & { needDx: false }): null;
  backward(dY: Tensor, options?: LoraBackwardOpts): Tensor | null;
  /** Every grad = null. */
  zeroGrad(): void;
}

/**
 * A small seeded random generator whose whole state is one 32-bit number (splitmix32), for the choices a trainer
 * makes (data order, sampling) so that a checkpoint can save and restore them.
 */
export declare class Rng {
  /** Any non-negative integer seed. */
  constructor(seed: number);
  /** The generator's state (a uint32): save it, or set it to resume the sequence. */
  state: number;
  /** A uniform float in [0, 1). */
  next(): number;
  /** A uniform integer in [0, n). */
  int(n: number): number;
  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T>(a: T[]): T[];
}

/** What a checkpoint holds, and what loadCheckpoint restores into (unknown names are errors). */
export interface TrainingState {
  /** Its params' values, moments, rates and step count are saved. */
  optimizer: Optimizer;
  /** Its step. */
  schedule?: LrSchedule | null;
  /** Layers whose dropout sequence is saved, by name (names must be distinct). */
  layers?: (LoraLinear | Linear)[];
  /** Generators whose state is saved, by key. */
  rngs?: Record<string, Rng>;
  /** Anything JSON (epoch, position in the data, metrics), given back by loadCheckpoint. */
  extra?: unknown;
}

/** What loadCheckpoint read besides what it restored. */
export interface LoadedCheckpoint {
  /** The optimizer's stepCount at save. */
  step: number;
  /** TrainingState.extra as saved. */
  extra: unknown;
}

/**
 * Saves the training state to the directory `dir`: training_state.safetensors (every param of the optimizer, its
 * moments) and training_state.json (step, rates, hyperparameters, schedule, dropout and Rng states, extra, and the
 * tensors file's SHA-256). Frozen tensors are not saved: rebuild the model the same way (the inits are
 * deterministic), then loadCheckpoint. Written into a sibling temporary directory, synced, then renamed over `dir`,
 * so a crash leaves either the previous checkpoint or the new one (or, between the two renames, none: `dir` is
 * missing and the previous one is in `<dir>.old-*`), never a mixture that loads. Since `dir` is replaced whole, it
 * must be missing, empty or a previous checkpoint: a directory holding other files (or a file) is refused with a
 * LoraValueError before anything is written. A file-system failure (a parent that is a file, a read-only or full
 * disk) is a LoraIOError with the `path` and `errno`, and leaves no temporary directory behind.
 */
export declare function saveCheckpoint(dir: string, state: TrainingState): Promise<void>;
/**
 * Restores a checkpoint into `state` (params in place, optimizer, schedule, dropout and Rng states): the continued
 * run is bit-identical to an uninterrupted one. Checks everything before changing anything: a checkpoint whose
 * files do not match (LoraFormatError) or that was saved from another optimizer, param layout, schedule or set of
 * layers (LoraValueError) is refused; a missing or unreadable file is a LoraIOError naming it (`errno` 'ENOENT' for a
 * missing checkpoint).
 */
export declare function loadCheckpoint(dir: string, state: TrainingState): Promise<LoadedCheckpoint>;

/** One layer to export. */
export interface ExportLayer {
  /** Module path in the base model, e.g. "model.layers.0.self_attn.q_proj". */
  name: string;
  /** The trained layer (not merged). */
  layer: LoraLinear;
}

/** Options of peftAdapter / exportPeftAdapter. */
export interface ExportOptions {
  /** Write rsLoRA scaling (α/√r) into the config. Must match how the layers' scale was chosen. Default false. */
  rsLora?: boolean;
  /** dtype of the written tensors (default f32). */
  dtype?: DType;
  /** adapter_config.json's base_model_name_or_path (default null). */
  baseModelName?: string | null;
  /**
   * PEFT's LoraConfig `bias`: 'all' writes each layer's bias as `<module>.base_layer.bias` (PEFT's key for it; PEFT
   * loads it into the base layer) and bias: "all" in the config; 'none' writes none. Default: 'all' when a layer
   * trains its bias, else 'none'; 'none' with a trained bias is refused (the adapter would not reproduce the model).
   * ('lora_only' is not offered: PEFT ≥ 0.7 looks for `<module>.bias`, a key its layers no longer have, and saves no
   * bias with it.)
   */
  bias?: 'none' | 'all';
  /** adapter_config.json's task_type, PEFT's TaskType (e.g. 'CAUSAL_LM' for AutoPeftModelForCausalLM); default null. */
  taskType?: string | null;
  /**
   * The base model's layers store W as [in, out] (transformers' Conv1D, GPT-2): writes `fan_in_fan_out: true`.
   * A and B are [r, in] / [out, r] in either layout. Default false.
   */
  fanInFanOut?: boolean;
}

/** An exported adapter, and what was done per module. */
export interface ExportedAdapter {
  /** What writePeftAdapter writes: per module [A; A₀] / [B, −B₀] (or A / B), and the LoraConfig fields. */
  adapter: PeftAdapter;
  /** adapter_config.json as written. */
  config: Record<string, unknown>;
  /** Per module: the rank and alpha written, and whether the offset init was folded in (rank 2r). */
  modules: Record<string, { r: number; alpha: number; converted: boolean }>;
}

/**
 * The PEFT adapter (tensors in `dtype`, PEFT config) for these layers, in memory, applying to the ORIGINAL base
 * weights. A layer whose init offset W (LoRA-GA, PiSSA trained on W' = W − s·B₀·A₀) becomes a plain LoRA of rank 2r,
 * as PEFT's save_pretrained(path_initial_model_mutation=…) does: W' + s·B·A = W + s·[B, −B₀]·[A; A₀], keeping s by
 * doubling lora_alpha (α/r) or multiplying it by √2 (α/√r with rsLoRA). Layers whose init left W alone are written
 * as they are; differing ranks/alphas go to rank_pattern / alpha_pattern.
 */
export declare function peftAdapter(layers: ExportLayer[], options?: ExportOptions): ExportedAdapter;
/** Writes dir/adapter_model.safetensors and dir/adapter_config.json (via writePeftAdapter); returns what was written. */
export declare function exportPeftAdapter(dir: string, layers: ExportLayer[], options?: ExportOptions): Promise<ExportedAdapter>;
