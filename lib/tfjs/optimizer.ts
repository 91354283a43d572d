/**
 * NativeAdamW (declared in types/tfjs.d.ts): a tf.Optimizer whose step is loraga's fused adamwStep, so model.fit and
 * tf.train-style loops update TF.js variables at the native kernels' speed (TF.js's own Adam on the pure-JS backend
 * is ~10 tensor ops per variable per step, each a fresh array). TF.js tensors are immutable, so nothing is updated in
 * place: each step reads the variable's storage (borrowed, read-only), writes the new value into a fresh loraga
 * tensor (adamwStep's `out`) and hands that to the variable with `assign`, zero-copy on the pure-JS backend. The
 * moments live in loraga memory, keyed by variable name.
 */
import type * as TF from '@tensorflow/tfjs';
import type { NamedTensor, NativeAdamWOptions } from '../../types/tfjs';
import type { Tensor as TensorType } from '../../types/tensor';
import { LoraDTypeError, LoraValueError } from '../errors';
import { finiteNumber, knownKeys, unitInterval } from '../ops/check';
import { ADAMW_KEYS } from '../train/optim';
import { adamwStep } from '../ops/optim';
import { Tensor } from '../tensor';
import { fromTf, toTf } from './convert';
import { tf } from './tf';
import { str } from '../show';

interface Moments {
  m: TensorType;
  v: TensorType;
}

export class NativeAdamW extends tf.Optimizer {
  static get className(): string {
    return 'NativeAdamW';
  }
  /** The learning rate; may be changed between steps (a schedule or a callback). */
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  private moments = new Map<string, Moments>();

  constructor(options: NativeAdamWOptions) {
    super();
    knownKeys(options, ADAMW_KEYS, 'NativeAdamW');
    const { lr, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = options;
    this.lr = finiteNumber(lr, 'NativeAdamW lr');
    if (!Array.isArray(betas) || betas.length !== 2) throw new LoraValueError(`NativeAdamW betas: expected [beta1, beta2], got ${str(betas)}`);
    this.betas = [unitInterval(betas[0], 'NativeAdamW beta1'), unitInterval(betas[1], 'NativeAdamW beta2')];
    this.eps = finiteNumber(eps, 'NativeAdamW eps');
    this.weightDecay = finiteNumber(weightDecay, 'NativeAdamW weightDecay');
  }

  applyGradients(variableGradients: TF.NamedTensorMap | NamedTensor[]): void {
    const pairs: [string, TF.Tensor | null | undefined][] = Array.isArray(variableGradients)
      ? variableGradients.map(({ name, tensor }) => [name, tensor])
      : Object.entries(variableGradients);
    const step = this.iterations + 1;
    const registered = tf.engine().registeredVariables;
    // Every pair is checked before any variable changes: a rejected step updates nothing.
    const work: [string, TF.Variable, TF.Tensor][] = [];
    for (const [name, grad] of pairs) {
      if (grad == null) continue;  // a variable the loss does not reach, as TF.js's optimizers skip it
      const variable = registered[name];
      if (!variable) throw new LoraValueError(`NativeAdamW: no tf.Variable named '${name}' (gradients are keyed by variable name)`);
      if (variable.dtype !== 'float32') throw new LoraDTypeError(`NativeAdamW: variable '${name}' is ${variable.dtype}; only float32 variables can be trained`);
      if (grad.dtype !== 'float32') throw new LoraDTypeError(`NativeAdamW: the gradient of '${name}' is ${grad.dtype}, expected float32`);
      if (grad.size !== variable.size) throw new LoraValueError(`NativeAdamW: the gradient of '${name}' is [${grad.shape.join(', ')}], the variable [${variable.shape.join(', ')}] (their sizes do not match)`);
      const st = this.moments.get(name);
      if (st && st.m.size !== variable.size) throw new LoraValueError(`NativeAdamW: variable '${name}' is [${variable.shape.join(', ')}] but its moments (from earlier steps or setWeights) are [${st.m.shape.join(', ')}]`);
      work.push([name, variable, grad]);
    }
    for (const [name, variable, grad] of work) {
      const p = fromTf(variable);
      let st = this.moments.get(name);
      if (!st) this.moments.set(name, (st = { m: Tensor.zeros(p.shape), v: Tensor.zeros(p.shape) }));
      const out = Tensor.zeros(p.shape);
      adamwStep(p, fromTf(grad), st.m, st.v, { lr: this.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, weightDecay: this.weightDecay, step, out });
      tf.tidy(() => variable.assign(toTf(out, { copy: false }) as TF.Tensor));
    }
    this.incrementIterations();
  }

  /** The step count, then each variable's moments as `<name>/m` and `<name>/v` (copies). */
  async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    for (const [name, { m, v }] of this.moments) out.push({ name: `${name}/m`, tensor: toTf(m) }, { name: `${name}/v`, tensor: toTf(v) });
    return out;
  }

  async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const found = new Map<string, Partial<Moments>>();
    for (const { name, tensor } of rest) {
      const at = name.lastIndexOf('/'), key = name.slice(at + 1);
      if (at < 0 || (key !== 'm' && key !== 'v')) throw new LoraValueError(`NativeAdamW.setWeights: '${name}' is not a '<variable>/m' or '<variable>/v' weight`);
      const entry = found.get(name.slice(0, at)) ?? {};
      entry[key] = fromTf(tensor, { copy: true });
      found.set(name.slice(0, at), entry);
    }
    const moments = new Map<string, Moments>();
    for (const [name, { m, v }] of found) {
      if (!m || !v || String(m.shape) !== String(v.shape)) throw new LoraValueError(`NativeAdamW.setWeights: variable '${name}' needs both its /m and /v of one shape`);
      moments.set(name, { m, v });
    }
    this.moments = moments;
  }

  getConfig(): TF.serialization.ConfigDict {
    return { lr: this.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, weightDecay: this.weightDecay };
  }

  static fromConfig<T extends TF.serialization.Serializable>(cls: TF.serialization.SerializableConstructor<T>, config: TF.serialization.ConfigDict): T {
    const c = config as { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number };
    return new (cls as unknown as typeof NativeAdamW)({ lr: c.lr, betas: [c.beta1, c.beta2], eps: c.eps, weightDecay: c.weightDecay }) as unknown as T;
  }

  dispose(): void {
    this.moments.clear();
    super.dispose();
  }
}
tf.serialization.registerClass(NativeAdamW);

/** `model.compile({ optimizer: adamw({ lr: 1e-3 }), loss })`: a NativeAdamW. */
export function adamw(options: NativeAdamWOptions): NativeAdamW {
  return new NativeAdamW(options);
}
