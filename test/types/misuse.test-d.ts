/**
 * Documented misuse of the public API fails to compile: each `@ts-expect-error` below must meet a type error on the
 * next line (an unused one is itself an error), and the lines without it show the correct use compiles.
 * Compiled by `npm run test:types`; nothing runs.
 */
import {
  AdamW, GradientEstimator, Linear, LoraLinear, LoraOneAdamW, LoraProAdamW, LoraShapeError, LrSchedule, Optimizer, Rng, SGD,
  SafetensorsFile, Tensor, adamwStep, backends, exportPeftAdapter, gradAccumulate, initAdapters, initLoraGA,
  loadCheckpoint, loraPlus, matmul, matmulAsync, orthonormalize, param, resolveBackend, saveCheckpoint, svd, writePeftAdapter,
} from '../../types';
import type { LoraInitResult, Param, SafetensorsHeader } from '../../types';

export async function misuse(W: Tensor, G: Tensor, init: LoraInitResult, header: SafetensorsHeader): Promise<void> {
  // Tensors: dtype and device are closed unions; shape, dtype and data cannot be assigned.
  const t = Tensor.zeros([2, 2], 'bf16', 'cpu');
  // @ts-expect-error 'f8' is not a DType
  Tensor.zeros([2, 2], 'f8');
  // @ts-expect-error 'gpu' is not a Device ('cpu' | 'cuda')
  Tensor.zeros([2, 2], 'f32', 'gpu');
  // @ts-expect-error shape is readonly
  t.shape[0] = 3;
  // @ts-expect-error dtype is readonly
  t.dtype = 'f64';
  // @ts-expect-error there is no toFloat16 (toFloat32 / toFloat64, or to('f16'))
  t.toFloat16();

  // Ops: tensors where tensors are wanted, closed option objects, async results are Promises.
  const y: Tensor = matmul(t, t, { transB: true });
  // @ts-expect-error a number is not a Tensor
  matmul(t, 2);
  // @ts-expect-error unknown option (transA / transB)
  matmul(t, t, { transpose: true });
  // @ts-expect-error matmulAsync gives a Promise<Tensor>: await it
  const z: Tensor = matmulAsync(t, t);
  // @ts-expect-error the options are an object ({ scale })
  gradAccumulate(y, t, t, 0.5);
  // @ts-expect-error 'lanczos' is not an SvdMethod
  svd(t, { method: 'lanczos' });
  // @ts-expect-error adamwStep needs the 1-based step for bias correction
  adamwStep(t, t, t, t, { lr: 1e-3 });

  // Inits: required config fields, closed unions.
  initLoraGA(W, G, { rank: 4, alpha: 8 });
  // @ts-expect-error rank is required
  initLoraGA(W, G, { alpha: 8 });
  // @ts-expect-error 'AB' is not a LoraGADirection
  initLoraGA(W, G, { rank: 4, alpha: 8, direction: 'AB' });
  // @ts-expect-error 'huge' is not a LoraGAScale
  initLoraGA(W, G, { rank: 4, alpha: 8, scale: 'huge' });
  // @ts-expect-error 'dora' is not an initAdapters method
  await initAdapters({ q: W }, null, { rank: 4, alpha: 8, method: 'dora' });
  // @ts-expect-error svd 'sketch' needs a sketched estimator: initAdapters only, not the per-module init
  initLoraGA(W, G, { rank: 4, alpha: 8, svd: 'sketch' });
  await initAdapters({ q: W }, null, { rank: 4, alpha: 8, svd: 'sketch' });
  // @ts-expect-error a sketch needs its size
  new GradientEstimator().register('q', 4, 4, { sketch: { passes: 2 } });
  const sk: 'single-pass' | 'multi-pass' = new GradientEstimator().register('q', 4, 4, { sketch: { size: 3 } }).sketch('q').mode;
  void sk;
  // @ts-expect-error 'gram-schmidt' is not an orthonormalize method
  orthonormalize(t, { method: 'gram-schmidt' });
  const est = new GradientEstimator().register('q', 4, 4);
  // @ts-expect-error accumulate takes the layer's input X and its output gradient dY
  est.accumulate('q', t);

  // Training: layer options are closed, fromInit takes its scale from the init, fields are readonly.
  const layer = LoraLinear.fromInit(W, init, { dropout: 0.1 });
  // @ts-expect-error the rank comes from A; there is no rank option
  new LoraLinear(W, t, t, { rank: 4 });
  // @ts-expect-error fromInit uses the init's scaling: scale, alpha and rsLora are not options
  LoraLinear.fromInit(W, init, { scale: 2 });
  // @ts-expect-error rank is readonly
  layer.rank = 8;
  const ps: Param[] = [param(t, 'A')];
  new SGD(ps, { lr: 0.1, momentum: 0.9 });
  // @ts-expect-error unknown SGD option
  new SGD(ps, { lr: 0.1, nesterov: true });
  // @ts-expect-error Optimizer's constructor is protected (and the class abstract)
  new Optimizer(ps, 0.1, 0);
  // @ts-expect-error update() is protected: step() calls it
  new SGD(ps, { lr: 0.1 }).update(ps[0], t, { params: ps, lr: 0.1, weightDecay: 0 });

  // The training API: one Optimizer interface, schedules, clipping, checkpoints, bias, Linear.
  const opt: Optimizer = loraPlus([layer], { lr: 1e-3, ratio: 16 });
  const pro: Optimizer = new LoraProAdamW([{ A: layer.A, B: layer.B, scale: layer.scale }], { lr: 1e-3 });
  // @ts-expect-error rates are per group (groups[i].lr, baseLr): an optimizer has no single lr
  pro.lr = 1e-3;
  // @ts-expect-error LoRA-Pro's variants are 'full' | 'efficient'
  new LoraProAdamW([{ A: layer.A, B: layer.B, scale: layer.scale }], { lr: 1e-3, variant: 'fast' });
  // @ts-expect-error LoraOneAdamW's variants are 'scaled-adamw' | 'adamw'
  new LoraOneAdamW([layer], { lr: 1e-3, variant: 'sgd' });
  const proFull = new LoraProAdamW([{ A: layer.A, B: layer.B, scale: layer.scale }], { lr: 1e-3, variant: 'full' });
  // @ts-expect-error the variant is fixed at construction (readonly)
  proFull.variant = 'efficient';
  const sched = new LrSchedule(opt, { kind: 'cosine', warmupSteps: 10, totalSteps: 100 });
  // @ts-expect-error 'step' is not a schedule kind ('constant' | 'linear' | 'cosine')
  new LrSchedule(opt, { kind: 'step', totalSteps: 100 });
  // @ts-expect-error the schedule's options are an object with its kind
  new LrSchedule(opt, 'cosine');
  // @ts-expect-error unknown schedule option (warmupSteps)
  new LrSchedule(opt, { kind: 'linear', warmup: 10, totalSteps: 100 });
  const norm: number = opt.clipGradNorm(1.0);
  // @ts-expect-error clipGradNorm takes the max norm as a number
  opt.clipGradNorm({ maxNorm: 1 });
  // @ts-expect-error baseLr is a number per group
  const base: string = opt.groups[0].baseLr;
  // @ts-expect-error the state's tensors are Tensors, not arrays
  const m: Float32Array = opt.stateDict().state['0.m'];
  // @ts-expect-error unknown AdamW option (weightDecay)
  new AdamW(ps, { lr: 1e-3, weight_decay: 0.1 });
  await saveCheckpoint('ckpt', { optimizer: opt, schedule: sched, layers: [layer], rngs: { data: new Rng(0) }, extra: { epoch: 1 } });
  // @ts-expect-error a checkpoint needs the optimizer
  await saveCheckpoint('ckpt', { schedule: sched });
  // @ts-expect-error rngs are Rng instances (their state is saved), not seeds
  await saveCheckpoint('ckpt', { optimizer: opt, rngs: { data: 0 } });
  const { step }: { step: number } = await loadCheckpoint('ckpt', { optimizer: opt });
  // @ts-expect-error loadCheckpoint gives a Promise: await it
  const sync: { step: number } = loadCheckpoint('ckpt', { optimizer: opt });
  new LoraLinear(W, t, t, { bias: t, trainBias: true });
  // @ts-expect-error the bias is a Tensor [out]
  new LoraLinear(W, t, t, { bias: 0.1 });
  // @ts-expect-error PEFT's 'lora_only' is not offered (PEFT saves no bias with it)
  await exportPeftAdapter('out', [{ name: 'q', layer }], { bias: 'lora_only' });
  const lin = new Linear(W, { bias: t, name: 'fc' });
  // @ts-expect-error a Linear has no rank or LoRA options
  new Linear(W, { rank: 4 });
  // @ts-expect-error weight is readonly (trained in place)
  lin.weight = param(t);
  // @ts-expect-error 'loraone' is not an initAdapters method ('lora-one')
  await initAdapters({ q: W }, { q: G }, { rank: 4, alpha: 8, method: 'loraone' });
  await initAdapters({ q: W }, { q: G }, { rank: 4, alpha: 8, method: 'lora-one', seed: 3 });
  void norm; void base; void m; void step; void sync;

  // Files, backends, errors.
  // @ts-expect-error the constructor is private: SafetensorsFile.open(path)
  new SafetensorsFile('model.safetensors', 3, header);
  // @ts-expect-error lora_alpha is required in the adapter config
  await writePeftAdapter('out', { modules: {}, config: { r: 4 } });
  // @ts-expect-error 'tpu' is not a BackendChoice
  resolveBackend('tpu');
  // @ts-expect-error a backend's name is 'cpu' or 'cuda', so this comparison is always false
  if (backends()[0].name === 'tpu') return;
  const e = new LoraShapeError('bad shape');
  // @ts-expect-error a LoraShapeError's code is 'LORA_SHAPE'
  const code: 'LORA_DTYPE' = e.code;
  void z; void code;
}

// A subclass of Optimizer must implement update().
// @ts-expect-error non-abstract class 'Incomplete' does not implement the abstract update()
export class Incomplete extends Optimizer {
  constructor(params: Param[]) {
    super(params, 0.1, 0);
  }
}
