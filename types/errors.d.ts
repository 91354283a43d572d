/*
 * Typed errors. Every failure the library reports is a LoraError; the subclass says what kind, so callers can
 * `catch (e) { if (e instanceof LoraShapeError) … }`. The native addon throws these same classes. Each subclass's
 * `name` is its class name and its `code` a stable string.
 */

/** The base of every error the library throws; `name` is the class name, e.g. 'LoraShapeError'. */
export declare class LoraError extends Error {
  /** Stable machine-readable code, e.g. 'LORA_SHAPE' ('LORA_INTERNAL' for a plain LoraError). */
  readonly code: string;
  constructor(message: string);
}

/** Shapes do not fit together (or a buffer's length does not match its shape). */
export declare class LoraShapeError extends LoraError { readonly code: 'LORA_SHAPE' }
/** A dtype is not accepted here, or storage does not match the declared dtype. */
export declare class LoraDTypeError extends LoraError { readonly code: 'LORA_DTYPE' }
/** A value is out of range: NaN/Inf in the data, rank too large, bad option. */
export declare class LoraValueError extends LoraError { readonly code: 'LORA_VALUE' }
/** The requested backend is unavailable or tensors live on different devices. */
export declare class LoraBackendError extends LoraError { readonly code: 'LORA_BACKEND' }
/** Host or device memory ran out; nothing was modified. */
export declare class LoraOutOfMemoryError extends LoraError { readonly code: 'LORA_OOM' }
/** Memory layout is unusable (misaligned bytes, non-contiguous view). */
export declare class LoraLayoutError extends LoraError { readonly code: 'LORA_LAYOUT' }
/** A tensor was used after dispose(), or disposed while an async op still uses it. */
export declare class LoraDisposedError extends LoraError { readonly code: 'LORA_DISPOSED' }
/** An async operation was cancelled through its AbortSignal. */
export declare class LoraAbortError extends LoraError { readonly code: 'LORA_ABORTED' }
/** A file (safetensors, adapter config) is malformed or truncated. */
export declare class LoraFormatError extends LoraError { readonly code: 'LORA_FORMAT' }
/**
 * A file or directory could not be read or written (missing, a directory, no permission, read-only file system,
 * disk full). `path` names it; `errno` is the system's code (e.g. 'ENOENT', 'EROFS', 'ENOSPC').
 */
export declare class LoraIOError extends LoraError {
  readonly code: 'LORA_IO';
  /** The file or directory concerned. */
  readonly path: string;
  /** The system error code, e.g. 'ENOENT'. */
  readonly errno: string;
  constructor(message: string, path?: string, errno?: string);
}
