// Device tensors on the CUDA backend: copies, conversions, lifetime, errors. Runs only where CUDA is usable.
import {
  DType, LoraBackendError, LoraDisposedError, LoraOutOfMemoryError, LoraValueError, Tensor, matmul, matmulAsync, sgdStep,
} from '../../lib';
import { native } from '../../lib/native';
import { randTensor } from '../helpers/ref';
import { cudaInfo, describeGpu } from './cuda';

const DTYPES: DType[] = ['f32', 'f64', 'bf16', 'f16'];

describeGpu('CUDA device tensors', () => {
  test('backends() names the device and the driver/cuBLAS/cuSOLVER versions', () => {
    expect(cudaInfo.deviceName.length).toBeGreaterThan(0);
    expect(cudaInfo.details).toMatch(/driver CUDA \d+\.\d+.*cuBLAS \d+\.\d+\.\d+ \(libcublas\.so\.\d+\).*cuSOLVER/);
  });

  test.each(DTYPES)('%s round-trips host → GPU → host bit-exactly', (dt) => {
    const { t } = randTensor([37, 19], 1, dt);
    const d = t.toDevice();
    expect(d.device).toBe('cuda');
    expect(d.shape).toEqual([37, 19]);
    expect(Array.from(d.toHost().data)).toEqual(Array.from(t.data));
    d.dispose();
  });

  test('dtype conversion on the GPU rounds exactly like the CPU (finite values, subnormals, overflow)', () => {
    const special = [0, -0, 1, -1, 65504, 65520, 1e6, -1e6, 6e-8, 1e-40, 3.1e-5, 1 / 3, Infinity, -Infinity];
    const src = Tensor.fromFloat64(Float64Array.from([...special, ...randTensor([500], 9, 'f64').v]), [514], 'f64');
    for (const from of DTYPES) {
      const a = src.to(from);
      for (const to of DTYPES) {
        const cpu = a.to(to), gpu = a.toDevice().to(to).toHost();
        expect([from, to, Array.from(gpu.data)]).toEqual([from, to, Array.from(cpu.data)]);
      }
    }
  });

  test('async copies resolve once the data has arrived', async () => {
    const { t } = randTensor([128, 64], 2, 'bf16');
    const d = await t.toDeviceAsync();
    const h = await d.toHostAsync();
    expect(Array.from(h.data)).toEqual(Array.from(t.data));
  });

  test('dispose() frees now; later use is LoraDisposedError; a reshape shares the memory', () => {
    const d = randTensor([8, 8], 3).t.toDevice();
    const r = d.reshape([64, 1]);
    expect(r.device).toBe('cuda');
    expect(Array.from(r.toHost().data)).toEqual(Array.from(d.toHost().data));
    d.dispose();
    expect(d.disposed).toBe(true);
    expect(() => d.toHost()).toThrow(LoraDisposedError);
    expect(() => r.toHost()).toThrow(LoraDisposedError); // the view's memory went with its owner
    d.dispose(); // twice is a no-op
  });

  test('.data on a device tensor is a LoraBackendError pointing at toHost()', () => {
    const d = Tensor.zeros([2, 2], 'f32', 'cuda');
    expect(() => d.data).toThrow(/toHost/);
  });

  test('an allocation larger than the GPU is a LoraOutOfMemoryError, and the device stays usable', () => {
    expect(() => Tensor.zeros([1 << 20, 1 << 20], 'f32', 'cuda')).toThrow(LoraOutOfMemoryError); // 4 TiB
    const d = Tensor.from(new Float32Array([1, 2]), [2]).toDevice();
    expect(Array.from(d.toHost().data)).toEqual([1, 2]);
  });

  test('mixing host and device tensors in one op is a LoraBackendError', () => {
    const a = randTensor([4, 4], 4).t.toDevice(), b = randTensor([4, 4], 5).t;
    expect(() => matmul(a, b)).toThrow(LoraBackendError);
  });

  test('an output that is also an input (same device memory) is a LoraValueError', () => {
    const a = randTensor([4, 4], 6).t.toDevice();
    expect(() => matmul(a, a, { out: a })).toThrow(LoraValueError);
  });

  test('isFinite() finds a NaN or ±Inf at every position of the vector loop\'s tail and body, every dtype', () => {
    // The kernel reads 16-byte vectors (4 f32, 8 bf16/f16) and finishes the n mod 4|8 tail element by element.
    for (const dt of DTYPES) {
      for (const n of [1, 7, 9, 15, 23, 1003]) {
        const v = new Float64Array(n).fill(0.5);
        expect([dt, n, Tensor.fromFloat64(v, [n], dt).toDevice().isFinite()]).toEqual([dt, n, true]);
        const spots = new Set([0, n - 1, n - 2, n - 3, n - 5, n - 7, n - 8, n - 9, Math.floor(n / 2)].filter((i) => i >= 0));
        for (const i of spots)
          for (const bad of [NaN, Infinity, -Infinity]) {
            v[i] = bad;
            expect([dt, n, i, bad, Tensor.fromFloat64(v, [n], dt).toDevice().isFinite()]).toEqual([dt, n, i, bad, false]);
            v[i] = 0.5;
          }
      }
    }
  });

  test('isFinite() scans on the device', () => {
    for (const dt of DTYPES) {
      const v = new Float64Array(1000).fill(1);
      expect(Tensor.fromFloat64(v, [1000], dt).toDevice().isFinite()).toBe(true);
      v[777] = NaN;
      expect(Tensor.fromFloat64(v, [1000], dt).toDevice().isFinite()).toBe(false);
    }
  });

  test('undisposed device tensors are freed by their finalizer (1.5× the GPU allocated, nothing kept)', async () => {
    // GPU memory is reported to V8 as external memory, so collection keeps pace; yielding lets finalizers run.
    const tile = 4096 * 4096 * 4, total = 1.5 * totalGpuBytes();
    for (let done = 0; done < total; done += 64 * tile) {
      for (let i = 0; i < 64; i++) Tensor.zeros([4096, 4096], 'f32', 'cuda');
      if (global.gc) global.gc();
      await new Promise((r) => setImmediate(r));
    }
    expect(Tensor.zeros([4096, 4096], 'f32', 'cuda').device).toBe('cuda');
  });
});

