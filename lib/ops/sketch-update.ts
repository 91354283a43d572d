/**
 * sketchUpdate: one batch (X [T, in], dY [T, out]) folded into the single-pass sketches of G = Σ dYᵀ·X that a
 * GradientSketch keeps (lib/init/sketch.ts): Y += G·Ω, E += G·Θ, W += Υᵀ·G, Z += Φᵀ·G·Ψ, the test matrices drawn
 * from `seed` as the sketch draws them, a block of columns at a time, so that neither G nor a whole test matrix is
 * ever formed and the op's scratch is freed when it returns. Internal (the sketch's), not part of the public API.
 * native.sketchUpdate → csrc/binding/sketch_update.cc → Backend::sketchUpdate → csrc/composite/sketch_update.cc
 * (fillGaussianAt + Backend::matmul: cblas on the CPU, cuBLAS on the GPU).
 */
import { LoraShapeError, LoraValueError } from '../errors';
import { native } from '../native';
import { Tensor } from '../tensor';
import { dims2, fmt, live, matrix, noAlias, pending } from './check';
import { str } from '../show';

/** The largest sketch seed: its test matrices' seeds seed·8 + 1 … 5 are still exact JS integers. */
export const MAX_SKETCH_SEED = Math.floor((Number.MAX_SAFE_INTEGER - 5) / 8);

export interface SketchTensors {
  Y: Tensor;
  E: Tensor;
  W: Tensor | null;
  Z: Tensor | null;
}

function prepare(X: Tensor, dY: Tensor, seed: number, s: SketchTensors): void {
  live(X, 'sketchUpdate X');
  live(dY, 'sketchUpdate dY');
  for (const [t, name] of [[s.Y, 'Y'], [s.E, 'E'], [s.W, 'W'], [s.Z, 'Z']] as const) if (t) matrix(t, `sketchUpdate ${name}`, ['f32', 'f64']);
  const [tx, inF] = dims2(X), [ty, out] = dims2(dY);
  const k = s.Y.shape[1];
  if (tx !== ty || s.Y.shape[0] !== out || s.E.shape[0] !== out || (s.W && (s.W.shape[0] !== k || s.W.shape[1] !== inF)))
    throw new LoraShapeError(`sketchUpdate: X ${fmt(X)}, dY ${fmt(dY)}, Y ${fmt(s.Y)}, E ${fmt(s.E)}${s.W ? `, W ${fmt(s.W)}` : ''}: need X [T, in], dY [T, out], Y [out, k], E [out, t], W [k, in]`);
  noAlias([s.Y, s.E, s.W, s.Z].filter((t): t is Tensor => t !== null), [X, dY], 'sketchUpdate');
  // The test matrices are randn(seed·8 + 1 … 5): exact JS integers only up to this seed.
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > MAX_SKETCH_SEED) throw new LoraValueError(`sketchUpdate: seed must be an integer in [0, ${MAX_SKETCH_SEED}], got ${str(seed)}`);
}

export function sketchUpdate(X: Tensor, dY: Tensor, seed: number, s: SketchTensors): void {
  prepare(X, dY, seed, s);
  native.sketchUpdate(X, dY, seed, s.Y, s.E, s.W, s.Z, false);
}

export function sketchUpdateAsync(X: Tensor, dY: Tensor, seed: number, s: SketchTensors): Promise<void> {
  prepare(X, dY, seed, s);
  return pending(() => native.sketchUpdate(X, dY, seed, s.Y, s.E, s.W, s.Z, true), undefined);
}
