// The training API on CUDA tensors: LoraLinear, AdamW, LoRA-Pro's adjustment and LoRA-One's preconditioner give
// the same results on the GPU as on the CPU (same inputs; only f32 rounding differs).
import { AdamW, LoraLinear, Tensor, loraOnePrecondition, loraProAdjust } from '../../lib';
import { randTensor, relErr } from '../helpers/ref';
import { describeGpu } from './cuda';

const gpu = (t: Tensor) => t.toDevice('cuda');
// f32 GEMMs in a different order on each side: a few f32 ulps relative, 1e-5 leaves headroom.
const TOL = 1e-5;

describeGpu('CUDA training API', () => {
  const T = 20, inF = 24, out = 16, r = 4;
  const W = randTensor([out, inF], 1).t, A0 = randTensor([r, inF], 2, 'f32', 0.1).t, B0 = randTensor([out, r], 3, 'f32', 0.1).t;
  const x = randTensor([T, inF], 4).t, dY = randTensor([T, out], 5).t;

  test('LoraLinear forward/backward, gradient accumulation and two AdamW steps match the CPU', () => {
    const cpu = new LoraLinear(W.clone(), A0.clone(), B0.clone(), { alpha: 8 });
    const dev = new LoraLinear(gpu(W), gpu(A0), gpu(B0), { alpha: 8 });
    const optC = new AdamW(cpu.parameters(), { lr: 1e-2, weightDecay: 0.01 });
    const optG = new AdamW(dev.parameters(), { lr: 1e-2, weightDecay: 0.01 });
    for (let step = 0; step < 2; step++) {
      const yc = cpu.forward(x), yg = dev.forward(gpu(x));
      expect(yg.device).toBe('cuda');
      expect(relErr(yg.toFloat64(), yc.toFloat64())).toBeLessThan(TOL);
      const dxc = cpu.backward(dY)!, dxg = dev.backward(gpu(dY))!;
      cpu.forward(x); dev.forward(gpu(x));
      cpu.backward(dY, { accumulate: true }); dev.backward(gpu(dY), { accumulate: true });  // grads doubled
      expect(relErr(dxg.toFloat64(), dxc.toFloat64())).toBeLessThan(TOL);
      expect(relErr(dev.A.grad!.toFloat64(), cpu.A.grad!.toFloat64())).toBeLessThan(TOL);
      expect(relErr(dev.B.grad!.toFloat64(), cpu.B.grad!.toFloat64())).toBeLessThan(TOL);
      optC.step(); optG.step();
      optC.zeroGrad(); optG.zeroGrad();
    }
    expect(relErr(dev.A.value.toFloat64(), cpu.A.value.toFloat64())).toBeLessThan(TOL);
    expect(relErr(dev.B.value.toFloat64(), cpu.B.value.toFloat64())).toBeLessThan(TOL);
    dev.merge(); cpu.merge();
    expect(relErr(dev.W.toFloat64(), cpu.W.toFloat64())).toBeLessThan(TOL);
  });

  test('LoRA-Pro adjusted gradients (Sylvester X) match the CPU', () => {
    const gA = randTensor([r, inF], 6).t, gB = randTensor([out, r], 7).t;
    const c = loraProAdjust(A0, B0, gA, gB, 2);
    const g = loraProAdjust(gpu(A0), gpu(B0), gpu(gA), gpu(gB), 2);
    expect(g.gA.device).toBe('cuda');
    // (BᵀB)⁻¹ with B ~ 0.1 scale amplifies rounding: compare at 1e-4
    expect(relErr(g.gA.toFloat64(), c.gA.toFloat64())).toBeLessThan(1e-4);
    expect(relErr(g.gB.toFloat64(), c.gB.toFloat64())).toBeLessThan(1e-4);
  });

  test("LoRA-One's preconditioned gradients match the CPU", () => {
    const gA = randTensor([r, inF], 8).t, gB = randTensor([out, r], 9).t;
    const c = loraOnePrecondition(A0, B0, gA, gB, 1e-3);
    const g = loraOnePrecondition(gpu(A0), gpu(B0), gpu(gA), gpu(gB), 1e-3);
    expect(relErr(g.pA.toFloat64(), c.pA.toFloat64())).toBeLessThan(1e-4);
    expect(relErr(g.pB.toFloat64(), c.pB.toFloat64())).toBeLessThan(1e-4);
  });
});
