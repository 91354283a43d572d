/** Seeded randomness for the inits: a small, reproducible PRNG (splitmix32), uniform floats and permutations. */

/** Returns a generator of uniform floats in [0, 1), deterministic for a given integer seed. */
export function uniformRng(seed: number): () => number {
  let s = seedState(seed);
  return () => {
    s = nextState(s);
    return uniformOf(s);
  };
}

/** The generator's 32-bit state for a (possibly large) seed: nearby seeds give unrelated streams. */
export function seedState(seed: number): number {
  return (Math.floor(seed) ^ Math.floor(seed / 2 ** 32) ^ 0x9e3779b9) >>> 0;
}

/** splitmix32: the state after one draw. */
export function nextState(s: number): number {
  return (s + 0x9e3779b9) >>> 0;
}

/** splitmix32: the uniform float in [0, 1) a state gives. */
export function uniformOf(s: number): number {
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  z = (z ^ (z >>> 16)) >>> 0;
  return z / 4294967296;
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, seed: number): number[] {
  const rand = uniformRng(seed);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
