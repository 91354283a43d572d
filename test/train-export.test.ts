import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AdamW, LoraLinear, LoraValueError, Tensor, exportPeftAdapter, initLoraGA, peftAdapter, readSafetensorsSync } from '../lib';
import { randTensor, refMatmul, relErr } from './helpers/ref';

const out = 20, inF = 16, r = 3;

/** Trains a layer a few AdamW steps on random data so that A, B move away from their init. */
function train(layer: LoraLinear, seed: number): void {
  const opt = new AdamW(layer.parameters(), { lr: 0.05 });
  for (let t = 0; t < 3; t++) {
    layer.forward(randTensor([8, inF], seed + t, layer.W.dtype).t);
    layer.backward(randTensor([8, out], seed + 100 + t, 'f32').t);
    opt.step();
  }
}

/** W + (α/r)·B·A (or α/√r) from the written files, in float64. */
function applied(dir: string, name: string, W: Float64Array): Float64Array {
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
  const t = readSafetensorsSync(path.join(dir, 'adapter_model.safetensors'));
  const A = t[`base_model.model.${name}.lora_A.weight`], B = t[`base_model.model.${name}.lora_B.weight`];
  const rr = cfg.rank_pattern[name] ?? cfg.r, alpha = cfg.alpha_pattern[name] ?? cfg.lora_alpha;
  const s = cfg.use_rslora ? alpha / Math.sqrt(rr) : alpha / rr;
  const d = refMatmul(B.toFloat64(), out, rr, A.toFloat64(), rr, inF);
  return W.map((v, i) => v + s * d[i]);
}

describe('PEFT export against the ORIGINAL base weights', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-export-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([false, true])('LoRA-GA (offset init) becomes rank 2r; unmodified W + adapter = trained model (rsLoRA %s)', async (rsLora) => {
    const W = randTensor([out, inF], 1, 'f64'), G = randTensor([out, inF], 2, 'f64');
    const init = initLoraGA(W.t, G.t, { rank: r, alpha: 8, svd: 'exact', rsLora, precision: 'f64' });
    const gaLayer = LoraLinear.fromInit(W.t, init);
    expect(gaLayer.W).not.toBe(W.t);              // trains on the offset base W'
    train(gaLayer, 10);
    const plain = new LoraLinear(W.t.clone(), randTensor([r, inF], 3, 'f64').t, Tensor.zeros([out, r], 'f64'), { alpha: 8, rsLora });
    train(plain, 20);
    const sub = path.join(dir, `rs-${rsLora}`);
    const res = await exportPeftAdapter(sub, [{ name: 'mlp.up', layer: gaLayer }, { name: 'mlp.down', layer: plain }], { rsLora, dtype: 'f64' });
    expect(res.modules['mlp.up']).toMatchObject({ r: 2 * r, converted: true });
    expect(res.modules['mlp.down']).toMatchObject({ r, converted: false });
    // Float64 files: equality up to float64 rounding of s·[B, −B₀]·[A; A₀] vs W' + s·B·A.
    expect(relErr(applied(sub, 'mlp.up', W.v), gaLayer.effectiveWeight().toFloat64())).toBeLessThan(1e-12);
    expect(relErr(applied(sub, 'mlp.down', W.v), plain.effectiveWeight().toFloat64())).toBeLessThan(1e-12);
    const cfg = JSON.parse(fs.readFileSync(path.join(sub, 'adapter_config.json'), 'utf8'));
    expect(cfg.peft_type).toBe('LORA');
    expect(cfg.target_modules.slice().sort()).toEqual(['mlp.down', 'mlp.up']);
    expect(cfg.r).toBe(2 * r);
    expect(cfg.lora_alpha).toBeCloseTo(rsLora ? 8 * Math.SQRT2 : 16, 12);  // PEFT's rule for the 2r conversion
  });

  test('default f32 files: the same equality at f32 rounding', async () => {
    const W = randTensor([out, inF], 4), G = randTensor([out, inF], 5);
    const layer = LoraLinear.fromInit(W.t, initLoraGA(W.t, G.t, { rank: r, alpha: 8, svd: 'exact' }));
    train(layer, 30);
    await exportPeftAdapter(path.join(dir, 'f32'), [{ name: 'q', layer }]);
    expect(relErr(applied(path.join(dir, 'f32'), 'q', W.v), layer.effectiveWeight().toFloat64())).toBeLessThan(1e-5);
  });

  test('merged layers and duplicate names are refused', async () => {
    const layer = new LoraLinear(Tensor.zeros([out, inF]), Tensor.zeros([r, inF]), Tensor.zeros([out, r]));
    await expect(exportPeftAdapter(path.join(dir, 'x'), [{ name: 'a', layer }, { name: 'a', layer }])).rejects.toThrow(/twice/);
    layer.merge();
    await expect(exportPeftAdapter(path.join(dir, 'y'), [{ name: 'a', layer }])).rejects.toThrow(/merged/);
  });
});

