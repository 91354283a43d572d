/**
 * Rng (lib/train/rng.ts), the seeded generator a training loop draws batches and shuffles with: reproducible from a
 * seed, resumable from its saved state, uniform, and the same stream as the inits' generator (lib/init/rng.ts).
 */
import { LoraValueError, Rng } from '../lib';
import { nextState, permutation, uniformRng } from '../lib/init/rng';

describe('Rng', () => {
  test('the same seed gives the same numbers; another seed, nearby or far, another stream', () => {
    const draw = (seed: number) => { const r = new Rng(seed); return Array.from({ length: 8 }, () => r.next()); };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(2 ** 40)).not.toEqual(draw(0));
  });

  test('next() is the inits\' uniform stream for the same seed', () => {
    for (const seed of [0, 1, 12345, 2 ** 33 + 5]) {
      const r = new Rng(seed), u = uniformRng(seed);
      for (let i = 0; i < 20; i++) expect(r.next()).toBe(u());
    }
  });

  test('next() is uniform in [0, 1); int(n) in [0, n) with every value about equally often', () => {
    const r = new Rng(3);
    let lo = 1, hi = 0, sum = 0;
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 20000; i++) {
      const x = r.next();
      lo = Math.min(lo, x); hi = Math.max(hi, x); sum += x;
      counts[r.int(5)]++;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.01);
    for (const c of counts) expect(Math.abs(c / 20000 - 0.2)).toBeLessThan(0.015);
    expect(new Rng(1).int(1)).toBe(0);
  });

  test('state: saved and set, the sequence resumes exactly where it was', () => {
    const a = new Rng(11);
    a.next(); a.next();
    const saved = a.state;
    expect(Number.isInteger(saved) && saved >= 0 && saved <= 0xffffffff).toBe(true);
    const rest = [a.next(), a.int(100), a.next()];
    const b = new Rng(999);
    b.state = saved;
    expect([b.next(), b.int(100), b.next()]).toEqual(rest);
    b.state = 0;
    b.state = 0xffffffff;
    expect(b.state).toBe(0xffffffff);
  });

  test('shuffle is an in-place permutation, the same for the same seed, the same as the inits\' permutation', () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    const out = new Rng(4).shuffle(a);
    expect(out).toBe(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(new Rng(4).shuffle(Array.from({ length: 50 }, (_, i) => i))).toEqual(a);
    expect(new Rng(9).shuffle(Array.from({ length: 10 }, (_, i) => i))).toEqual(permutation(10, 9));
    expect(new Rng(9).shuffle([])).toEqual([]);
    expect(new Rng(9).shuffle(['x'])).toEqual(['x']);
  });

  test('shuffling n items draws n − 1 numbers (Fisher–Yates), none for one item: the stream goes on where that leaves it', () => {
    for (const n of [0, 1, 2, 10]) {
      const r = new Rng(21), ref = new Rng(21);
      r.shuffle(Array.from({ length: n }, (_, i) => i));
      for (let k = 0; k < n - 1; k++) ref.next();
      expect([n, r.state]).toEqual([n, ref.state]);
      expect(r.next()).toBe(ref.next());
    }
  });

  test('a bad seed, state or n is a LoraValueError saying what was given', () => {
    for (const s of [-1, 1.5, NaN, 2 ** 53, '3' as never]) expect(() => new Rng(s)).toThrow(new LoraValueError(`Rng: seed must be a non-negative integer, got ${String(s)}`));
    const r = new Rng(0);
    for (const s of [-1, 0.5, 2 ** 32, '1' as never]) expect(() => { r.state = s; }).toThrow(new LoraValueError(`Rng.state: expected a uint32, got ${String(s)}`));
    for (const n of [0, -2, 2.5, Infinity]) expect(() => r.int(n)).toThrow(new LoraValueError(`Rng.int: n must be a positive integer, got ${String(n)}`));
  });
});

test('splitmix32 steps its state by the golden-ratio increment 0x9e3779b9 modulo 2^32', () => {
  expect([nextState(0), nextState(0xffffffff), nextState(0x61c88647)]).toEqual([0x9e3779b9, 0x9e3779b8, 0]);
});
