/** TF.js in the tests: the pure-JS cpu backend (what loraga/tfjs reads zero-copy), and float helpers. */
import * as tf from '@tensorflow/tfjs';

export async function cpuBackend(): Promise<typeof tf> {
  await tf.setBackend('cpu');
  await tf.ready();
  return tf;
}

/** ‖a − b‖ / ‖b‖ over two equally long arrays, in float64. */
export function rel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

export { tf };
