/** Learning-rate schedules: Hugging Face's factors at every step, applied to each group's own base rate. */
import { AdamW, LoraValueError, LrSchedule, Optimizer, Tensor, loraPlus, param } from '../lib';
import { pythonWith, runPython } from './helpers/train-python';

// transformers/optimization.py, transcribed (float(x) is a no-op on JS numbers).
const hf = {
  warm: (t: number, w: number) => t / Math.max(1, w),
  constant: (t: number, w: number) => (t < w ? t / Math.max(1.0, w) : 1.0),
  linear: (t: number, w: number, n: number) => (t < w ? t / Math.max(1, w) : Math.max(0.0, (n - t) / Math.max(1, n - w))),
  cosine: (t: number, w: number, n: number, c = 0.5) => {
    if (t < w) return t / Math.max(1, w);
    const progress = (t - w) / Math.max(1, n - w);
    return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * c * 2.0 * progress)));
  },
};

const layer = () => ({ A: param(Tensor.zeros([2, 3]), 'A'), B: param(Tensor.zeros([3, 2]), 'B') });
const cases = [
  { kind: 'constant' as const, warmupSteps: 3, totalSteps: 0, ref: (t: number) => hf.constant(t, 3) },
  { kind: 'linear' as const, warmupSteps: 3, totalSteps: 12, ref: (t: number) => hf.linear(t, 3, 12) },
  { kind: 'cosine' as const, warmupSteps: 3, totalSteps: 12, ref: (t: number) => hf.cosine(t, 3, 12) },
  { kind: 'cosine' as const, warmupSteps: 0, totalSteps: 7, ref: (t: number) => hf.cosine(t, 0, 7) },
];

