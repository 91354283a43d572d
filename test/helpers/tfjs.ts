/**
 * TF.js in the tests. The backend is the pure-JS 'cpu' one (what loraga/tfjs reads zero-copy) unless
 * LORAGA_TFJS_BACKEND names another: test/tfjs-wasm.test.ts runs the same loraga/tfjs test files on 'wasm'
 * (@tensorflow/tfjs-backend-wasm), where every crossing is a copy into or out of the wasm heap.
 */
import * as tf from '@tensorflow/tfjs';

/** The backend these tests run on. */
export const BACKEND = process.env.LORAGA_TFJS_BACKEND ?? 'cpu';

export async function tfBackend(): Promise<typeof tf> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- registers the 'wasm' backend only when asked for
  if (BACKEND === 'wasm') require('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(BACKEND))) throw new Error(`TF.js backend '${BACKEND}' failed to initialise`);
  await tf.ready();
  return tf;
}

/** ‖a − b‖ / ‖b‖ in float64 (helpers/ref.ts's relErr). */
export { relErr as rel } from './ref';

export { tf };
