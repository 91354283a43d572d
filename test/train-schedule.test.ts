import { AdamW, LoraValueError, LrSchedule, Optimizer, SGD, Tensor, loraPlus, param } from '../lib';
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

describe('LrSchedule options and state: each refusal says what is wrong', () => {
  const opt = () => new SGD([param(Tensor.zeros([2], 'f64'))], { lr: 1 });

  test('kind, step counts and cycles', () => {
    expect(() => new LrSchedule(opt(), { kind: 'step' } as never)).toThrow(new LoraValueError('LrSchedule kind: expected one of constant, linear, cosine, got "step"'));
    expect(() => new LrSchedule(opt(), null as never)).toThrow(LoraValueError);
    // No options at all: the same typed refusal (not a TypeError from reading undefined.kind).
    expect(() => new LrSchedule(opt(), undefined as never)).toThrow(new LoraValueError('LrSchedule kind: expected one of constant, linear, cosine, got undefined'));
    expect(() => new LrSchedule(opt(), { kind: 'constant', total_steps: 4 } as never)).toThrow(/^LrSchedule: unknown option total_steps \(did you mean totalSteps\?\)/);
    expect(() => new LrSchedule(opt(), { kind: 'constant', totalSteps: -1 })).toThrow(new LoraValueError('LrSchedule totalSteps: expected a non-negative integer, got -1'));
    expect(() => new LrSchedule({} as never, { kind: 'constant' })).toThrow(new LoraValueError('LrSchedule: expected an Optimizer'));
    expect(() => new LrSchedule(opt(), { kind: 'linear' })).toThrow(new LoraValueError('LrSchedule totalSteps (required for a decay): expected a non-negative integer, got undefined'));
    expect(() => new LrSchedule(opt(), { kind: 'linear', totalSteps: 10, warmupSteps: 1.5 })).toThrow(new LoraValueError('LrSchedule warmupSteps: expected a non-negative integer, got 1.5'));
    expect(() => new LrSchedule(opt(), { kind: 'linear', totalSteps: -1 })).toThrow(/totalSteps/);
    expect(() => new LrSchedule(opt(), { kind: 'linear', totalSteps: 10, numCycles: 1 })).toThrow(new LoraValueError('LrSchedule numCycles: only the cosine schedule has cycles'));
    expect(() => new LrSchedule(opt(), { kind: 'cosine', totalSteps: 10, numCycles: NaN })).toThrow(/LrSchedule numCycles/);
    expect(new LrSchedule(opt(), { kind: 'constant' }).options).toEqual({ kind: 'constant', warmupSteps: 0, totalSteps: 0, numCycles: 0.5 });
    expect(new LrSchedule(opt(), { kind: 'cosine', totalSteps: 4 }).options).toEqual({ kind: 'cosine', warmupSteps: 0, totalSteps: 4, numCycles: 0.5 });
  });

  test('factor(t) of each kind at its corners, as transformers computes it', () => {
    const c = new LrSchedule(opt(), { kind: 'constant', warmupSteps: 4 });
    expect([0, 1, 4, 100].map((t) => c.factor(t))).toEqual([0, 0.25, 1, 1]);
    const l = new LrSchedule(opt(), { kind: 'linear', warmupSteps: 2, totalSteps: 10 });
    expect([0, 1, 2, 6, 10, 12].map((t) => l.factor(t))).toEqual([0, 0.5, 1, 0.5, 0, 0]);
    const k = new LrSchedule(opt(), { kind: 'cosine', warmupSteps: 0, totalSteps: 4 });
    expect([0, 2, 4].map((t) => k.factor(t))).toEqual([1, 0.5 * (1 + Math.cos(Math.PI * 0.5)), 0]);
    const k2 = new LrSchedule(opt(), { kind: 'cosine', totalSteps: 4, numCycles: 1 });
    expect(k2.factor(2)).toBe(0);
    expect(k2.factor(4)).toBe(1);
    expect(() => l.factor(-1)).toThrow(new LoraValueError('LrSchedule.factor step: expected a non-negative integer, got -1'));
    expect(new LrSchedule(opt(), { kind: 'linear', totalSteps: 0 }).factor(0)).toBe(0);
  });

  test('loadStateDict takes only a state of the same options, and a valid step', () => {
    const a = new LrSchedule(opt(), { kind: 'linear', warmupSteps: 2, totalSteps: 10 });
    a.step(); a.step(); a.step();
    const st = a.stateDict();
    expect(st).toEqual({ kind: 'linear', warmupSteps: 2, totalSteps: 10, numCycles: 0.5, lastStep: 3 });
    const b = new LrSchedule(opt(), { kind: 'linear', warmupSteps: 2, totalSteps: 10 });
    expect(() => b.loadStateDict(null as never)).toThrow(new LoraValueError('LrSchedule.loadStateDict: expected an LrScheduleState'));
    expect(() => b.loadStateDict({ ...st, totalSteps: 11 })).toThrow(new LoraValueError('LrSchedule.loadStateDict: totalSteps is 11 in the state but 10 here'));
    expect(() => b.loadStateDict({ ...st, lastStep: -2 })).toThrow(/LrSchedule\.loadStateDict lastStep/);
    b.loadStateDict(st);
    expect({ lastStep: b.lastStep, lrs: b.lrs() }).toEqual({ lastStep: 3, lrs: a.lrs() });
  });
});
