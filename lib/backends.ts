/**
 * Which compute backends this process can use, and the default one.
 * native.backends / setAllowTf32 → csrc/binding/backends.cc → csrc/backends.cc (the registry of backends).
 */
import { native } from './native';
import { LoraBackendError } from './errors';

export type BackendName = 'cpu' | 'cuda';
export type BackendChoice = BackendName | 'auto';

export interface BackendInfo {
  name: BackendName;
  available: boolean;
  /** Why it is unavailable, or what was found. */
  reason: string;
  deviceName: string;
  details: string;
}

/** Every backend with whether it is usable here and why (not). */
export function backends(): BackendInfo[] {
  return native.backends() as BackendInfo[];
}

/** Resolves 'auto' to 'cuda' when a GPU is usable, else 'cpu'; throws LoraBackendError for an unusable choice. */
export function resolveBackend(choice: BackendChoice = 'auto'): BackendName {
  const list = backends();
  if (choice === 'auto') return list.find((b) => b.name === 'cuda' && b.available) ? 'cuda' : 'cpu';
  const b = list.find((x) => x.name === choice);
  if (!b) throw new LoraBackendError(`unknown backend '${String(choice)}' (expected cpu, cuda or auto)`);
  if (!b.available) throw new LoraBackendError(`backend '${choice}' is unavailable: ${b.reason}`);
  return choice;
}

/**
 * Lets f32 GEMMs on the GPU use TF32 tensor cores (about 10 mantissa bits per input product, fp32 accumulation):
 * off by default, as in PyTorch. LoraBackendError when CUDA is unavailable. The CPU backend is unaffected.
 */
export function setAllowTf32(enabled: boolean): void {
  native.setAllowTf32(!!enabled);
}
