/**
 * Rng (declared in types/train.d.ts): splitmix32, the generator of the inits (lib/init/rng.ts), with its one-word
 * state exposed so that a checkpoint can save it and a resumed run draws the same numbers.
 */
import type * as api from '../../types/train';
import { LoraValueError } from '../errors';
import { nextState, seedState, uniformOf } from '../init/rng';
import { str } from '../show';

export type Rng = api.Rng;
export const Rng: typeof api.Rng = class Rng {
  private _s: number;

  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) throw new LoraValueError(`Rng: seed must be a non-negative integer, got ${str(seed)}`);
    this._s = seedState(seed);
  }

  get state(): number {
    return this._s;
  }

  set state(s: number) {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > 0xffffffff) throw new LoraValueError(`Rng.state: expected a uint32, got ${str(s)}`);
    this._s = s;
  }

  next(): number {
    this._s = nextState(this._s);
    return uniformOf(this._s);
  }

  int(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) throw new LoraValueError(`Rng.int: n must be a positive integer, got ${str(n)}`);
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
