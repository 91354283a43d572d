// The training API on CUDA tensors: LoraLinear, AdamW, LoRA-Pro's adjustment and LoRA-One's preconditioner give
// the same results on the GPU as on the CPU (same inputs; only f32 rounding differs), and as float64 statements of
// each (the backends share composite code, so agreeing with the CPU alone could hide a bug in it).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AdamW, LoraLinear, Tensor, loadCheckpoint, loraOnePrecondition, loraProAdjust, param, saveCheckpoint } from '../../lib';
import { add, eye, refSolve, refSylvester, scale } from '../helpers/linalg';
import { randTensor, refMatmul, relErr, transpose } from '../helpers/ref';
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

  test('the same loop against float64 statements: y, dX, accumulated grads, two AdamW steps and the merge', () => {
    // s = α/r = 2. y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ; dX = dY·W + s·(dY·B)·A; dA = s·(dY·B)ᵀ·x; dB = s·dYᵀ·(x·Aᵀ), doubled by the
    // accumulated second backward; AdamW (β 0.9/0.999, ε 1e-8, wd 0.01, lr 1e-2). The CPU and GPU share
    // composite/lora.cc and core/optim_rules.h, so only this catches a bug there.
    const s = 2, lr = 1e-2, wd = 0.01;
    const dev = new LoraLinear(gpu(W), gpu(A0), gpu(B0), { alpha: 8 });
    const opt = new AdamW(dev.parameters(), { lr, weightDecay: wd });
    const w = W.toFloat64(), xv = x.toFloat64(), dy = dY.toFloat64();
    let a = A0.toFloat64(), b = B0.toFloat64();
    const ma = new Float64Array(a.length), va = new Float64Array(a.length), mb = new Float64Array(b.length), vb = new Float64Array(b.length);
    const adamw = (p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, t: number) => p.map((pi, i) => {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      return pi - lr * (m[i] / (1 - 0.9 ** t) / (Math.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8) + wd * pi);
    });
    for (let t = 1; t <= 2; t++) {
      const h = refMatmul(xv, T, inF, a, r, inF, false, true);
      const y = refMatmul(xv, T, inF, w, out, inF, false, true).map((u, i) => u + s * refMatmul(h, T, r, b, out, r, false, true)[i]);
      const dyB = refMatmul(dy, T, out, b, out, r);
      const dx = refMatmul(dy, T, out, w, out, inF).map((u, i) => u + s * refMatmul(dyB, T, r, a, r, inF)[i]);
      const gA = refMatmul(dyB, T, r, xv, T, inF, true).map((u) => 2 * s * u);
      const gB = refMatmul(dy, T, out, h, T, r, true).map((u) => 2 * s * u);
      expect(relErr(dev.forward(gpu(x)).toFloat64(), y)).toBeLessThan(TOL);
      expect(relErr(dev.backward(gpu(dY))!.toFloat64(), dx)).toBeLessThan(TOL);
      dev.forward(gpu(x));
      dev.backward(gpu(dY), { accumulate: true });
      expect(relErr(dev.A.grad!.toFloat64(), gA)).toBeLessThan(TOL);
      expect(relErr(dev.B.grad!.toFloat64(), gB)).toBeLessThan(TOL);
      opt.step();
      opt.zeroGrad();
      a = adamw(a, gA, ma, va, t);
      b = adamw(b, gB, mb, vb, t);
      expect(relErr(dev.A.value.toFloat64(), a)).toBeLessThan(TOL);
      expect(relErr(dev.B.value.toFloat64(), b)).toBeLessThan(TOL);
    }
    dev.merge();
    const ba = refMatmul(b, out, r, a, r, inF);
    expect(relErr(dev.W.toFloat64(), w.map((u, i) => u + s * ba[i]))).toBeLessThan(TOL);
  });

  test('LoRA-Pro adjusted gradients (Sylvester X) match the CPU and the float64 closed form', () => {
    const gA = randTensor([r, inF], 6).t, gB = randTensor([out, r], 7).t;
    const c = loraProAdjust(A0, B0, gA, gB, 2);
    const g = loraProAdjust(gpu(A0), gpu(B0), gpu(gA), gpu(gB), 2);
    expect(g.gA.device).toBe('cuda');
    // (BᵀB)⁻¹ with B ~ 0.1 scale amplifies rounding: compare at 1e-4
    expect(relErr(g.gA.toFloat64(), c.gA.toFloat64())).toBeLessThan(1e-4);
    expect(relErr(g.gB.toFloat64(), c.gB.toFloat64())).toBeLessThan(1e-4);
    // …and the paper's closed form in float64 (Theorems 2.1–2.2, δ = 0), from the same f32 values:
    // X solves BᵀB·X + X·AAᵀ = −(1/s²)·(BᵀB)⁻¹·gA·Aᵀ; gA' = (1/s²)(BᵀB)⁻¹gA + X·A; gB' = (1/s²)(I − P_B)·gB·(AAᵀ)⁻¹ − B·X.
    const s = 2, a = A0.toFloat64(), b = B0.toFloat64(), ga = gA.toFloat64(), gb = gB.toFloat64();
    const d = loraProAdjust(gpu(A0), gpu(B0), gpu(gA), gpu(gB), s, { delta: 0 });
    const BtB = refMatmul(b, out, r, b, out, r, true, false), AAt = refMatmul(a, r, inF, a, r, inF, false, true);
    const T1 = refSolve(BtB, ga, r, inF);
    const X = refSylvester(BtB, AAt, scale(refMatmul(T1, r, inF, a, r, inF, false, true), -1 / (s * s)), r);
    const PB = refMatmul(b, out, r, refSolve(BtB, transpose(b, out, r), r, out), r, out);
    const proj = add(gb, refMatmul(PB, out, out, gb, out, r), -1);
    const right = transpose(refSolve(AAt, transpose(proj, out, r), r, out), r, out);
    expect(relErr(d.gA.toFloat64(), add(scale(T1, 1 / (s * s)), refMatmul(X, r, r, a, r, inF)))).toBeLessThan(1e-4);
    expect(relErr(d.gB.toFloat64(), add(scale(right, 1 / (s * s)), refMatmul(b, out, r, X, r, r), -1))).toBeLessThan(1e-4);
  });

  test("LoRA-One's preconditioned gradients match the CPU and float64 solves", () => {
    const gA = randTensor([r, inF], 8).t, gB = randTensor([out, r], 9).t;
    const c = loraOnePrecondition(A0, B0, gA, gB, 1e-3);
    const g = loraOnePrecondition(gpu(A0), gpu(B0), gpu(gA), gpu(gB), 1e-3);
    expect(relErr(g.pA.toFloat64(), c.pA.toFloat64())).toBeLessThan(1e-4);
    expect(relErr(g.pB.toFloat64(), c.pB.toFloat64())).toBeLessThan(1e-4);
    // …and the float64 statement: pA = (BᵀB + λI)⁻¹·gA, pB = gB·(AAᵀ + λI)⁻¹.
    const a = A0.toFloat64(), b = B0.toFloat64();
    const BtB = add(refMatmul(b, out, r, b, out, r, true, false), eye(r, 1e-3)), AAt = add(refMatmul(a, r, inF, a, r, inF, false, true), eye(r, 1e-3));
    expect(relErr(g.pA.toFloat64(), refSolve(BtB, gA.toFloat64(), r, inF))).toBeLessThan(1e-4);
    expect(relErr(g.pB.toFloat64(), refMatmul(gB.toFloat64(), out, r, refSolve(AAt, eye(r), r, r), r, r))).toBeLessThan(1e-4);
  });

  test('clipGradNorm of device gradients: the global norm before clipping (float64 reference), and each gradient scaled on the device', () => {
    const ga = randTensor([7, 33], 11), gb = randTensor([65], 12);
    const a = param(gpu(randTensor([7, 33], 13).t)), b = param(gpu(randTensor([65], 14).t));
    a.grad = gpu(ga.t); b.grad = gpu(gb.t);
    const opt = new AdamW([a, b], { lr: 1 });
    let n2 = 0;
    for (const v of [...ga.v, ...gb.v]) n2 += v * v;
    const norm = Math.sqrt(n2), coef = 0.5 / (norm + 1e-6);
    expect(norm).toBeGreaterThan(1);
    // f32 gradients: the norm is summed on the device in f32, so relative 1e-5.
    expect(Math.abs(opt.clipGradNorm(0.5) - norm) / norm).toBeLessThan(TOL);
    expect(a.grad!.device).toBe('cuda');
    expect(relErr(a.grad!.toFloat64(), ga.v.map((v) => v * coef))).toBeLessThan(TOL);
    expect(relErr(b.grad!.toFloat64(), gb.v.map((v) => v * coef))).toBeLessThan(TOL);
  });

  test('a checkpoint of device params and moments: saved through host copies, loaded back into device params bit for bit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-gpu-ckpt-'));
    try {
      const mk = () => {
        const a = param(gpu(randTensor([7, 33], 21).t), 'a'), b = param(gpu(randTensor([65], 22).t), 'b');
        return { a, b, opt: new AdamW([a, b], { lr: 1e-2 }) };
      };
      const run = mk();
      run.a.grad = gpu(randTensor([7, 33], 23).t); run.b.grad = gpu(randTensor([65], 24).t);
      run.opt.step();
      await saveCheckpoint(path.join(dir, 'ck'), { optimizer: run.opt });
      // The saving run's own tensors stay on the device and usable.
      expect(run.a.value.device).toBe('cuda');
      expect(run.a.value.toFloat64().length).toBe(7 * 33);
      const resumed = mk();
      expect(await loadCheckpoint(path.join(dir, 'ck'), { optimizer: resumed.opt })).toEqual({ step: 1, extra: null });
      expect(resumed.a.value.device).toBe('cuda');
      for (const k of ['a', 'b'] as const) expect(Array.from(resumed[k].value.toFloat64())).toEqual(Array.from(run[k].value.toFloat64()));
      const s0 = run.opt.stateDict().state, s1 = resumed.opt.stateDict().state;
      expect(Object.keys(s1).sort()).toEqual(Object.keys(s0).sort());
      for (const k of Object.keys(s0)) expect(Array.from(s1[k].toFloat64())).toEqual(Array.from(s0[k].toFloat64()));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
