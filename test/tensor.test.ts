import {
  LoraDTypeError, LoraDisposedError, LoraLayoutError, LoraOutOfMemoryError, LoraShapeError, Tensor, matmul, matmulAsync,
} from '../lib';

describe('zero-copy views', () => {
  test('a Float32Array is wrapped, not copied: mutating the caller\'s array changes the tensor and op results', () => {
    const arr = new Float32Array([1, 2, 3, 4]);
    const t = Tensor.from(arr, [2, 2]);
    expect(t.data).toBe(arr);
    arr[0] = 10;
    const I = Tensor.from(new Float32Array([1, 0, 0, 1]), [2, 2]);
    expect(Array.from(matmul(t, I).data)).toEqual([10, 2, 3, 4]);
    t.data[3] = 40; // and the other way round
    expect(arr[3]).toBe(40);
  });

  test('an ArrayBuffer with an aligned offset is viewed in place', () => {
    const buf = new ArrayBuffer(64);
    const t = Tensor.from(buf, [2, 2], { dtype: 'f64', byteOffset: 16 });
    new Float64Array(buf, 16, 4)[2] = 5;
    expect(t.data[2]).toBe(5);
  });

  test('a Node Buffer (Uint8Array) is viewed in place', () => {
    const b = Buffer.alloc(24);
    const t = Tensor.from(b, [6], { dtype: 'f32' });
    new Float32Array(b.buffer, b.byteOffset, 6)[5] = 2.5;
    expect(t.data[5]).toBe(2.5);
  });

  test('reshape shares storage', () => {
    const t = Tensor.from(new Float32Array(6), [2, 3]);
    const r = t.reshape([3, 2]);
    r.data[0] = 1;
    expect(t.data[0]).toBe(1);
    expect(() => t.reshape([4, 2])).toThrow(LoraShapeError);
  });
});

describe('dtype conversion', () => {
  test('bf16 rounds to nearest even and converts back exactly', () => {
    const vals = [1, -2.5, 3.140625, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 65504, 1e-30];
    const t = Tensor.from(vals, [vals.length], { dtype: 'bf16' });
    const back = t.toFloat64();
    expect(back[0]).toBe(1);
    expect(back[1]).toBe(-2.5);
    expect(back[2]).toBe(3.140625);
    expect(back[3]).toBe(1); // tie → even
    expect(back[4]).toBe(1 + 4 * 2 ** -8); // tie → even (up)
    for (let i = 0; i < vals.length; i++) expect(Math.abs(back[i] - vals[i])).toBeLessThanOrEqual(Math.abs(vals[i]) * 2 ** -8);
  });

  test('f16 handles normals, subnormals, overflow and NaN', () => {
    const t = Tensor.from([1, 0.1, 6e-8, 70000, NaN, -0], [6], { dtype: 'f16' });
    const b = t.toFloat64();
    expect(b[0]).toBe(1);
    expect(Math.abs(b[1] - 0.1)).toBeLessThan(1e-4);
    expect(b[2]).toBeCloseTo(5.960464477539063e-8, 15); // smallest subnormal 2^-24
    expect(b[3]).toBe(Infinity);
    expect(Number.isNaN(b[4])).toBe(true);
    expect(Object.is(b[5], -0)).toBe(true);
    expect(t.isFinite()).toBe(false);
  });

  test('to() round trip f32 → f64 → f32 is exact', () => {
    const a = Tensor.from(new Float32Array([0.1, 0.2, 0.3]), [3]);
    expect(Array.from(a.to('f64').to('f32').data)).toEqual(Array.from(a.data));
  });
});

describe('tensor validation', () => {
  test('length not matching the shape', () => {
    expect(() => Tensor.from(new Float32Array(5), [2, 3])).toThrow(LoraShapeError);
    expect(() => Tensor.from(new Float32Array(5), [2, 3])).toThrow(/5 elements.*\[2, 3\]/);
  });
  test('bad shapes', () => {
    expect(() => Tensor.zeros([2, -1])).toThrow(LoraShapeError);
    expect(() => Tensor.zeros([1.5])).toThrow(LoraShapeError);
    expect(() => Tensor.zeros([] as number[])).toThrow(LoraShapeError);
  });
  test('dtype that does not match the storage', () => {
    expect(() => Tensor.from(new Float32Array(4), [4], { dtype: 'f64' })).toThrow(LoraDTypeError);
    expect(() => Tensor.from(new Uint16Array(4), [4])).toThrow(LoraDTypeError);
    expect(() => Tensor.zeros([2], 'int8' as never)).toThrow(LoraDTypeError);
  });
  test('misaligned byte offset is a layout error, not a crash', () => {
    expect(() => Tensor.from(new ArrayBuffer(20), [2], { dtype: 'f32', byteOffset: 2 })).toThrow(LoraLayoutError);
  });
  test('a host allocation too large for memory is a LoraOutOfMemoryError, not a RangeError', () => {
    expect(() => Tensor.zeros([1e6, 1e6])).toThrow(LoraOutOfMemoryError);
    expect(() => Tensor.zeros([1e6, 1e6])).toThrow(/GiB/);
  });
  test('buffer too short', () => {
    expect(() => Tensor.from(new ArrayBuffer(8), [4], { dtype: 'f32' })).toThrow(LoraShapeError);
  });
  test('native side re-checks a tampered tensor instead of reading out of bounds', () => {
    const t = Tensor.zeros([2, 2]);
    (t as unknown as { shape: number[] }).shape = [4, 4]; // frozen array replaced by force
    Object.defineProperty(t, 'shape', { value: [4, 4] });
    Object.defineProperty(t, 'size', { value: 4 });
    expect(() => matmul(t, Tensor.zeros([4, 4]))).toThrow(LoraShapeError);
  });
});

describe('dispose', () => {
  test('use after dispose throws LoraDisposedError; dispose twice is harmless', () => {
    const t = Tensor.zeros([3, 3]);
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => t.data).toThrow(LoraDisposedError);
    expect(() => matmul(t, Tensor.zeros([3, 3]))).toThrow(LoraDisposedError);
    t.dispose();
  });
  test('dispose never frees host memory under a holder: an array taken from .data keeps its values', () => {
    const t = Tensor.from([1, 2, 3, 4], [4]);
    const held = t.data;  // e.g. handed to tf.tensor1d(held), zero-copy
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(Array.from(held)).toEqual([1, 2, 3, 4]);
  });
  test('a caller\'s array is never detached', () => {
    const arr = new Float32Array(4);
    const t = Tensor.from(arr, [4]);
    t.dispose();
    expect(arr.length).toBe(4);
  });
  test('a reshape() view keeps its values after its owner is disposed', () => {
    const t = Tensor.from([1, 2, 3, 4], [2, 2]);
    const v = t.reshape([4]);
    t.dispose();
    expect(Array.from(v.data)).toEqual([1, 2, 3, 4]);
  });
  test('disposing a tensor an async op is using is safe: the op still completes with the right result', async () => {
    const a = Tensor.randn([64, 64], 'f32', 'cpu', 1), b = Tensor.randn([64, 64], 'f32', 'cpu', 2);
    const expected = matmul(a, b).toFloat64();
    const p = matmulAsync(a, b);
    a.dispose();
    b.dispose();
    expect(Array.from((await p).toFloat64())).toEqual(Array.from(expected));
  });
});
