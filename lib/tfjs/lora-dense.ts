/**
 * LoraDense (declared in types/tfjs.d.ts): a TF.js layer y = act(x·Wᵀ + s·(x·Aᵀ)·Bᵀ + b) with W [units, in] and b
 * frozen and lora_A [r, in], lora_B [units, r] trainable tf variables, so model.fit, tf.train optimizers, clipping
 * and model.save see them as any layer's weights. W is stored [out, in] (nn.Linear's layout, what the fused ops
 * take; a Dense kernel is its transpose). Forward and backward are loraga's loraForward / loraBackward through
 * tf.customGrad's machinery, stateless: each call's gradient closes over that call's own inputs, so a layer used
 * several times in one graph gets every gradient right.
 */
import type * as TF from '@tensorflow/tfjs';
import type { LoraDenseArgs } from '../../types/tfjs';
import type { Tensor } from '../../types/tensor';
import type { LoraBackwardResult } from '../../types/ops/lora';
import { LoraShapeError, LoraValueError } from '../errors';
import { knownKeys } from '../ops/check';
import { loraBackward, loraForward } from '../ops/lora';
import { matmul } from '../ops/matmul';
import { addBias } from '../train/host';
import { transpose2d } from '../init/layout';
import { fromTf, toTf, zeroCopyBackend } from './convert';
import { engineKernelFunc } from './engine';
import { tf } from './tf';
import { str } from '../show';

const ARGS = ['units', 'rank', 'scale', 'activation', 'useBias', 'offset', 'name', 'inputShape', 'batchInputShape', 'batchSize', 'trainable', 'dtype', 'inputDType', 'weights'];
/** What TF.js's deserializer adds to a config besides the layer's own fields. */
const FROM_CONFIG = ['customObjects', 'fastWeightInit'];

/** A fresh loraga result handed to TF.js without a copy: nobody else holds it, and nothing writes it again. */
const hand = (t: Tensor) => toTf(t, { copy: false });

/**
 * The frozen W and bias as loraga tensors. On the pure-JS backend fromTf is free; elsewhere (wasm, WebGL) it is a
 * download, so each download is kept per TF.js data id: a data id's values never change (TF.js tensors are
 * immutable; a variable's assign moves it to a new id), so every step after the first reads W without a copy.
 */
const downloads = new WeakMap<object, Tensor>();
function frozen(t: TF.Tensor): Tensor {
  if (zeroCopyBackend() || t.isDisposed) return fromTf(t);  // (a disposed t: fromTf's LoraDisposedError)
  const id = t.dataId as object;
  let l = downloads.get(id);
  if (!l || l.disposed) downloads.set(id, (l = fromTf(t)));
  return l;
}

/**
 * y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ (+ b) as one TF.js op whose gradient (for x, A and B; W and b are frozen) is loraBackward.
 * Every tf.Tensor is read in place where the backend allows (fromTf) and every result handed over without a copy.
 * dX (a T×out×in product, as costly as the forward) is computed only when TF.js asks for it: not for a first layer,
 * nor when what is below it is frozen.
 */
