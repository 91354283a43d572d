/**
 * What tf.customGrad runs on, tfjs-core's Engine.runKernelFunc: a forward, and a backward that returns one thunk per
 * input, which TF.js's backprop calls only for the inputs on the path from what is differentiated (so loraDenseOp
 * skips dX when nothing needs it). It is not in tfjs-core's public typings, so it is looked up; where it is absent,
 * loraDenseOp uses tf.customGrad (every gradient computed). `get` is an object member so tests can take that path.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from './tf';

export type RunKernelFunc = (p: {
  forwardFunc: () => TF.Tensor;
  backwardsFunc: (dy: TF.Tensor) => Record<string, () => TF.Tensor>;
  inputs: Record<string, TF.Tensor>;
}) => TF.Tensor;

export const engineKernelFunc = {
  get(): RunKernelFunc | null {
    const engine = tf.engine() as unknown as { runKernelFunc?: RunKernelFunc };
    return typeof engine.runKernelFunc === 'function' ? engine.runKernelFunc.bind(engine) : null;
  },
};
