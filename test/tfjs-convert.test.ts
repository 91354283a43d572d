/** loraga/tfjs conversions: who owns which memory across the TF.js boundary, and the typed errors. */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { LoraBackendError, LoraDTypeError, LoraDisposedError, LoraShapeError, LoraValueError, Tensor, matmul } from '../lib';
import { fromTf, isTfTensor, toTf, zeroCopyBackend } from '../lib/tfjs';
import { BACKEND, tfBackend, tf } from './helpers/tfjs';

beforeAll(tfBackend);

/** The array the cpu backend stores for a tf.Tensor. */
const backendArray = (t: tf.Tensor) => (tf.backend() as unknown as { data: { get(id: unknown): { values: unknown } } }).data.get(t.dataId).values;
/** The wasm backend's heap view of a tf.Tensor (its storage, which a download copies out of). */
const heapView = (t: tf.Tensor) => (tf.backend() as unknown as { typedArrayFromHeap(t: tf.Tensor): Float32Array }).typedArrayFromHeap(t);

describe('fromTf', () => {
  test('borrows: on the cpu backend the loraga tensor wraps the backend\'s own array (0 bytes copied); on wasm a download; read-only', () => {
    const t = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const l = fromTf(t);
    expect(zeroCopyBackend()).toBe(BACKEND === 'cpu');
    if (BACKEND === 'cpu') expect(l.data).toBe(backendArray(t));
    else expect(l.data.buffer).not.toBe(heapView(t).buffer);   // wasm: its own copy, never a view of the heap (which may move)
    expect(l.shape).toEqual([2, 3]);
    expect([l.borrowed, l.writable]).toEqual([true, false]);
    // loraga never writes into TF.js memory: an op told to write there refuses.
    expect(() => matmul(Tensor.from([1, 0, 0, 1], [2, 2]), Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]), { out: l })).toThrow(/writable/);
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('the borrowed array stays valid after the tf.Tensor is disposed', () => {
    const t = tf.tensor1d([7, 8, 9]);
    const l = fromTf(t);
    t.dispose();
    expect(Array.from(l.data)).toEqual([7, 8, 9]);
  });

  test('{ copy: true } owns a writable copy that shares nothing', () => {
    const t = tf.tensor1d([1, 2]);
    const l = fromTf(t, { copy: true });
    expect([l.borrowed, l.writable]).toEqual([false, true]);
    l.data[0] = 5;
    expect(Array.from(t.dataSync())).toEqual([1, 2]);
  });

  test('a scalar becomes shape [1]', () => {
    expect(fromTf(tf.scalar(3)).shape).toEqual([1]);
  });

  test('int32, bool and complex tensors are refused with LoraDTypeError (no reinterpretation of their bytes)', () => {
    // (wasm has no complex kernel, so complex tensors cannot exist there)
    for (const t of [tf.tensor1d([1, 2], 'int32'), tf.tensor1d([1, 0], 'bool'), ...(BACKEND === 'wasm' ? [] : [tf.complex([1], [2])])]) {
      expect(() => fromTf(t)).toThrow(LoraDTypeError);
      expect(() => fromTf(t)).toThrow(/cast it first/);
    }
  });

  test('misuse: a disposed tf.Tensor, a loraga Tensor, an unknown option', () => {
    const t = tf.tensor1d([1]);
    t.dispose();
    expect(() => fromTf(t)).toThrow(LoraDisposedError);
    expect(() => fromTf(Tensor.zeros([1]) as never)).toThrow(LoraValueError);
    expect(() => fromTf(tf.tensor1d([1]), { cpy: true } as never)).toThrow(/unknown option cpy/);
  });
});