describe('LrSchedule', () => {
  test.each(cases)('$kind (warmup $warmupSteps, total $totalSteps): every group at baseLr × HF factor, exactly, at every step through past the end', ({ ref, ...o }) => {
    const opt = loraPlus([layer()], { lr: 1e-3, ratio: 16 });
    const s = new LrSchedule(opt, o.kind === 'constant' ? { kind: 'constant', warmupSteps: o.warmupSteps } : o);
    for (let t = 0; t <= 14; t++) {
      expect(s.lastStep).toBe(t);
      expect(s.factor(t)).toBe(ref(t));
      expect(s.lrs()).toEqual([1e-3 * ref(t), 16e-3 * ref(t)]);
      s.step();
    }
  });

  test('LoRA+ groups keep their ratio 16 under warmup from 0 (defect: setLr overwrote every group)', () => {
    const opt = loraPlus([layer()], { lr: 1e-3, ratio: 16 });
    expect(opt.groups.map((g) => g.baseLr)).toEqual([1e-3, 16e-3]);
    const s = new LrSchedule(opt, { kind: 'linear', warmupSteps: 4, totalSteps: 10 });
    expect(s.lrs()).toEqual([0, 0]);             // factor(0) = 0 at the first step, as HF
    for (let t = 1; t <= 9; t++) {
      s.step();
      const [a, b] = s.lrs();
      expect(a).toBeGreaterThan(0);
      expect(b / a).toBeCloseTo(16, 12);
    }
    // setLr keeps the proportion of the base rates even after a rate of 0.
    opt.setLr(0);
    expect(opt.groups.map((g) => g.lr)).toEqual([0, 0]);
    opt.setLr(1e-3);
    expect(opt.groups.map((g) => g.lr)).toEqual([1e-3, 16e-3]);
  });

  test('the step after construction uses factor(0); AdamW steps with the scheduled lr', () => {
    const p = param(Tensor.from(new Float64Array([1, 1]), [1, 2], { writable: true }));
    const opt = new AdamW([p], { lr: 0.1 });
    new LrSchedule(opt, { kind: 'cosine', warmupSteps: 2, totalSteps: 4 });
    p.grad = Tensor.from(new Float64Array([1, -1]), [1, 2]);
    opt.step();                                  // lr 0 → no change
    expect(Array.from(p.value.data)).toEqual([1, 1]);
  });

  test('state dict restores the step and the rates; other options are refused; bad options are LoraValueError', () => {
    const opt = new AdamW([param(Tensor.zeros([2]))], { lr: 1 });
    const s = new LrSchedule(opt, { kind: 'cosine', warmupSteps: 2, totalSteps: 10 });
    for (let i = 0; i < 5; i++) s.step();
    const st = s.stateDict();
    const opt2 = new AdamW([param(Tensor.zeros([2]))], { lr: 1 });
    const s2 = new LrSchedule(opt2, { kind: 'cosine', warmupSteps: 2, totalSteps: 10 });
    s2.loadStateDict(st);
    expect(s2.lastStep).toBe(5);
    expect(s2.lrs()).toEqual(s.lrs());
    expect(() => new LrSchedule(opt2, { kind: 'linear', totalSteps: 9 }).loadStateDict(st)).toThrow(/kind/);
    expect(() => new LrSchedule(opt2, { kind: 'linear' })).toThrow(LoraValueError);                         // no total
    expect(() => new LrSchedule(opt2, { kind: 'cosine', totalSteps: 5, warmup: 1 } as never)).toThrow(/unknown option warmup/);
    expect(() => new LrSchedule(opt2, { kind: 'step' } as never)).toThrow(/kind/);
    expect(() => new LrSchedule({} as Optimizer, { kind: 'constant' })).toThrow(LoraValueError);
  });

  test('side by side with Hugging Face transformers (get_*_schedule_with_warmup on a torch optimizer with two groups)', () => {
    const py = pythonWith(['torch', 'transformers'], 'HF schedule comparison');
    if ('reason' in py) return;
    const code = `
import json, sys, torch, transformers as T
out = {}
for kind, w, n in [("constant", 3, 0), ("linear", 3, 12), ("cosine", 3, 12), ("cosine", 0, 7), ("linear", 10, 100), ("cosine", 10, 100)]:
    ps = [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))]
    opt = torch.optim.AdamW([{"params": [ps[0]], "lr": 1e-3}, {"params": [ps[1]], "lr": 1.6e-2}])
    s = (T.get_constant_schedule_with_warmup(opt, w) if kind == "constant" else
         T.get_linear_schedule_with_warmup(opt, w, n) if kind == "linear" else T.get_cosine_schedule_with_warmup(opt, w, n))
    rows = []
    for t in range(n + 3 if n else 8):
        rows.append([g["lr"] for g in opt.param_groups])
        opt.step(); s.step()
    out[f"{kind}/{w}/{n}"] = rows
print(json.dumps(out))`;
    const ref = JSON.parse(runPython(py.python, code)) as Record<string, number[][]>;
    let worst = 0, n = 0, equal = 0;
    for (const [key, rows] of Object.entries(ref)) {
      const [kind, w, total] = key.split('/');
      const opt = loraPlus([layer()], { lr: 1e-3, ratio: 16 });
      const s = new LrSchedule(opt, kind === 'constant' ? { kind: 'constant', warmupSteps: +w } : { kind: kind as 'linear', warmupSteps: +w, totalSteps: +total });
      for (const row of rows) {
        s.lrs().forEach((lr, g) => {
          // In units of the group's base rate, i.e. the deviation of the factor.
          worst = Math.max(worst, Math.abs(lr - row[g]) / opt.groups[g].baseLr);
          n++; equal += lr === row[g] ? 1 : 0;
        });
        s.step();
      }
    }
    console.log(`HF schedules: ${n} rates compared, ${equal} the same double, max deviation of the factor ${worst}`);
    // The same formulas in the same order: equal doubles, except where V8's Math.cos and libm's cos differ by an ulp
    // (which 0.5·(1 + cos) halves).
    expect(worst).toBeLessThanOrEqual(2 ** -53);
    expect(equal).toBeGreaterThan(0.95 * n);
  });
});
