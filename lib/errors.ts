/**
 * Typed errors. Every failure the library reports is a `LoraError`; the subclass says what kind, so callers can
 * `catch (e) { if (e instanceof LoraShapeError) … }`. The native addon throws these same classes.
 */
export class LoraError extends Error {
  /** Stable machine-readable code, e.g. 'LORA_SHAPE'. */
  readonly code: string = 'LORA_INTERNAL';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** Shapes do not fit together (or a buffer's length does not match its shape). */
export class LoraShapeError extends LoraError {
  override readonly code = 'LORA_SHAPE';
}
/** A dtype is not accepted here, or storage does not match the declared dtype. */
export class LoraDTypeError extends LoraError {
  override readonly code = 'LORA_DTYPE';
}
/** A value is out of range: NaN/Inf in the data, rank too large, bad option. */
export class LoraValueError extends LoraError {
  override readonly code = 'LORA_VALUE';
}
/** The requested backend is unavailable or tensors live on different devices. */
export class LoraBackendError extends LoraError {
  override readonly code = 'LORA_BACKEND';
}
/** Host or device memory ran out; nothing was modified. */
export class LoraOutOfMemoryError extends LoraError {
  override readonly code = 'LORA_OOM';
}
/** Memory layout is unusable (misaligned bytes, non-contiguous view). */
export class LoraLayoutError extends LoraError {
  override readonly code = 'LORA_LAYOUT';
}
/** A tensor was used after dispose(), or disposed while an async op still uses it. */
export class LoraDisposedError extends LoraError {
  override readonly code = 'LORA_DISPOSED';
}
/** An async operation was cancelled through its AbortSignal. */
export class LoraAbortError extends LoraError {
  override readonly code = 'LORA_ABORTED';
}
/** A file (safetensors, adapter config) is malformed or truncated. */
export class LoraFormatError extends LoraError {
  override readonly code = 'LORA_FORMAT';
}
