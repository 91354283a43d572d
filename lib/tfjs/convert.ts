/**
 * tf.Tensor ↔ loraga Tensor (declared in types/tfjs.d.ts). The ownership rules of README "Memory and ownership"
 * across the boundary:
 *  - fromTf borrows: the tensor wraps what dataSync() returns, read-only, so loraga never writes into TF.js memory.
 *    On the pure-JS cpu backend that is the backend's own array (zero-copy; TF.js never changes a tensor's values,
 *    and a disposed tf.Tensor's array stays valid for as long as the loraga tensor holds it); other backends
 *    download a copy. `{ copy: true }` gives an owned, writable copy.
 *  - toTf copies by default. `{ copy: false }` hands the storage over (zero-copy on the cpu backend, an upload on
 *    the others) and makes the loraga tensor read-only to loraga's ops from then on: TF.js assumes its tensors never
 *    change.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Tensor as TensorType } from '../../types/tensor';
import { LoraBackendError, LoraDTypeError, LoraDisposedError, LoraValueError } from '../errors';
import { tagOf } from '../dtype';
import { knownKeys } from '../ops/check';
import { Tensor } from '../tensor';
import { tf } from './tf';

/** True for a TensorFlow.js tensor (of whichever copy of tfjs-core made it). */
export function isTfTensor(x: unknown): x is TF.Tensor {
  if (x instanceof tf.Tensor) return true;
  const o = x as { dataId?: unknown; rankType?: unknown; dtype?: unknown } | null;
  return o !== null && typeof o === 'object' && o.dataId !== undefined && o.rankType !== undefined && typeof o.dtype === 'string';
}

/** Whether dataSync() hands out the backend's own storage (the pure-JS cpu backend) rather than a download. */
export function zeroCopyBackend(): boolean {
  return tf.getBackend() === 'cpu';
}

export function fromTf(t: TF.Tensor, options: { copy?: boolean } = {}): TensorType<'f32'> {
  knownKeys(options, ['copy'], 'fromTf');
  if (!isTfTensor(t)) throw new LoraValueError(`fromTf: expected a tf.Tensor, got ${(t as unknown) instanceof Tensor ? 'a loraga Tensor (already converted)' : t === null ? 'null' : typeof t}`);
  if (t.isDisposed) throw new LoraDisposedError(`fromTf: the tf.Tensor [${t.shape.join(', ')}] was disposed`);
  if (t.dtype !== 'float32')
    throw new LoraDTypeError(`fromTf: a ${t.dtype} tf.Tensor is not float data (loraga computes in float); cast it first: tf.cast(t, 'float32')`);
  const data = t.dataSync() as Float32Array;
  const shape = t.shape.length === 0 ? [1] : t.shape;
  // A copy when asked for, or when the backend handed out shared memory (another thread may write it).
  if (options.copy || tagOf(data.buffer) !== 'ArrayBuffer') return Tensor.fromFloat64(data, shape, 'f32');
  return Tensor.from(data, shape);
}

export function toTf(t: TensorType, options: { copy?: boolean } = {}): TF.Tensor {
  knownKeys(options, ['copy'], 'toTf');
  if (!(t instanceof Tensor)) throw new LoraValueError(`toTf: expected a loraga Tensor, got ${isTfTensor(t) ? 'a tf.Tensor (already one)' : t === null ? 'null' : typeof t}`);
  if (t.disposed) throw new LoraDisposedError(`toTf: tensor [${t.shape.join(', ')}] ${t.dtype} was disposed`);
  if (t.device !== 'cpu') throw new LoraBackendError(`toTf: tensor [${t.shape.join(', ')}] lives on ${t.device}; bring it to the host first (toHost())`);
  if (!t.isF32()) return tf.tensor(t.toFloat32(), [...t.shape], 'float32');  // converted: a fresh array either way
  if (options.copy !== false) return tf.tensor(t.data.slice(), [...t.shape], 'float32');
  const out = tf.tensor(t.data, [...t.shape], 'float32');
  freeze(t);
  return out;
}

/**
 * From now on loraga's ops refuse to write into `t` (LoraValueError naming { writable }), as into any borrowed
 * memory: TF.js may be holding its array. (The addon and the ops read the plain `_readonly` field.)
 */
export function freeze(t: TensorType): void {
  (t as unknown as { _readonly: boolean })._readonly = true;
}
