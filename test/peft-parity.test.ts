/**
 * PEFT parity without Python: the GPT-2 (Conv1D, W stored [in, out]) layout through init, estimator, offset, fromInit
 * and the CLI against a float64 reference; layout detection and its typed errors; each convention's scales by name
 * (PEFT's weight_svd against its formula); unknown options; task_type, base_model_name_or_path and the offset model;
 * PEFT-style --targets; and `loraga export` against the rank-2r formula.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  GradientEstimator, LoraLinear, LoraValueError, Tensor, exportPeftAdapter, initAdapters, initLoraGA, initPiSSA, readPeftAdapter,
  readSafetensorsSync, writePeftAdapter, writeSafetensorsSync,
} from '../lib';
import { runCli as cli } from './helpers/cli';
import { offsetInvariant, spectralFactors } from './helpers/compare';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-parity-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));


/** Row-major float64 transpose. */
function tr(a: ArrayLike<number>, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
  return t;
}

const out = 12, inF = 20, r = 2, alpha = 4, s = alpha / r;
const Gf = spectralFactors(out, inF, [9, 7, 5, 3.5, 2, 1], 21);   // G [out, in] with a known SVD
const Wf = spectralFactors(out, inF, [6, 5, 4, 3, 2, 1], 22);
// As a Conv1D layer stores them: [in, out].
const Wc = Tensor.fromFloat64(tr(Wf.M, out, inF), [inF, out], 'f64');
const Gc = Tensor.fromFloat64(tr(Gf.M, out, inF), [inF, out], 'f64');

describe('fanInFanOut: a Conv1D ([in, out]) weight through the init', () => {
  test('A [r, in], B [out, r] and W′ [in, out] equal the [out, in] init of the transposes; W′ᵀ + s·B·A = Wᵀ (float64)', () => {
    const cfg = { rank: r, alpha, svd: 'exact' as const, precision: 'f64' as const };
    const c = initLoraGA(Wc, Gc, { ...cfg, fanInFanOut: true });
    const l = initLoraGA(Tensor.fromFloat64(Wf.M, [out, inF], 'f64'), Tensor.fromFloat64(Gf.M, [out, inF], 'f64'), cfg);
    expect(c.A.shape).toEqual([r, inF]);
    expect(c.B.shape).toEqual([out, r]);
    expect(c.W!.shape).toEqual([inF, out]);
    expect(c.fanInFanOut).toBe(true);
    expect(Array.from(c.A.data)).toEqual(Array.from(l.A.data));
    expect(Array.from(c.B.data)).toEqual(Array.from(l.B.data));
    expect(Array.from(c.W!.data)).toEqual(Array.from(tr(l.W!.data, out, inF)));
    const WpT = Tensor.fromFloat64(tr(c.W!.data, inF, out), [out, inF], 'f64');
    expect(offsetInvariant(WpT, c.A, c.B, s, Tensor.fromFloat64(Wf.M, [out, inF], 'f64'))).toBeLessThan(1e-13);
    // PiSSA the same way.
    const p = initPiSSA(Wc, { rank: r, alpha, fanInFanOut: true, precision: 'f64' });
    expect(p.W!.shape).toEqual([inF, out]);
    expect(offsetInvariant(Tensor.fromFloat64(tr(p.W!.data, inF, out), [out, inF], 'f64'), p.A, p.B, s, Tensor.fromFloat64(Wf.M, [out, inF], 'f64'))).toBeLessThan(1e-13);
  });

  test('without fanInFanOut, G in [out, in] beside a W stored [in, out] is a shape error naming the layout', () => {
    expect(() => initLoraGA(Wc, Tensor.zeros([out, inF], 'f64'), { rank: r, alpha })).toThrow(/same \[out, in\] shape/);
  });

  test('GradientEstimator with fanInFanOut returns G in the [in, out] layout: the same mean of dYᵀ·X, transposed', () => {
    const X = Tensor.randn([30, inF], 'f32', 'cpu', 1), dY = Tensor.randn([30, out], 'f32', 'cpu', 2);
    const a = new GradientEstimator().register('m', out, inF).accumulate('m', X, dY).gradient('m');
    const b = new GradientEstimator().register('m', out, inF, { fanInFanOut: true }).accumulate('m', X, dY).gradient('m');
    expect(b.shape).toEqual([inF, out]);
    expect(Array.from(b.data)).toEqual(Array.from(tr(a.data, out, inF)));
    expect(() => new GradientEstimator().register('m', out, inF, { fan_in_fan_out: true } as never)).toThrow(LoraValueError);
  });

  test('LoraLinear.fromInit of a fanInFanOut init computes with W′ᵀ: its effective weight is the original Wᵀ', () => {
    const c = initLoraGA(Wc, Gc, { rank: r, alpha, svd: 'exact', fanInFanOut: true });
    const layer = LoraLinear.fromInit(Wc, c);
    expect(layer.W.shape).toEqual([out, inF]);
    const eff = layer.effectiveWeight().toFloat64();
    let num = 0, den = 0;
    for (let i = 0; i < out * inF; i++) { num += (eff[i] - Wf.M[i]) ** 2; den += Wf.M[i] ** 2; }
    expect(Math.sqrt(num / den)).toBeLessThan(1e-6); // f32 A, B and W′ (from the f64 W: f64 W′)
  });

  test('initAdapters: fanInFanOut must agree with how the estimator registered the module', async () => {
    const est = new GradientEstimator().register('h.0.attn.c_proj', out, inF);
    est.setGradient('h.0.attn.c_proj', Tensor.fromFloat64(Gf.M, [out, inF], 'f32'));
    await expect(initAdapters({ 'h.0.attn.c_proj': Wc }, est, { rank: r, alpha, fanInFanOut: true })).rejects.toThrow(/registered h.0.attn.c_proj with fanInFanOut false/);
  });
});

