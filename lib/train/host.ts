/**
 * The few element-wise helpers the training API needs that are not GEMMs: identity matrices for the r×r systems,
 * dst += α·src for gradient accumulation, and the dropout mask. scaledEye and addScaled work on any device; the
 * dropout helpers are host loops.
 */
import type { Device } from '../../types/tensor';
import { Tensor } from '../tensor';
import { native } from '../native';
import { matmul } from '../ops/matmul';
import { LoraShapeError } from '../errors';
import { fmt } from '../ops/check';

/** λ·I (n×n) in dtype, on `device` (built on the host: it is only r×r). */
export function scaledEye(n: number, lambda: number, dtype: 'f32' | 'f64', device: Device = 'cpu'): Tensor {
  const t = Tensor.zeros([n, n], dtype);
  const d = t.data;
  for (let i = 0; i < n; i++) d[i * n + i] = lambda;
  if (device === 'cpu') return t;
  const dev = t.toDevice(device);
  t.dispose();
  return dev;
}

/**
 * dst += alpha·src (same size; dst f32/f64), on whatever device both live: an axpy written as a k = 1 GEMM,
 * [1, n] += alpha·[1, 1]·[1, n], so it goes through the backend (BLAS or cuBLAS) like every other op.
 */
export function addScaled(dst: Tensor, src: Tensor, alpha = 1): Tensor {
  if (dst.size !== src.size) throw new LoraShapeError(`addScaled: ${fmt(src)} does not match ${fmt(dst)}`);
  const one = scaledEye(1, 1, dst.dtype === 'f64' ? 'f64' : 'f32', dst.device);
  matmul(one, src.reshape([1, src.size]), { alpha, beta: 1, out: dst.reshape([1, dst.size]) });
  one.dispose();
  return dst;
}

/** dst ← src (same size; any dtypes and devices), in place: the tensor objects others hold stay valid. */
export function assign(dst: Tensor, src: Tensor): Tensor {
  if (dst.size !== src.size) throw new LoraShapeError(`assign: ${fmt(src)} does not match ${fmt(dst)}`);
  native.copy(src.reshape(dst.shape), dst);
  return dst;
}

/** ‖g‖² in float64 on the host; on a device, one k = n GEMM g·gᵀ there (only the scalar comes back). */
export function gradNorm2(g: Tensor): number {
  if (g.device === 'cpu') {
    const d = g.dtype === 'f32' || g.dtype === 'f64' ? g.data : g.toFloat64();
    let acc = 0;
    for (let i = 0; i < d.length; i++) acc += d[i] * d[i];
    return acc;
  }
  const row = g.reshape([1, g.size]);
  const dot = matmul(row, row, { transB: true });
  const v = dot.toHost().data[0];
  dot.dispose();
  return v;
}

/** g ← c·g in place (host f32/f64: a loop; otherwise c·g through a GEMM, copied back). */
export function scaleInPlace(g: Tensor, c: number): void {
  if (g.device === 'cpu' && (g.dtype === 'f32' || g.dtype === 'f64')) {
    const d = g.data;
    for (let i = 0; i < d.length; i++) d[i] *= c;
    return;
  }
  const one = scaledEye(1, c, 'f32', g.device);
  const scaled = matmul(one, g.reshape([1, g.size]));
  assign(g, scaled);
  one.dispose();
  scaled.dispose();
}

/** A column of n ones in dtype on `device` (the GEMM operand that broadcasts or sums a bias over tokens). */
function ones(n: number, dtype: 'f32' | 'f64', device: Device): Tensor {
  const t = Tensor.zeros([n, 1], dtype);
  t.data.fill(1);
  if (device === 'cpu') return t;
  const dev = t.toDevice(device);
  t.dispose();
  return dev;
}

/** y [T, out] += 1·bᵀ: the bias added to every token, as a k = 1 GEMM (ones [T, 1] · b [1, out]). */
export function addBias(y: Tensor, b: Tensor): void {
  const [T, out] = [y.size / b.size, b.size];
  const one = ones(T, y.dtype === 'f64' ? 'f64' : 'f32', y.device);
  matmul(one, b.reshape([1, out]), { beta: 1, out: y.reshape([T, out]) });
  one.dispose();
}

/** db [out] (+)= Σ_tokens dY [T, out]: onesᵀ·dY, a GEMM; `accumulate` adds to db instead of overwriting it. */
export function biasGrad(dY: Tensor, out: number, db: Tensor | null, dtype: 'f32' | 'f64'): Tensor {
  const T = dY.size / out;
  const one = ones(T, dtype, dY.device);
  const dst = db ?? Tensor.zeros([out], dtype, dY.device);
  matmul(one, dY.reshape([T, out]), { transA: true, beta: db ? 1 : 0, out: dst.reshape([1, out]) });
  one.dispose();
  return dst;
}

/** Mulberry32 → inverted-dropout multipliers: 0 with probability p, else 1/(1−p). Deterministic for a seed. */
export function dropoutMask(n: number, p: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const keep = 1 / (1 - p), m = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    m[i] = u < p ? 0 : keep;
  }
  return m;
}

/** out[i] = x[i]·mask[i], in x's compute dtype (f32 unless x is f64). */
export function applyMask(x: Tensor, mask: Float32Array): Tensor {
  const src = x.dtype === 'f32' || x.dtype === 'f64' ? x : x.to('f32');
  const out = Tensor.zeros(x.shape, src.dtype);
  const s = src.data, o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = s[i] * mask[i];
  return out;
}

/** dst[i] += src[i]·mask[i]. */
export function addMasked(dst: Tensor, src: Tensor, mask: Float32Array): void {
  const d = dst.data, s = src.data;
  for (let i = 0; i < d.length; i++) d[i] += s[i] * mask[i];
}
