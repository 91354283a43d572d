/** TF.js in the tests: the pure-JS cpu backend (what loraga/tfjs reads zero-copy), and float helpers. */
import * as tf from '@tensorflow/tfjs';

export async function cpuBackend(): Promise<typeof tf> {
  await tf.setBackend('cpu');
  await tf.ready();
  return tf;
}

/** ‖a − b‖ / ‖b‖ in float64 (helpers/ref.ts's relErr). */
export { relErr as rel } from './ref';

export { tf };
