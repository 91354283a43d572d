/** Seeded randomness for the inits: a small, reproducible PRNG (splitmix32), uniform floats and permutations. */
/** Returns a generator of uniform floats in [0, 1), deterministic for a given integer seed. */
export declare function uniformRng(seed: number): () => number;
/** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
export declare function permutation(n: number, seed: number): number[];
