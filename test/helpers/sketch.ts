// The single-pass sketch update of one batch by its definition, in float64 with whole test matrices drawn as
// GradientSketch.test draws them (randn seed·8 + 1 … 5, in the sketch's dtype): what the native sketchUpdate, which
// draws them a block of columns at a time, must equal.
import { DType, Tensor } from '../../lib';
import { refMatmul } from './ref';

export interface SketchIncrements { Y: Float64Array; E: Float64Array; W: Float64Array; Z: Float64Array }

export function sketchIncrements(X: Tensor, dY: Tensor, seed: number, k: number, s: number, t: number, dtype: DType): SketchIncrements {
  const [T, inF] = X.shape, out = dY.shape[1];
  const x = X.toFloat64(), dy = dY.toFloat64();
  const test = (rows: number, cols: number, i: number) => Tensor.randn([rows, cols], dtype, 'cpu', seed * 8 + i).toFloat64();
  const om = test(inF, k, 1), ups = test(out, k, 2), phi = test(out, s, 3), psi = test(inF, s, 4), th = test(inF, t, 5);
  const xo = refMatmul(x, T, inF, om, inF, k), xt = refMatmul(x, T, inF, th, inF, t);
  const du = refMatmul(dy, T, out, ups, out, k), dp = refMatmul(dy, T, out, phi, out, s), xp = refMatmul(x, T, inF, psi, inF, s);
  return {
    Y: refMatmul(dy, T, out, xo, T, k, true),        // dYᵀ·(X·Ω)
    E: refMatmul(dy, T, out, xt, T, t, true),        // dYᵀ·(X·Θ)
    W: refMatmul(du, T, k, x, T, inF, true),         // (dY·Υ)ᵀ·X
    Z: refMatmul(dp, T, s, xp, T, s, true),          // (dY·Φ)ᵀ·(X·Ψ)
  };
}