export function loraDenseOp(x: TF.Tensor, W: TF.Tensor, A: TF.Tensor, B: TF.Tensor, scale: number, bias: TF.Tensor | null = null): TF.Tensor {
  const w = frozen(W), b = bias ? frozen(bias) : null;
  const xl = fromTf(x), al = fromTf(A), bl = fromTf(B);
  let h: Tensor | null = null;
  const forward = () => {
    const r = loraForward(xl, w, al, bl, scale);
    if (b) addBias(r.y, b);
    h = r.h;
    return hand(r.y);
  };
  /** The backward for one dY, run at most once with dX and once without; each result handed to TF.js when asked for. */
  const backward = (dy: TF.Tensor) => {
    const dyl = fromTf(dy);
    let withDx: LoraBackwardResult | null = null, withoutDx: LoraBackwardResult | null = null;
    const get = (needDx: boolean) =>
      needDx || withDx ? (withDx ??= loraBackward(dyl, xl, w, al, bl, scale, { h })) : (withoutDx ??= loraBackward(dyl, xl, w, al, bl, scale, { h, needDx: false }));
    return { 0: () => hand(get(true).dX as Tensor), 1: () => hand(get(false).dA), 2: () => hand(get(false).dB) };
  };
  const run = engineKernelFunc.get();
  if (run) return run({ forwardFunc: forward, backwardsFunc: backward, inputs: { 0: x, 1: A, 2: B } });
  const op = tf.customGrad((() => {
    const value = forward();
    return { value, gradFunc: (dy: TF.Tensor) => Object.values(backward(dy)).map((f) => f()) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, A, B);
}

export class LoraDense extends tf.layers.Layer {
  static className = 'LoraDense';
  readonly units: number;
  readonly rank: number;
  readonly scale: number;
  readonly activation: string;
  readonly useBias: boolean;
  readonly offset: boolean;
  weight: TF.LayerVariable | null = null;
  bias: TF.LayerVariable | null = null;
  loraA: TF.LayerVariable | null = null;
  loraB: TF.LayerVariable | null = null;
  loraA0: TF.LayerVariable | null = null;
  loraB0: TF.LayerVariable | null = null;
  private readonly act: TF.layers.Layer | null;

  constructor(args: LoraDenseArgs) {
    knownKeys(args, [...ARGS, ...FROM_CONFIG], 'LoraDense');
    const { units, rank, scale, activation, useBias, offset, ...rest } = args ?? ({} as LoraDenseArgs);
    super(Object.fromEntries(Object.entries(rest).filter(([k]) => !FROM_CONFIG.includes(k))));
    for (const [k, v] of [['units', units], ['rank', rank]] as const)
      if (!Number.isSafeInteger(v) || (v as number) < 1) throw new LoraValueError(`LoraDense ${k}: expected a positive integer, got ${str(v)}`);
    if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new LoraValueError(`LoraDense scale: expected a finite number, got ${str(scale)}`);
    this.units = units;
    this.rank = rank;
    this.scale = scale;
    this.activation = activation ?? 'linear';
    this.useBias = useBias ?? true;
    this.offset = offset ?? false;
    // An unknown activation name fails here (TF.js's own lookup, as a typed error), not at the first call.
    try {
      this.act = this.activation === 'linear' ? null : tf.layers.activation({ activation: this.activation as never });
    } catch (e) {
      throw new LoraValueError(`LoraDense activation: ${(e as Error).message}`);
    }
  }

  build(inputShape: TF.Shape | TF.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
    const inF = shape[shape.length - 1];
    if (typeof inF !== 'number') throw new LoraShapeError(`LoraDense ${this.name}: the last input dimension must be known, got [${shape.join(', ')}]`);
    const zeros = tf.initializers.zeros();
    // Plain LoRA's A (PEFT: kaiming_uniform_(a=√5) = U(−1/√in, 1/√in)); B = 0. Inits overwrite both.
    const bound = 1 / Math.sqrt(inF);
    this.weight = this.addWeight('weight', [this.units, inF], 'float32', zeros, undefined, false);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], 'float32', zeros, undefined, false);
    this.loraA = this.addWeight('lora_A', [this.rank, inF], 'float32', tf.initializers.randomUniform({ minval: -bound, maxval: bound }), undefined, true);
    this.loraB = this.addWeight('lora_B', [this.units, this.rank], 'float32', zeros, undefined, true);
    if (this.offset) {
      this.loraA0 = this.addWeight('lora_A0', [this.rank, inF], 'float32', zeros, undefined, false);
      this.loraB0 = this.addWeight('lora_B0', [this.units, this.rank], 'float32', zeros, undefined, false);
    }
    this.built = true;
  }

  computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
    return [...shape.slice(0, -1), this.units];
  }

  call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const y = loraDenseOp(x, this.weight!.read(), this.loraA!.read(), this.loraB!.read(), this.scale, this.bias ? this.bias.read() : null);
      return this.act ? (this.act.apply(y) as TF.Tensor) : y;
    });
  }

  /**
   * Sets weights by name (weight, bias, lora_A, lora_B, lora_A0, lora_B0): TF.js orders getWeights() trainable first,
   * so names are safer than positions. Each value is checked against the weight's shape by TF.js.
   */
  setNamed(values: Record<string, TF.Tensor>): void {
    const vars: Record<string, TF.LayerVariable | null> = {
      weight: this.weight, bias: this.bias, lora_A: this.loraA, lora_B: this.loraB, lora_A0: this.loraA0, lora_B0: this.loraB0,
    };
    for (const [k, v] of Object.entries(values)) {
      const dst = vars[k];
      if (!dst) throw new LoraValueError(`LoraDense ${this.name}: no weight '${k}' (this layer has ${Object.keys(vars).filter((n) => vars[n]).join(', ')})`);
      if (String(dst.shape) !== String(v.shape)) throw new LoraShapeError(`LoraDense ${this.name}: ${k} is [${dst.shape.join(', ')}], got [${v.shape.join(', ')}]`);
      dst.write(v);
    }
  }

  /** The Dense kernel [in, units] this layer computes with: (W + s·B·A)ᵀ. */
  mergedKernel(): TF.Tensor2D {
    const E = fromTf(this.weight!.read(), { copy: true });
    matmul(fromTf(this.loraB!.read()), fromTf(this.loraA!.read()), { alpha: this.scale, beta: 1, out: E });
    return hand(transpose2d(E)) as TF.Tensor2D;
  }

  getConfig(): TF.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, rank: this.rank, scale: this.scale, activation: this.activation, useBias: this.useBias, offset: this.offset };
  }
}
tf.serialization.registerClass(LoraDense);