describe('bf16 weights', () => {
  test('the README recipe LoraLinear.fromInit(W, initLoraGA(W, G)) works for a bf16 W: A, B stay f32, W′ is bf16 formed from the unrounded A, B', () => {
    const W = Tensor.fromFloat64(Wf.M, [out, inF], 'bf16'), G = Tensor.fromFloat64(Gf.M, [out, inF], 'f32');
    const init = initLoraGA(W, G, { rank: r, alpha, svd: 'exact' });
    expect([init.A.dtype, init.B.dtype, init.W!.dtype]).toEqual(['f32', 'f32', 'bf16']);
    const layer = LoraLinear.fromInit(W, init);
    // W′ rounded once to bf16 (2⁻⁹ relative per element); the f32 A, B carry no rounding of their own.
    expect(offsetInvariant(layer.W, init.A, init.B, s, W)).toBeLessThan(4e-3);
    const x = Tensor.randn([5, inF], 'f32', 'cpu', 3);
    expect(layer.forward(x).shape).toEqual([5, out]);
  });
});

describe('LoRA-GA scales under each convention, by the names its code uses', () => {
  const W = Tensor.fromFloat64(Wf.M, [out, inF], 'f32'), G = Tensor.fromFloat64(Gf.M, [out, inF], 'f32');
  test('peft weight_svd: B = U_b·diag(S_b)·σ₁(W)/S_b[0], A = Vᵀ_a unscaled (PEFT lora_ga_init)', () => {
    const res = initLoraGA(W, G, { rank: r, alpha, scale: 'weight_svd', svd: 'exact' });
    const ref = initLoraGA(W, G, { rank: r, alpha, scale: 'unit', svd: 'exact' });
    const f = 6 / 5; // σ₁(W) = 6; ArB2r: B's first direction is index r = 2, σ = 5
    expect(Array.from(res.A.data)).toEqual(Array.from(ref.A.data));
    ref.B.toFloat64().forEach((v, i) => expect(res.B.data[i]).toBeCloseTo(v * f, 5));
  });
  test.each([
    ['peft', 'weightS', /official repository's scale/],
    ['peft', 'gd', /PEFT calls the same scale 'gd_scale'/],
    ['official', 'weight_svd', /PEFT's scale/],
    ['official', 'gd_scale', /official repository calls the same scale 'gd'/],
  ] as const)('convention %s refuses the other convention\'s scale %s with a LoraValueError', (convention, scale, msg) => {
    expect(() => initLoraGA(W, G, { rank: r, alpha, convention, scale })).toThrow(LoraValueError);
    expect(() => initLoraGA(W, G, { rank: r, alpha, convention, scale })).toThrow(msg);
  });
  test('an unknown option (e.g. snake_case fan_in_fan_out) is a LoraValueError, not ignored', () => {
    expect(() => initLoraGA(W, G, { rank: r, alpha, fan_in_fan_out: true } as never)).toThrow(/unknown option fan_in_fan_out \(did you mean fanInFanOut\?\)/);
    expect(() => initLoraGA(W, G, { rank: r, alpha, fanInFanOut: 'yes' } as never)).toThrow(/fanInFanOut: expected a boolean/);
  });
});

/** A GPT-2-shaped checkpoint directory: Conv1D weights [in, out], a 1-D LayerNorm, embeddings, optional config. */
function gpt2Dir(name: string, config: Record<string, unknown> | null): { dir: string; mods: string[] } {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const d = 16;
  const shapes: Record<string, [number, number]> = {
    'transformer.h.0.attn.c_attn': [d, 3 * d], 'transformer.h.0.attn.c_proj': [d, d],
    'transformer.h.0.mlp.c_fc': [d, 4 * d], 'transformer.h.0.mlp.c_proj': [4 * d, d],
  };
  const tensors: Record<string, Tensor> = {
    'transformer.wte.weight': Tensor.randn([40, d], 'f32', 'cpu', 1), 'transformer.wpe.weight': Tensor.randn([32, d], 'f32', 'cpu', 2),
    'transformer.ln_f.weight': Tensor.randn([d], 'f32', 'cpu', 3),
  };
  const batches: Record<string, Tensor> = {};
  let seed = 10;
  for (const [m, [i, o]] of Object.entries(shapes)) {
    tensors[`${m}.weight`] = Tensor.randn([i, o], 'f32', 'cpu', seed++);
    for (let b = 0; b < 2; b++) {
      batches[`${m}.x.${b}`] = Tensor.randn([24, i], 'f32', 'cpu', seed++);
      batches[`${m}.dy.${b}`] = Tensor.randn([24, o], 'f32', 'cpu', seed++);
    }
  }
  writeSafetensorsSync(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  writeSafetensorsSync(path.join(dir, 'batches.safetensors'), batches);
  if (config) fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return { dir, mods: Object.keys(shapes) };
}

const GPT2 = { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], vocab_size: 40, n_positions: 32 };

describe('loraga init on a GPT-2-style checkpoint', () => {
  test('config.json makes the layout certain: fan_in_fan_out true, A/B/W′ equal the float64 init of Wᵀ; CAUSAL_LM; base_model/ is the whole checkpoint with W′', async () => {
    const { dir, mods } = gpt2Dir('gpt2', GPT2);
    const o = path.join(tmp, 'gpt2-out');
    const r0 = await cli(['init', '--weights', path.join(dir, 'model.safetensors'), '--batches', path.join(dir, 'batches.safetensors'),
      '--rank', '2', '--alpha', '4', '--svd', 'exact', '--targets', 'all-linear', '--out', o]);
    expect(r0.code).toBe(0);
    expect(r0.err).toMatch(/leaving out transformer.wpe, transformer.wte/);
    const ac = JSON.parse(fs.readFileSync(path.join(o, 'adapter_config.json'), 'utf8'));
    expect(ac.fan_in_fan_out).toBe(true);
    expect(ac.task_type).toBe('CAUSAL_LM');
    expect(ac.base_model_name_or_path).toBe(path.resolve(o, 'base_model'));
    expect([...ac.target_modules].sort()).toEqual([...mods].sort());
    const ad = await readPeftAdapter(o);
    const base = readSafetensorsSync(path.join(dir, 'model.safetensors'));
    const full = readSafetensorsSync(path.join(o, 'base_model', 'model.safetensors'));
    expect(Object.keys(full).sort()).toEqual(Object.keys(base).sort());
    expect(fs.existsSync(path.join(o, 'base_model', 'config.json'))).toBe(true);
    expect(Array.from(full['transformer.wte.weight'].data)).toEqual(Array.from(base['transformer.wte.weight'].data));
    const batches = readSafetensorsSync(path.join(dir, 'batches.safetensors'));
    for (const m of mods) {
      const [i, oo] = base[`${m}.weight`].shape;
      // Float64 reference: G = mean dyᵀ·x [out, in] and the init of Wᵀ [out, in].
      const est = new GradientEstimator({ dtype: 'f64' }).register(m, oo, i);
      for (let b = 0; b < 2; b++) est.accumulate(m, batches[`${m}.x.${b}`].to('f64'), batches[`${m}.dy.${b}`].to('f64'));
      const WT = Tensor.fromFloat64(tr(base[`${m}.weight`].toFloat64(), i, oo), [oo, i], 'f64');
      const ref = initLoraGA(WT, est.gradient(m), { rank: 2, alpha: 4, svd: 'exact', precision: 'f64' });
      const { A, B } = ad.modules[m];
      expect(A.shape).toEqual([2, i]);
      expect(B.shape).toEqual([oo, 2]);
      // Sign-invariant: the product B·A, and the offset W′ᵀ + s·B·A = Wᵀ.
      let num = 0, den = 0;
      const a = A.toFloat64(), bb = B.toFloat64(), ra = ref.A.toFloat64(), rb = ref.B.toFloat64();
      for (let p = 0; p < oo; p++) for (let q = 0; q < i; q++) {
        let x = 0, y = 0;
        for (let k = 0; k < 2; k++) { x += bb[p * 2 + k] * a[k * i + q]; y += rb[p * 2 + k] * ra[k * i + q]; }
        num += (x - y) ** 2; den += y * y;
      }
      expect(Math.sqrt(num / den)).toBeLessThan(1e-4);
      const Wp = full[`${m}.weight`];
      expect(Wp.shape).toEqual([i, oo]);
      expect(offsetInvariant(Tensor.fromFloat64(tr(Wp.toFloat64(), i, oo), [oo, i], 'f64'), A, B, 2, WT)).toBeLessThan(1e-6);
    }
  });

  test('GPT-2 names without a config.json are ambiguous: a typed error until --fan-in-fan-out is given', async () => {
    const { dir } = gpt2Dir('gpt2-nocfg', null);
    const args = ['init', '--weights', path.join(dir, 'model.safetensors'), '--batches', path.join(dir, 'batches.safetensors'),
      '--rank', '2', '--alpha', '4', '--targets', 'c_proj', '--out', path.join(tmp, 'nocfg-out')];
    const r1 = await cli(args);
    expect(r1.code).toBe(1);
    expect(r1.err).toMatch(/cannot tell whether its W is \[in, out\] \(Conv1D\) or \[out, in\].*--fan-in-fan-out/);
    const r2 = await cli([...args, '--fan-in-fan-out']);
    expect(r2.code).toBe(0);
    const ac = JSON.parse(fs.readFileSync(path.join(tmp, 'nocfg-out', 'adapter_config.json'), 'utf8'));
    expect(ac.fan_in_fan_out).toBe(true);
    expect(ac.target_modules.sort()).toEqual(['transformer.h.0.attn.c_proj', 'transformer.h.0.mlp.c_proj']); // PEFT's suffix rule
    expect(ac.task_type).toBeNull();
    expect(ac.base_model_name_or_path).toBeNull(); // no loadable checkpoint to point at
    // Saying [out, in] against the batches of a non-square Conv1D layer is caught by the shapes.
    const r3 = await cli(['init', '--weights', path.join(dir, 'model.safetensors'), '--batches', path.join(dir, 'batches.safetensors'),
      '--rank', '2', '--alpha', '4', '--targets', 'mlp.c_proj', '--fan-in-fan-out=false', '--out', path.join(tmp, 'nocfg-out2')]);
    expect(r3.code).toBe(1);
    expect(r3.err).toMatch(/is \[64, 16\] but its batches give out = 16, in = 64.*pass --fan-in-fan-out/);
  });

  test('an explicit layout that contradicts a GPT-2 config.json is a typed error', async () => {
    const { dir } = gpt2Dir('gpt2-contra', GPT2);
    const r0 = await cli(['init', '--weights', path.join(dir, 'model.safetensors'), '--batches', path.join(dir, 'batches.safetensors'),
      '--rank', '2', '--alpha', '4', '--fan-in-fan-out=false', '--out', path.join(tmp, 'contra-out')]);
    expect(r0.code).toBe(1);
    expect(r0.err).toMatch(/--fan-in-fan-out=false, but .* is GPT-2, whose Conv1D layers store W as \[in, out\]/);
  });

  test('--task-type is validated against PEFT\'s TaskType; --offset-model=false writes no base_model/', async () => {
    const { dir } = gpt2Dir('gpt2-tt', GPT2);
    const base = ['init', '--weights', path.join(dir, 'model.safetensors'), '--batches', path.join(dir, 'batches.safetensors'), '--rank', '2', '--alpha', '4'];
    const bad = await cli([...base, '--task-type', 'CAUSAL', '--out', path.join(tmp, 'tt1')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/task type must be one of SEQ_CLS, SEQ_2_SEQ_LM, CAUSAL_LM/);
    const ok = await cli([...base, '--task-type', 'SEQ_CLS', '--offset-model=false', '--out', path.join(tmp, 'tt2')]);
    expect(ok.code).toBe(0);
    const ac = JSON.parse(fs.readFileSync(path.join(tmp, 'tt2', 'adapter_config.json'), 'utf8'));
    expect(ac.task_type).toBe('SEQ_CLS');
    expect(ac.base_model_name_or_path).toBeNull();
    expect(fs.existsSync(path.join(tmp, 'tt2', 'base_model'))).toBe(false);
    expect(ok.out).toMatch(/load base_offset.safetensors into the model first/);
  });
});

describe('loraga export: a trained adapter against the original base', () => {
  test('[A; A₀], [B, −B₀], lora_alpha doubled: W′ + s·B·A = W + s·[B, −B₀]·[A; A₀] (float64), config carried over', async () => {
    const W = Tensor.fromFloat64(Wf.M, [out, inF], 'f32');
    const init = initLoraGA(W, Tensor.fromFloat64(Gf.M, [out, inF], 'f32'), { rank: r, alpha, svd: 'exact' });
    const initDir = path.join(tmp, 'exp-init'), trainedDir = path.join(tmp, 'exp-trained'), conv = path.join(tmp, 'exp-conv');
    await writePeftAdapter(initDir, { modules: { m: { A: init.A, B: init.B } }, config: { r, lora_alpha: alpha, task_type: 'CAUSAL_LM', fan_in_fan_out: true } });
    const At = Tensor.randn([r, inF], 'f32', 'cpu', 5), Bt = Tensor.randn([out, r], 'f32', 'cpu', 6); // "trained"
    await writePeftAdapter(trainedDir, { modules: { m: { A: At, B: Bt } }, config: { r, lora_alpha: alpha, task_type: 'CAUSAL_LM', fan_in_fan_out: true } });
    const res = await cli(['export', '--adapter', trainedDir, '--initial', initDir, '--out', conv, '--base-model', 'orig']);
    expect(res.code).toBe(0);
    const c = await readPeftAdapter(conv);
    expect(c.config).toMatchObject({ r: 2 * r, lora_alpha: 2 * alpha, task_type: 'CAUSAL_LM', fan_in_fan_out: true, base_model_name_or_path: 'orig' });
    const { A, B } = c.modules.m;
    const wp = init.W!.toFloat64(), a = A.toFloat64(), b = B.toFloat64(), at = At.toFloat64(), bt = Bt.toFloat64();
    const s2 = (2 * alpha) / (2 * r);
    let num = 0, den = 0;
    for (let i = 0; i < out; i++) for (let j = 0; j < inF; j++) {
      let trained = wp[i * inF + j], conv2 = Wf.M[i * inF + j];
      for (let k = 0; k < r; k++) trained += s * bt[i * r + k] * at[k * inF + j];
      for (let k = 0; k < 2 * r; k++) conv2 += s2 * b[i * 2 * r + k] * a[k * inF + j];
      num += (trained - conv2) ** 2; den += trained ** 2;
    }
    expect(Math.sqrt(num / den)).toBeLessThan(1e-6); // f32 W′ rounding
    // exportPeftAdapter (JS) writes the same fan_in_fan_out / task_type fields.
    const layer = LoraLinear.fromInit(W, init);
    const e = await exportPeftAdapter(path.join(tmp, 'exp-js'), [{ name: 'm', layer }], { taskType: 'CAUSAL_LM', fanInFanOut: true });
    expect(e.config).toMatchObject({ task_type: 'CAUSAL_LM', fan_in_fan_out: true });
    await expect(exportPeftAdapter(path.join(tmp, 'exp-js2'), [{ name: 'm', layer }], { taskType: 'causal' })).rejects.toThrow(/task type must be one of/);
  });
});
