/**
 * Rng (declared in types/train.d.ts): splitmix32, the generator of the inits (lib/init/rng.ts), with its one-word
 * state exposed so that a checkpoint can save it and a resumed run draws the same numbers.
 */
import type * as api from '../../types/train';
import { LoraValueError } from '../errors';

export type Rng = api.Rng;
export const Rng: typeof api.Rng = class Rng {
  private _s: number;

  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) throw new LoraValueError(`Rng: seed must be a non-negative integer, got ${String(seed)}`);
    // The same mixing of a (possibly large) seed into 32 bits as uniformRng.
    this._s = (Math.floor(seed) ^ Math.floor(seed / 2 ** 32) ^ 0x9e3779b9) >>> 0;
  }

  get state(): number {
    return this._s;
  }

  set state(s: number) {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > 0xffffffff) throw new LoraValueError(`Rng.state: expected a uint32, got ${String(s)}`);
    this._s = s;
  }

  next(): number {
    this._s = (this._s + 0x9e3779b9) >>> 0;
    let z = this._s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  }

  int(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) throw new LoraValueError(`Rng.int: n must be a positive integer, got ${String(n)}`);
    return Math.floor(this.next() * n);
  }

  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
};
