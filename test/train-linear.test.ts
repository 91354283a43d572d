/** The trainable Linear (full fine-tuning) and LoraLinear's bias: passes against float64 references, PEFT export. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AdamW, Linear, LoraLinear, LoraShapeError, LoraValueError, Tensor, exportPeftAdapter, readPeftAdapter } from '../lib';
import { randTensor, refMatmul, relErr } from './helpers/ref';
import { pythonWith, runPython } from './helpers/train-python';

const T = 6, inF = 5, out = 4, r = 2;
const colSums = (d: Float64Array, rows: number, cols: number) => Array.from({ length: cols }, (_, j) => { let s = 0; for (let i = 0; i < rows; i++) s += d[i * cols + j]; return s; });

describe('Linear (trainable W and b)', () => {
  test('forward y = x·Wᵀ + b, backward dX = dY·W, dW = dYᵀ·x, db = Σ dY (float64 references)', () => {
    const W = randTensor([out, inF], 1, 'f64'), b = randTensor([out], 2, 'f64'), x = randTensor([2, 3, inF], 3, 'f64'), dY = randTensor([2, 3, out], 4, 'f64');
    const lin = new Linear(W.t, { bias: b.t, name: 'fc' });
    const y = lin.forward(x.t);
    expect(y.shape).toEqual([2, 3, out]);
    const ref = refMatmul(x.v, T, inF, W.v, out, inF, false, true).map((v, i) => v + b.v[i % out]);
    expect(relErr(y.toFloat64(), ref)).toBeLessThan(1e-15);
    const dX = lin.backward(dY.t)!;
    expect(dX.shape).toEqual([2, 3, inF]);
    expect(relErr(dX.toFloat64(), refMatmul(dY.v, T, out, W.v, out, inF))).toBeLessThan(1e-15);
    expect(relErr(lin.weight.grad!.toFloat64(), refMatmul(dY.v, T, out, x.v, T, inF, true))).toBeLessThan(1e-15);
    expect(relErr(lin.bias!.grad!.toFloat64(), colSums(dY.v, T, out))).toBeLessThan(1e-15);
    expect(lin.parameters().map((p) => p.name)).toEqual(['fc.weight', 'fc.bias']);
    // accumulate adds; needDx: false skips dX.
    expect(lin.backward(dY.t, { accumulate: true, needDx: false })).toBeNull();
    expect(relErr(lin.bias!.grad!.toFloat64(), colSums(dY.v, T, out).map((v) => 2 * v))).toBeLessThan(1e-15);
  });

  test('full fine-tuning through the optimizer lowers the loss of a linear fit', () => {
    const lin = new Linear(Tensor.zeros([out, inF]), { bias: Tensor.zeros([out]) });
    const x = randTensor([64, inF], 5).t, Wt = randTensor([out, inF], 6).v;
    const t = refMatmul(x.toFloat64(), 64, inF, Wt, out, inF, false, true).map((v) => v + 0.5);
    const opt = new AdamW(lin.parameters(), { lr: 0.05 });
    // Evaluations keep nothing for a backward ({ grad: false }): the training forward stays the only open one.
    const loss = (grad = false) => { const y = lin.forward(x, { grad }).toFloat64(); let l = 0; const d = new Float32Array(y.length); y.forEach((v, i) => { l += (v - t[i]) ** 2; d[i] = 2 * (v - t[i]) / y.length; }); return { l: l / y.length, d: Tensor.from(d, [64, out]) }; };
    const l0 = loss().l;
    for (let s = 0; s < 200; s++) { lin.backward(loss(true).d); opt.step(); }
    expect(loss().l).toBeLessThan(l0 * 1e-3);
  });

  test('backward refuses a dY that is not y\'s shape: another token count, or the same size laid out otherwise', () => {
    const lin = new Linear(randTensor([out, inF], 7).t);
    const x = randTensor([T, inF], 8).t;
    const refused = (dY: string) => new LoraShapeError(`Linear.backward: dY ${dY} does not match y = [${T}, ${out}] for x [${T}, ${inF}] f32`);
    lin.forward(x);
    expect(() => lin.backward(Tensor.zeros([T + 1, out]))).toThrow(refused(`[${T + 1}, ${out}] f32`));
    lin.forward(x);
    expect(() => lin.backward(Tensor.zeros([out, T]))).toThrow(refused(`[${out}, ${T}] f32`));  // T·out elements, but [out, T]
  });

  test('an f32 Linear keeps f32 gradients, its bias\'s too; an f64 one f64', () => {
    for (const dt of ['f32', 'f64'] as const) {
      const lin = new Linear(randTensor([out, inF], 9, dt).t, { bias: randTensor([out], 10, dt).t });
      lin.forward(randTensor([T, inF], 11, dt).t);
      lin.backward(randTensor([T, out], 12, dt).t);
      expect([lin.weight.grad!.dtype, lin.bias!.grad!.dtype]).toEqual([dt, dt]);
    }
  });

  test("zeroGrad clears the weight's and the bias's gradients: an optimizer step after it leaves both as they were", () => {
    const lin = new Linear(randTensor([out, inF], 15).t, { bias: randTensor([out], 16).t });
    lin.forward(randTensor([T, inF], 17).t);
    lin.backward(randTensor([T, out], 18).t);
    expect([lin.weight.grad, lin.bias!.grad].every((g) => g !== null)).toBe(true);
    lin.zeroGrad();
    expect([lin.weight.grad, lin.bias!.grad]).toEqual([null, null]);
    const w = Array.from(lin.weight.value.toFloat64()), b = Array.from(lin.bias!.value.toFloat64());
    new AdamW(lin.parameters(), { lr: 0.1 }).step();
    expect([Array.from(lin.weight.value.toFloat64()), Array.from(lin.bias!.value.toFloat64())]).toEqual([w, b]);
  });

  test('misuse: bf16 W, wrong bias shape, backward before forward, unknown option', () => {
    expect(() => new Linear(Tensor.zeros([2, 2], 'bf16'))).toThrow(/dtype bf16/);
    expect(() => new Linear(Tensor.zeros([2, 2]), { bias: Tensor.zeros([3]) })).toThrow(LoraShapeError);
    expect(() => new Linear(Tensor.zeros([2, 2])).backward(Tensor.zeros([1, 2]))).toThrow(/forward\(\) first/);
    expect(() => new Linear(Tensor.zeros([2, 2]), { bais: Tensor.zeros([2]) } as never)).toThrow(/unknown option bais/);
  });
});

describe('LoraLinear bias', () => {
  const make = (trainBias: boolean, dropout = 0) => {
    const W = randTensor([out, inF], 7, 'f64'), A = randTensor([r, inF], 8, 'f64'), B = randTensor([out, r], 9, 'f64'), b = randTensor([out], 10, 'f64');
    return { W, A, B, b, layer: new LoraLinear(W.t, A.t, B.t, { alpha: 4, bias: b.t, trainBias, dropout, name: 'q' }) };
  };

  test.each([0, 0.3])('frozen by default (dropout %s): y gains b; parameters are A, B; no bias grad', (dropout) => {
    const { W, A, B, b, layer } = make(false, dropout);
    layer.training = false;
    const x = randTensor([T, inF], 11, 'f64');
    const xa = refMatmul(x.v, T, inF, A.v, r, inF, false, true), ba = refMatmul(xa, T, r, B.v, out, r, false, true);
    const ref = refMatmul(x.v, T, inF, W.v, out, inF, false, true).map((v, i) => v + 2 * ba[i] + b.v[i % out]);
    expect(relErr(layer.forward(x.t).toFloat64(), ref)).toBeLessThan(1e-14);
    expect(layer.parameters().map((p) => p.name)).toEqual(['q.lora_A', 'q.lora_B']);
    layer.backward(randTensor([T, out], 12, 'f64').t);
    expect(layer.bias!.grad).toBeNull();
    layer.merge();
    expect(relErr(layer.forward(x.t).toFloat64(), ref)).toBeLessThan(1e-14);  // merged: still + b
  });

  test.each([0, 0.3])('trainBias (dropout %s): the bias is a parameter and gets Σ_tokens dY', (dropout) => {
    const { layer } = make(true, dropout);
    const dY = randTensor([T, out], 13, 'f64');
    layer.forward(randTensor([T, inF], 14, 'f64').t);
    layer.backward(dY.t);
    expect(layer.parameters().map((p) => p.name)).toEqual(['q.lora_A', 'q.lora_B', 'q.bias']);
    expect(relErr(layer.bias!.grad!.toFloat64(), colSums(dY.v, T, out))).toBeLessThan(1e-15);
    layer.zeroGrad();
    expect(layer.bias!.grad).toBeNull();
    expect(() => new LoraLinear(Tensor.zeros([2, 2]), Tensor.zeros([1, 2]), Tensor.zeros([2, 1]), { trainBias: true })).toThrow(LoraValueError);
  });

  describe('export as PEFT bias="all"', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-bias-'));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('a trained bias goes to <module>.base_layer.bias with bias "all"; read back; "none" with a trained bias is refused', async () => {
      const { layer } = make(true);
      const opt = new AdamW(layer.parameters(), { lr: 0.1 });
      layer.forward(randTensor([T, inF], 15, 'f64').t);
      layer.backward(randTensor([T, out], 16, 'f64').t);
      opt.step();
      const res = await exportPeftAdapter(dir, [{ name: 'model.q', layer }], { dtype: 'f64' });
      expect(res.config.bias).toBe('all');
      const back = await readPeftAdapter(dir);
      expect(Array.from(back.modules['model.q'].bias!.data)).toEqual(Array.from(layer.bias!.value.data));
      await expect(exportPeftAdapter(path.join(dir, 'n'), [{ name: 'model.q', layer }], { bias: 'none' })).rejects.toThrow(/trained their bias/);
      const frozen = make(false).layer;
      expect((await exportPeftAdapter(path.join(dir, 'f'), [{ name: 'q', layer: frozen }])).config.bias).toBe('none');
    });

    test('PEFT loads it: PeftModel.from_pretrained on a torch Linear gives the trained layer\'s outputs', async () => {
      const py = pythonWith(['torch', 'peft', 'safetensors'], 'PEFT bias read-back');
      if ('reason' in py) return;
      const { W, layer } = make(true);
      const opt = new AdamW(layer.parameters(), { lr: 0.1 });
      for (let s = 0; s < 3; s++) { layer.forward(randTensor([T, inF], 20 + s, 'f64').t); layer.backward(randTensor([T, out], 30 + s, 'f64').t); opt.step(); }
      const sub = path.join(dir, 'peft');
      await exportPeftAdapter(sub, [{ name: 'lin', layer }], { dtype: 'f32' });
      const x = randTensor([T, inF], 40, 'f64');
      const want = Array.from(layer.forward(x.t).toFloat64());
      const code = `
import json, sys, torch
from peft import PeftModel
d = json.load(sys.stdin)
class M(torch.nn.Module):
    def __init__(self):
        super().__init__(); self.lin = torch.nn.Linear(${inF}, ${out})
m = M().double()
with torch.no_grad():
    m.lin.weight.copy_(torch.tensor(d["W"]).reshape(${out}, ${inF})); m.lin.bias.zero_()
pm = PeftModel.from_pretrained(m, d["dir"]).double()
x = torch.tensor(d["x"], dtype=torch.float64).reshape(${T}, ${inF})
print(json.dumps(pm.base_model.model.lin(x).flatten().tolist()))  # the wrapped Linear: W + s·B·A and the loaded bias`;
      const got = JSON.parse(runPython(py.python, code, JSON.stringify({ W: Array.from(W.v), x: Array.from(x.v), dir: sub })));
      const err = relErr(got, want);
      console.log(`PEFT read-back of a trained bias: relative output error ${err.toExponential(2)} (f32 adapter)`);
      expect(err).toBeLessThan(1e-6);
    });
  });
});

describe('Linear options and refusals', () => {
  test('names default to linear; the bias is trained, so f32/f64 of [out]', () => {
    const l = new Linear(Tensor.zeros([6, 4]));
    expect({ name: l.name, w: l.weight.name, bias: l.bias, params: l.parameters().length }).toEqual({ name: 'linear', w: 'linear.weight', bias: null, params: 1 });
    const b = new Linear(Tensor.zeros([6, 4]), { name: 'fc', bias: Tensor.zeros([6]) });
    expect(b.parameters().map((p) => p.name)).toEqual(['fc.weight', 'fc.bias']);
    expect(() => new Linear(Tensor.zeros([6, 4]), { bias: Tensor.zeros([5]) })).toThrow(new LoraShapeError('Linear: bias [5] f32 must be [6]'));
    // The right number of entries in another shape is not a bias vector either (a [1, out] row, an [out, 1] column).
    for (const shape of [[1, 6], [6, 1]]) {
      expect(() => new Linear(Tensor.zeros([6, 4]), { bias: Tensor.zeros(shape) })).toThrow(new LoraShapeError(`Linear: bias [${shape.join(', ')}] f32 must be [6]`));
      expect(() => new LoraLinear(Tensor.zeros([6, 4]), Tensor.zeros([2, 4]), Tensor.zeros([6, 2]), { bias: Tensor.zeros(shape) }))
        .toThrow(new LoraShapeError(`LoraLinear: bias [${shape.join(', ')}] f32 must be [6]`));
    }
    expect(() => new Linear(Tensor.zeros([6, 4]), { bias: Tensor.zeros([6], 'bf16') })).toThrow(/^Linear bias/);
    expect(() => new Linear(Tensor.zeros([6, 4], 'bf16'))).toThrow(/^Linear W/);
    expect(() => new Linear(Tensor.zeros([6, 4]), { bais: Tensor.zeros([6]) } as never)).toThrow(/^Linear: unknown option bais/);
  });
});
