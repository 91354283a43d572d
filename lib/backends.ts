/**
 * Which compute backends this process can use, and the default one (declared in types/backends.d.ts).
 * native.backends / setAllowTf32 → csrc/binding/backends.cc → csrc/backends.cc (the registry of backends).
 */
import type { BackendChoice, BackendInfo, BackendName } from '../types/backends';
import { native } from './native';
import { LoraBackendError } from './errors';
import { str } from './show';

export function backends(): BackendInfo[] {
  return native.backends();
}

export function resolveBackend(choice: BackendChoice = 'auto'): BackendName {
  const list = backends();
  if (choice === 'auto') return list.find((b) => b.name === 'cuda' && b.available) ? 'cuda' : 'cpu';
  const b = list.find((x) => x.name === choice);
  if (!b) throw new LoraBackendError(`unknown backend '${str(choice)}' (expected cpu, cuda or auto)`);
  if (!b.available) throw new LoraBackendError(`backend '${choice}' is unavailable: ${b.reason}`);
  return choice;
}

export function setAllowTf32(enabled: boolean): void {
  native.setAllowTf32(!!enabled);
}
