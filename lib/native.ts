/** Loads the compiled addon (prebuilt or local build) and registers our error classes with it. */
import * as path from 'path';
import type { BackendInfo } from '../types/backends';
import * as errors from './errors';

/* eslint-disable @typescript-eslint/no-explicit-any */

export interface Native {
  matmul(a: unknown, b: unknown, c: unknown, ta: boolean, tb: boolean, alpha: number, beta: number, async: boolean): any;
  gradAccumulate(g: unknown, dy: unknown, x: unknown, scale: number, async: boolean): any;
  svd(m: unknown, u: unknown, s: unknown, vt: unknown, method: number, oversample: number, powerIters: number,
      seed: number, async: boolean): any;
  orthonormalize(a: unknown, cholQr: boolean, async: boolean): any;
  loraForward(x: unknown, w: unknown, a: unknown, b: unknown, s: number, y: unknown, h: unknown, async: boolean): any;
  loraBackward(dy: unknown, x: unknown, w: unknown, a: unknown, b: unknown, s: number, h: unknown, dx: unknown,
               da: unknown, db: unknown, async: boolean): any;
  adamwStep(p: unknown, g: unknown, m: unknown, v: unknown, lr: number, beta1: number, beta2: number, eps: number,
            weightDecay: number, step: number, out: unknown, async: boolean): any;
  sgdStep(p: unknown, g: unknown, buf: unknown, lr: number, momentum: number, weightDecay: number, async: boolean): any;
  solve(a: unknown, b: unknown, async: boolean): any;
  copy(src: unknown, dst: unknown, async?: boolean): any;
  deviceAlloc(dtype: string, shape: readonly number[]): unknown;
  deviceFree(handle: unknown): void;
  setAllowTf32(on: boolean): void;
  allFinite(a: unknown): boolean;
  fillGaussian(a: unknown, seed: number): void;
  backends(): BackendInfo[];
  noop(): void;
  [extra: string]: any;
}

/** The file the addon was loaded from: $LORAGA_BINARY, else what node-gyp-build picks (a local build in
 *  build/Release when there is one, else the matching prebuilds/<platform>-<arch>/ binary). */
export function nativeBinaryPath(): string {
  const override = process.env.LORAGA_BINARY;
  if (override) return path.resolve(override);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- node-gyp-build has no types; loaded on demand
  return require('node-gyp-build').path(path.join(__dirname, '..')) as string;
}

/** OpenBLAS's idle threads spin (sched_yield) for 2^OPENBLAS_THREAD_TIMEOUT cycles after each threaded call: 2^28
 *  (≈ 0.1 s) by default. Between our calls that spinning takes a core (or its SMT sibling) from the single-threaded
 *  work and from the threads of our own split products (cpu/matmul.cc): the LoRA-GA init of the benchmark's 8
 *  modules took 95 ms with the default, 83 ms with 2^20 (≈ 0.3 ms, still far longer than the gap between the
 *  calls of one op). Read by OpenBLAS when the addon loads; a value the caller set is kept. */
const OPENBLAS_THREAD_TIMEOUT = '20';

function load(): Native {
  const ours = process.env.OPENBLAS_THREAD_TIMEOUT === undefined;
  if (ours) process.env.OPENBLAS_THREAD_TIMEOUT = OPENBLAS_THREAD_TIMEOUT;
  let binding: Native;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the addon's path is known only at run time
    binding = require(nativeBinaryPath());
  } finally {
    if (ours) delete process.env.OPENBLAS_THREAD_TIMEOUT; // not passed on to child processes
  }
  binding.init(errors);
  return binding;
}

export const native: Native = load();