function totalGpuBytes(): number {
  const m = /([\d.]+) GiB/.exec(cudaInfo.details);
  return (m ? Number(m[1]) : 80) * 2 ** 30;
}

describeGpu('CUDA Tensor.randn', () => {
  test('the GPU draws the CPU matrix (f64 to libm rounding, f32 after rounding)', () => {
    const cpu = Tensor.randn([300, 77], 'f64', 'cpu', 11).toFloat64(), g = Tensor.randn([300, 77], 'f64', 'cuda', 11).toFloat64();
    let worst = 0;
    for (let i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(g[i] - cpu[i]));
    expect(worst).toBeLessThan(1e-12); // device log/cos differ from glibc by a few ulp at most
  });

  test('dispose() of a device tensor an async op is using defers the free: the op still computes the right result', async () => {
    const a = Tensor.randn([256, 192], 'f32', 'cpu', 5), b = Tensor.randn([192, 128], 'f32', 'cpu', 6);
    const want = matmul(a, b).toFloat64();
    const da = a.toDevice(), db = b.toDevice();
    const p = matmulAsync(da, db);
    da.dispose();
    db.dispose();
    expect(da.disposed).toBe(true);
    const got = (await p).toHost().toFloat64();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst).toBeLessThan(1e-3);  // f32 GEMM on two backends (TF32 off), K = 192
    expect(() => matmul(da, db)).toThrow(LoraDisposedError);
  });

  test('a device tensor with a tampered shape or dtype is refused by the native side, as a host tensor is', () => {
    const d = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]).toDevice();
    const fake = (shape: number[], dtype: string) => ({ handle: d._deviceHandle, shape, dtype, device: 'cuda' });
    const out = Tensor.zeros([2, 2], 'f32', 'cuda');
    for (const [shape, dtype] of [[[3, 3], 'f32'], [[2, 6], 'f32'], [[2, 3], 'f64'], [[2, 3], 'bf16']] as [number[], string][])
      expect(() => native.matmul(fake(shape, dtype), fake(shape, dtype), out, false, true, 1, 0, false)).toThrow(/does not match shape/);
    expect(Array.from(d.toHost().data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('an argument getter that frees an earlier device argument cannot free it under the op (pinned)', () => {
    const p = Tensor.from([1, 2, 3, 4], [4]).toDevice();
    const g = Tensor.from([1, 1, 1, 1], [4]).toDevice();
    const gArg = { handle: g._deviceHandle, shape: [4], device: 'cuda', get dtype() { p.dispose(); return 'f32'; } };
    native.sgdStep(p, gArg, null, 0.5, 0, 0, false);
    expect(p.disposed).toBe(true);  // freed once the op let go of it; the op wrote into live memory meanwhile
    const q = Tensor.from([1, 2, 3, 4], [4]).toDevice();
    sgdStep(q, g, null, { lr: 0.5 });
    expect(Array.from(q.toHost().data)).toEqual([0.5, 1.5, 2.5, 3.5]);
  });
});
