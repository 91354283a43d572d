// initLoraGA's inner entry points that take factors computed elsewhere (initAdapters' batched SVDs, a
// GradientEstimator's sketch): factors of another gradient must be refused, naming both shapes, not used as if they
// were G's.
import { LoraShapeError, LoraValueError, Tensor, svd } from '../lib';
import { initLoraGAFromSketchAsync, initLoraGAWithSvdAsync } from '../lib/init/loraga';

const cfg = { rank: 2, alpha: 4 };

describe('initLoraGA with a given SVD (initAdapters\' batched path)', () => {
  test('k is 2r + 1 capped at min(out, in): an SVD of a 6×4 G with 4 directions is the one expected for r = 2', async () => {
    const W = Tensor.randn([6, 4], 'f32', 'cpu', 1), G = Tensor.randn([6, 4], 'f32', 'cpu', 2);
    const res = await initLoraGAWithSvdAsync(W, G, svd(G, { k: 4 }), cfg);
    expect(res.A.shape).toEqual([2, 4]);
    expect(res.B.shape).toEqual([6, 2]);
  });

  test.each([
    ['U of another gradient height', [7, 4], [4, 4], [6, 4]],
    ['another number of directions', [6, 3], [3, 4], [6, 4]],
    ['Vt of another gradient width', [6, 5], [5, 7], [6, 8]],
  ])('%s is a LoraShapeError naming the SVD\'s gradient and the expected one', async (_, u, vt, gShape) => {
    const W = Tensor.randn(gShape, 'f32', 'cpu', 1), G = Tensor.randn(gShape, 'f32', 'cpu', 2);
    const given = { U: Tensor.zeros(u), S: Tensor.zeros([u[1]]), Vt: Tensor.zeros(vt) };
    const k = Math.min(5, gShape[0], gShape[1]);
    await expect(initLoraGAWithSvdAsync(W, G, given, cfg)).rejects.toThrow(LoraShapeError);
    await expect(initLoraGAWithSvdAsync(W, G, given, cfg)).rejects.toThrow(
      `initLoraGA: the SVD given is of a [${u[0]}, ${vt[1]}] gradient with ${u[1]} directions; expected [${gShape[0]}, ${gShape[1]}] with ${k}`);
  });
});

describe('initLoraGA from sketch factors', () => {
  const sketch = (out: number, inF: number, size: number) => ({
    U: Tensor.zeros([out, size]), S: Tensor.fromFloat64(Float64Array.from({ length: size }, (_, i) => size - i), [size]), Vt: Tensor.zeros([size, inF]),
    mode: 'single-pass' as const, passes: 1, errorEstimate: 0, energyEstimate: 1, normEstimate: 1, bytes: 0,
  });
  test.each([
    ['U of another height', [9, 6], [8, 6]],
    ['Vt of another width', [8, 7], [8, 6]],
  ])('factors of a gradient of another shape (%s) are a LoraShapeError naming both shapes', async (_, [out, inF], wShape) => {
    const W = Tensor.randn(wShape, 'f32', 'cpu', 1);
    const f = sketch(out, inF, 5);
    await expect(initLoraGAFromSketchAsync(W, f, cfg)).rejects.toThrow(LoraShapeError);
    await expect(initLoraGAFromSketchAsync(W, f, cfg)).rejects.toThrow(
      `initLoraGA: the sketch is of a [${out}, ${inF}] gradient, W is [${wShape[0]}, ${wShape[1]}] as [out, in]`);
  });

  test('a sketch of exactly 2r + 1 is enough; noReport skips the sketch report', async () => {
    const W = Tensor.randn([8, 6], 'f32', 'cpu', 1);
    const withReport = await initLoraGAFromSketchAsync(W, sketch(8, 6, 5), cfg);
    expect(withReport.A.shape).toEqual([2, 6]);
    expect(withReport.report?.method).toBe('sketch');
    expect((await initLoraGAFromSketchAsync(W, sketch(8, 6, 5), { ...cfg, noReport: true })).report).toBeUndefined();
  });

  test('a sketch narrower than 2r + 1 is a LoraValueError', async () => {
    await expect(initLoraGAFromSketchAsync(Tensor.randn([8, 6], 'f32', 'cpu', 1), sketch(8, 6, 4), cfg))
      .rejects.toThrow(new LoraValueError('initLoraGA: rank 2 needs a sketch of size ≥ 2r + 1 = 5, got 4'));
  });
});