describe('peftAdapter: the adapter it describes, and what it refuses', () => {
  const plain = (alpha = 1) => new LoraLinear(Tensor.zeros([out, inF]), randTensor([r, inF], 70).t, randTensor([out, r], 71).t, { alpha });

  test('plain layers are written as they are: r, lora_alpha = s·r (s·√r with rsLoRA), differing alphas in alpha_pattern', () => {
    const res = peftAdapter([{ name: 'a', layer: plain(3) }, { name: 'b', layer: plain(6) }], { baseModelName: 'base', taskType: 'CAUSAL_LM', fanInFanOut: true });
    const s = 3 / r;
    expect(res.modules).toEqual({ a: { r, alpha: s * r, converted: false }, b: { r, alpha: 2 * s * r, converted: false } });
    expect(res.config.alpha_pattern).toEqual({ b: 2 * s * r });  // only the module whose α differs
    expect(res.config).toMatchObject({ r, lora_alpha: s * r, base_model_name_or_path: 'base', task_type: 'CAUSAL_LM', fan_in_fan_out: true, bias: 'none', use_rslora: false });
    expect(res.adapter.modules.a.A.dtype).toBe('f32');
    const rs = peftAdapter([{ name: 'a', layer: plain(3) }], { rsLora: true, dtype: 'bf16' });
    expect(rs.modules.a.alpha).toBeCloseTo(s * Math.sqrt(r), 12);
    expect(rs.config).toMatchObject({ use_rslora: true, task_type: null, fan_in_fan_out: false, base_model_name_or_path: null, alpha_pattern: {} });
    expect(rs.adapter.modules.a.B.dtype).toBe('bf16');
  });

  test('a trained bias goes with the adapter (bias all); a bias that was not trained only when asked', () => {
    const W = Tensor.zeros([out, inF]), A = randTensor([r, inF], 72).t, B = randTensor([out, r], 73).t, bias = randTensor([out], 74).t;
    const trained = new LoraLinear(W, A, B, { bias, trainBias: true });
    const frozen = new LoraLinear(W, A, B, { bias });
    const t = peftAdapter([{ name: 'a', layer: trained }]);
    expect({ bias: t.config.bias, has: !!t.adapter.modules.a.bias }).toEqual({ bias: 'all', has: true });
    expect(Array.from(t.adapter.modules.a.bias!.data)).toEqual(Array.from(bias.data));
    const f = peftAdapter([{ name: 'a', layer: frozen }]);
    expect({ bias: f.config.bias, has: 'bias' in f.adapter.modules.a }).toEqual({ bias: 'none', has: false });
    expect(peftAdapter([{ name: 'a', layer: frozen }], { bias: 'all' }).adapter.modules.a.bias).toBeDefined();
    expect(() => peftAdapter([{ name: 'a', layer: trained }], { bias: 'none' })).toThrow(new LoraValueError("exportPeftAdapter: a trained their bias; bias 'none' would drop it (use 'all')"));
    expect(() => peftAdapter([{ name: 'a', layer: frozen }], { bias: 'lora_only' as never })).toThrow(new LoraValueError(`exportPeftAdapter bias: expected 'none' or 'all', got "lora_only"`));
  });

  test('A, B and the bias are written in the export dtype (f32 unless asked), whatever dtype the layer trains in', () => {
    const W = Tensor.zeros([out, inF]), A = randTensor([r, inF], 75).t, B = randTensor([out, r], 76).t, bias = randTensor([out], 77).t;
    const layer = new LoraLinear(W, A, B, { bias, trainBias: true });
    for (const dtype of ['bf16', 'f64'] as const) {
      const m = peftAdapter([{ name: 'a', layer }], { dtype }).adapter.modules.a;
      expect([m.A.dtype, m.B.dtype, m.bias!.dtype]).toEqual([dtype, dtype, dtype]);
      expect([m.A, m.B, m.bias!].map((t) => Array.from(t.toFloat64()))).toEqual([A, B, bias].map((t) => Array.from(t.to(dtype).toFloat64())));
    }
    const f64 = new LoraLinear(W.to('f64'), A.to('f64'), B.to('f64'), { bias: bias.to('f64'), trainBias: true });
    const m = peftAdapter([{ name: 'a', layer: f64 }]).adapter.modules.a;
    expect([m.A.dtype, m.B.dtype, m.bias!.dtype]).toEqual(['f32', 'f32', 'f32']);
  });

  test('layers must be a non-empty list of named LoraLinears; options are checked', () => {
    expect(() => peftAdapter([])).toThrow(new LoraValueError('exportPeftAdapter: expected a non-empty list of {name, layer}'));
    expect(() => peftAdapter(null as never)).toThrow(LoraValueError);
    expect(() => peftAdapter([{ name: '', layer: plain() }])).toThrow(new LoraValueError('exportPeftAdapter: every layer needs a module name'));
    expect(() => peftAdapter([{ name: 'x', layer: {} as never }])).toThrow(new LoraValueError('exportPeftAdapter: x is not a LoraLinear'));
    expect(() => peftAdapter([{ name: 'x', layer: plain() }, { name: 'x', layer: plain() }])).toThrow(new LoraValueError('exportPeftAdapter: module x listed twice'));
    expect(() => peftAdapter([{ name: 'x', layer: plain() }], { rslora: true } as never)).toThrow(/unknown option rslora/);
  });
});
