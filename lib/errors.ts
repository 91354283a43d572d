/**
 * The error classes declared in types/errors.d.ts (documented there). The native addon receives this module
 * (binding.init in native.ts), looks the classes up by name and throws them with `new Cls(message)`.
 */
import type * as api from '../types/errors';

export type LoraError = api.LoraError;
export const LoraError: typeof api.LoraError = class LoraError extends Error {
  readonly code: string = 'LORA_INTERNAL';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
};

/** A LoraError subclass named `name` whose instances carry `code`. */
function kind<C extends string>(name: string, code: C) {
  const K = class extends LoraError {
    override readonly code: C = code;
  };
  Object.defineProperty(K, 'name', { value: name });
  return K;
}

export const LoraShapeError: typeof api.LoraShapeError = kind('LoraShapeError', 'LORA_SHAPE');
export const LoraDTypeError: typeof api.LoraDTypeError = kind('LoraDTypeError', 'LORA_DTYPE');
export const LoraValueError: typeof api.LoraValueError = kind('LoraValueError', 'LORA_VALUE');
export const LoraBackendError: typeof api.LoraBackendError = kind('LoraBackendError', 'LORA_BACKEND');
export const LoraOutOfMemoryError: typeof api.LoraOutOfMemoryError = kind('LoraOutOfMemoryError', 'LORA_OOM');
export const LoraLayoutError: typeof api.LoraLayoutError = kind('LoraLayoutError', 'LORA_LAYOUT');
export const LoraDisposedError: typeof api.LoraDisposedError = kind('LoraDisposedError', 'LORA_DISPOSED');
export const LoraAbortError: typeof api.LoraAbortError = kind('LoraAbortError', 'LORA_ABORTED');
export const LoraFormatError: typeof api.LoraFormatError = kind('LoraFormatError', 'LORA_FORMAT');
export const LoraIOError: typeof api.LoraIOError = class LoraIOError extends LoraError {
  override readonly code = 'LORA_IO' as const;
  readonly path: string;
  readonly errno: string;
  constructor(message: string, path = '', errno = '') {
    super(message);
    this.path = path;
    this.errno = errno;
  }
};