describe('toTf', () => {
  test('copies by default: a later write into the loraga tensor leaves the tf.Tensor as it was', () => {
    const l = Tensor.from([1, 2, 3, 4], [2, 2]);
    const t = toTf(l);
    expect(t.shape).toEqual([2, 2]);
    expect(t.dtype).toBe('float32');
    l.data[0] = 9;
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4]);
  });

  test('{ copy: false } hands the storage over (the same array on the cpu backend, an upload on wasm) and freezes the loraga tensor', () => {
    const l = Tensor.from([1, 2, 3, 4], [2, 2]);
    const t = toTf(l, { copy: false });
    if (BACKEND === 'cpu') expect(backendArray(t)).toBe(l.data);
    else expect(Array.from(heapView(t))).toEqual([1, 2, 3, 4]);
    expect(l.writable).toBe(false);
    // TF.js assumes its tensors never change: loraga's ops no longer write there.
    expect(() => matmul(l, l, { out: l })).toThrow(LoraValueError);
  });

  test('f64 / bf16 tensors arrive as float32 values', () => {
    expect(Array.from(toTf(Tensor.from(new Float64Array([0.5, -2]), [2])).dataSync())).toEqual([0.5, -2]);
    expect(Array.from(toTf(Tensor.fromFloat64(new Float64Array([1.5]), [1], 'bf16')).dataSync())).toEqual([1.5]);
  });

  test('misuse: a tf.Tensor, a disposed tensor, an unknown option', () => {
    expect(() => toTf(tf.tensor1d([1]) as never)).toThrow(/already one/);
    const l = Tensor.zeros([1]);
    l.dispose();
    expect(() => toTf(l)).toThrow(LoraDisposedError);
    expect(() => toTf(Tensor.zeros([1]), { share: true } as never)).toThrow(LoraValueError);
  });
});

describe('a tf.Tensor handed to the core API names itself and the fix', () => {
  test('ops: LoraShapeError saying tf.Tensor and fromTf', () => {
    const t = tf.tensor2d([[1, 2], [3, 4]]);
    expect(isTfTensor(t)).toBe(true);
    expect(() => matmul(t as never, Tensor.zeros([2, 2]))).toThrow(LoraShapeError);
    expect(() => matmul(t as never, Tensor.zeros([2, 2]))).toThrow(/TensorFlow\.js tf\.Tensor \(float32\).*fromTf\(t\) from 'loraga\/tfjs'/);
  });

  test('Tensor.from: LoraValueError with the same hint', () => {
    expect(() => Tensor.from(tf.tensor1d([1]) as never, [1])).toThrow(/tf\.Tensor.*fromTf/);
  });
});

describe('loading', () => {
  const root = path.join(__dirname, '..');
  const env = { ...process.env, ...(process.env.LORAGA_BINARY ? { LORAGA_BINARY: path.resolve(process.env.LORAGA_BINARY) } : {}) };
  const node = (code: string) => execFileSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', env }).trim();

  test('the main entry never loads TF.js; loraga/tfjs does (CJS and ESM)', () => {
    expect(node("require('loraga'); console.log(Object.keys(require.cache).some((k) => k.includes('@tensorflow')))")).toBe('false');
    expect(node("const t = require('loraga/tfjs'); console.log(typeof t.fromTf, typeof t.LoraDense)")).toMatch(/function function$/);
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', "import { loraModel } from 'loraga/tfjs'; console.log(typeof loraModel)"], { cwd: root, encoding: 'utf8', env }).trim();
    expect(esm).toMatch(/function$/);
  });

  test('without @tensorflow/tfjs installed: LoraBackendError naming the package to install', () => {
    jest.isolateModules(() => {
      jest.doMock('@tensorflow/tfjs', () => {
        throw Object.assign(new Error("Cannot find module '@tensorflow/tfjs' from 'lib/tfjs/tf.ts'"), { code: 'MODULE_NOT_FOUND' });
      });
      let err: unknown = null;
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded inside the isolated registry
        require('../lib/tfjs/tf');
      } catch (e) {
        err = e;
      }
      // The isolated registry has its own copy of lib/errors: compare the class by name and code.
      expect(err).toMatchObject({ name: LoraBackendError.name, code: 'LORA_BACKEND' });
      expect(String(err)).toMatch(/npm install @tensorflow\/tfjs/);
    });
  });
});
