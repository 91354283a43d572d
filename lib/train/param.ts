/**
 * A trainable tensor and its gradient, the unit the optimizers step. `grad` is written by a layer's backward pass
 * (LoraLinear.backward) or by the trainer, and read (never freed) by Optimizer.step().
 */
import { Tensor } from '../tensor';

export interface Param {
  value: Tensor;
  grad: Tensor | null;
  /** For messages and exports. */
  name?: string;
}

export function param(value: Tensor, name?: string): Param {
  return { value, grad: null, name };
}
