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

function load(): Native {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the addon's path is known only at run time
  const binding: Native = require(nativeBinaryPath());
  binding.init(errors);
  return binding;
}

export const native: Native = load();
