// Fused LoRA forward (decode kernel for T ≤ 16, cuBLAS path above) and backward on the GPU vs the CPU backend and
// float64 references.
import { DType, Tensor, loraBackward, loraForward, loraForwardAsync } from '../../lib';
import { randTensor, refMatmul, relErr } from '../helpers/ref';
import { describeGpu } from './cuda';

const inF = 300, out = 70, r = 6, s = 2.5; // in not a multiple of the kernel's 256-column chunk, out not of 32 rows
const gpu = (t: Tensor) => t.toDevice('cuda');

function layer(T: number, dt: DType, seed: number) {
  return {
    x: randTensor([T, inF], seed, dt), W: randTensor([out, inF], seed + 1, dt),
    A: randTensor([r, inF], seed + 2, dt), B: randTensor([out, r], seed + 3, dt),
  };
}
function refForward(T: number, L: ReturnType<typeof layer>): Float64Array {
  const y = refMatmul(L.x.v, T, inF, L.W.v, out, inF, false, true);
  const h = refMatmul(L.x.v, T, inF, L.A.v, r, inF, false, true);
  const d = refMatmul(h, T, r, L.B.v, out, r, false, true);
  return y.map((v, i) => v + s * d[i]);
}

describeGpu('CUDA loraForward', () => {
  const cases: [number, DType][] = [];
  for (const T of [1, 3, 8, 16, 17, 200]) for (const dt of ['f32', 'bf16', 'f16'] as DType[]) cases.push([T, dt]);
  test.each(cases)('T=%i, %s: y and h match float64', (T, dt) => {
    const L = layer(T, dt, T * 10);
    const { y, h } = loraForward(gpu(L.x.t), gpu(L.W.t), gpu(L.A.t), gpu(L.B.t), s);
    expect(y.device).toBe('cuda');
    expect(relErr(y.toFloat64(), refForward(T, L))).toBeLessThan(3e-6); // fp32 accumulation, inputs as stored
    expect(relErr(h!.toFloat64(), refMatmul(L.x.v, T, inF, L.A.v, r, inF, false, true))).toBeLessThan(3e-6);
  });

  test.each([4, 64])('bf16 output (T=%i) is the CPU result within bf16 rounding', (T) => {
    const L = layer(T, 'bf16', 77);
    const g = loraForward(gpu(L.x.t), gpu(L.W.t), gpu(L.A.t), gpu(L.B.t), s, { dtype: 'bf16', saveH: false });
    const c = loraForward(L.x.t, L.W.t, L.A.t, L.B.t, s, { dtype: 'bf16', saveH: false });
    expect(g.h).toBeNull();
    expect(relErr(g.y.toFloat64(), c.y.toFloat64())).toBeLessThan(4e-3); // one bf16 ulp is 2^-8 relative
  });

  test.each(['f32', 'bf16', 'f16'] as DType[])('%s W with in a multiple of 8 (the 16-byte vector loads) past one 512-column chunk matches float64', (dt) => {
    const n = 520, o = 37, T = 5;
    const x = randTensor([T, n], 61, dt), W = randTensor([o, n], 62, dt), A = randTensor([r, n], 63, dt), B = randTensor([o, r], 64, dt);
    const { y } = loraForward(gpu(x.t), gpu(W.t), gpu(A.t), gpu(B.t), s);
    const h = refMatmul(x.v, T, n, A.v, r, n, false, true), d = refMatmul(h, T, r, B.v, o, r, false, true);
    const want = refMatmul(x.v, T, n, W.v, o, n, false, true).map((v, i) => v + s * d[i]);
    expect(relErr(y.toFloat64(), want)).toBeLessThan(3e-6);
  });

  test.each(['f32', 'bf16'] as DType[])('%s: a NaN in one weight row stays in that output row (no reads past a row end)', (dt) => {
    const n = 520, o = 37, T = 3;  // rows of 16-byte vectors: a read past a row's end would touch the next row
    const x = randTensor([T, n], 71, dt), A = randTensor([r, n], 73, dt), B = randTensor([o, r], 74, dt);
    const Wv = Float64Array.from(randTensor([o, n], 72, 'f64').v);
    Wv[n] = NaN;  // row 1, column 0
    const { y } = loraForward(gpu(x.t), gpu(Tensor.fromFloat64(Wv, [o, n], dt)), gpu(A.t), gpu(B.t), s);
    const v = y.toFloat64();
    const bad: number[] = [];
    for (let t = 0; t < T; t++) for (let j = 0; j < o; j++) if (Number.isNaN(v[t * o + j]) !== (j === 1)) bad.push(t * o + j);
    expect(bad).toEqual([]);
  });

  test('async form resolves with the sync result', async () => {
    const L = layer(8, 'bf16', 5);
    const [x, W, A, B] = [gpu(L.x.t), gpu(L.W.t), gpu(L.A.t), gpu(L.B.t)];
    const a = loraForward(x, W, A, B, s), b = await loraForwardAsync(x, W, A, B, s);
    expect(Array.from(b.y.toFloat64())).toEqual(Array.from(a.y.toFloat64()));
  });
});

describeGpu('CUDA loraBackward', () => {
  test.each([[4, 'bf16'], [100, 'f32'], [100, 'bf16']] as [number, DType][])('T=%i, %s: dX, dA, dB match the CPU and float64 from the stored values', (T, dt) => {
    const L = layer(T, dt, 400 + T);
    const dY = randTensor([T, out], 9, dt);
    const g = loraBackward(gpu(dY.t), gpu(L.x.t), gpu(L.W.t), gpu(L.A.t), gpu(L.B.t), s);
    const c = loraBackward(dY.t, L.x.t, L.W.t, L.A.t, L.B.t, s);
    expect(relErr(g.dX!.toFloat64(), c.dX!.toFloat64())).toBeLessThan(3e-6); // both fp32 accumulation
    expect(relErr(g.dA.toFloat64(), c.dA.toFloat64())).toBeLessThan(3e-6);
    expect(relErr(g.dB.toFloat64(), c.dB.toFloat64())).toBeLessThan(3e-6);
    // …and float64 from the stored values (CPU and GPU share composite/lora.cc: only this catches a bug there)
    const dYB = refMatmul(dY.v, T, out, L.B.v, out, r);                                     // dY·B   [T, r]
    const h = refMatmul(L.x.v, T, inF, L.A.v, r, inF, false, true);                         // x·Aᵀ   [T, r]
    const dA = refMatmul(dYB, T, r, L.x.v, T, inF, true).map((v) => s * v);
    const dB = refMatmul(dY.v, T, out, h, T, r, true).map((v) => s * v);
    const dyba = refMatmul(dYB, T, r, L.A.v, r, inF);
    const dX = refMatmul(dY.v, T, out, L.W.v, out, inF).map((v, i) => v + s * dyba[i]);
    expect(relErr(g.dX!.toFloat64(), dX)).toBeLessThan(3e-6);
    expect(relErr(g.dA.toFloat64(), dA)).toBeLessThan(3e-6);
    expect(relErr(g.dB.toFloat64(), dB)).toBeLessThan(3e-6);
  });
});
