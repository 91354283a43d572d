/**
 * The TensorFlow.js that loraga/tfjs works with: the caller's `@tensorflow/tfjs` (an optional peer dependency, ≥ 4),
 * loaded when loraga/tfjs is, never by the main entry. Missing or too old: LoraBackendError saying what to install.
 */
import type * as TF from '@tensorflow/tfjs';
import { LoraBackendError } from '../errors';

function load(): typeof TF {
  let tf: typeof TF;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional peer: loaded here, not by the main entry
    tf = require('@tensorflow/tfjs');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND' && /@tensorflow\/tfjs'/.test(String((e as Error).message)))
      throw new LoraBackendError("loraga/tfjs needs @tensorflow/tfjs (>= 4), an optional peer dependency: npm install @tensorflow/tfjs");
    throw e;
  }
  const major = Number(String(tf.version?.tfjs ?? tf.version_core ?? '0').split('.')[0]);
  if (!(major >= 4)) throw new LoraBackendError(`loraga/tfjs needs @tensorflow/tfjs >= 4, found ${String(tf.version?.tfjs ?? tf.version_core)}`);
  return tf;
}

export const tf = load();
export type { TF };
