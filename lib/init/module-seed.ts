/**
 * The seed of one module in a whole-model init: a stable hash of (seed, module name), so that every module draws
 * its own random numbers (PEFT draws each module's A from the advancing global RNG) while a run stays reproducible,
 * and a module's init does not depend on which other modules are initialised or in what order.
 */
import { LoraValueError } from '../errors';
import { str } from '../show';

/** FNV-1a over the UTF-16 code units of `s`, from `basis` (32 bits). */
function fnv1a(s: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function moduleSeed(seed: number, name: string): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) throw new LoraValueError(`moduleSeed: seed must be a non-negative integer, got ${str(seed)}`);
  if (typeof name !== 'string') throw new LoraValueError('moduleSeed: name must be a string');
  const key = `${seed}\u0000${name}`;
  // 21 + 32 bits from two differently seeded hashes: a non-negative safe integer, as every init's seed must be.
  return (fnv1a(key, 0x811c9dc5) & 0x1fffff) * 2 ** 32 + fnv1a(key, 0x9e3779b9);
}
