// What can be checked without a GPU: the addon loads with no NVIDIA library, backends() says precisely why CUDA is
// unavailable, and asking for device memory is a typed error carrying that reason (not a crash).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LoraBackendError, Tensor, backends, setAllowTf32 } from '../lib';

const cuda = backends().find((b) => b.name === 'cuda')!;
// Every reason the native discovery can give (csrc/cuda/libs.cc, csrc/cuda/backend.cc, csrc/cuda/stub.cc).
const KNOWN_REASON = /^(libcuda\.so\.1 not found|CUDA runtime: |no CUDA device visible|LORAGA_CUDA_DEVICE=|cuBLAS not found|cuSOLVER not found|libcu\w+\.so\.\d+ lacks |this build has no CUDA backend|probe kernel: |cuda\w+: )/;

function addonPath(): string {
  if (process.env.LORAGA_BINARY) return path.resolve(process.env.LORAGA_BINARY);
  return path.join(__dirname, '..', 'build', 'Release', 'loraga.node');
}

describe('CUDA discovery without a usable GPU', () => {
  test('the addon links no NVIDIA library (DT_NEEDED has no libcuda/libcudart/libcublas/libcusolver)', () => {
    const bin = addonPath();
    if (!fs.existsSync(bin)) return; // prebuilt elsewhere: nothing to inspect (the load itself is tested below)
    const dyn = execFileSync('readelf', ['-d', bin], { encoding: 'utf8' });
    const needed = dyn.split('\n').filter((l) => l.includes('(NEEDED)'));
    expect(needed.length).toBeGreaterThan(0);
    for (const l of needed) expect(l).not.toMatch(/libcuda|libcudart|libcublas|libcusolver/);
  });

  test('backends() lists cuda with availability, and a precise reason when unavailable', () => {
    expect(cuda).toBeDefined();
    if (cuda.available) {
      expect(cuda.deviceName.length).toBeGreaterThan(0);
      expect(cuda.details).toMatch(/cuBLAS .*cuSOLVER/);
    } else {
      expect(cuda.reason).toMatch(KNOWN_REASON);
    }
  });

  const noGpu = cuda.available ? test.skip : test;
  noGpu('toDevice(), Tensor.zeros(…, "cuda") and setAllowTf32 throw LoraBackendError carrying the reason', () => {
    const t = Tensor.from(new Float32Array([1, 2, 3, 4]), [2, 2]);
    expect(() => t.toDevice('cuda')).toThrow(LoraBackendError);
    expect(() => t.toDevice()).toThrow(cuda.reason);
    expect(() => Tensor.zeros([2, 2], 'bf16', 'cuda')).toThrow(LoraBackendError);
    expect(() => setAllowTf32(true)).toThrow(LoraBackendError);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4]); // the source is untouched
  });

  test('toDevice("cpu") / toHost() on a host tensor are plain copies', () => {
    const t = Tensor.from(new Float32Array([1, 2, 3, 4]), [2, 2]);
    const h = t.toHost();
    expect(h.device).toBe('cpu');
    expect(h.data).not.toBe(t.data);
    expect(Array.from(h.data)).toEqual([1, 2, 3, 4]);
  });

  test('an unknown device is a LoraBackendError', () => {
    expect(() => Tensor.zeros([2], 'f32', 'tpu' as never)).toThrow(LoraBackendError);
  });
});

describe('Tensor.randn (counter-based, backend-independent)', () => {
  test('same seed → same values; another seed → different; moments of N(0, 1)', () => {
    const a = Tensor.randn([200, 100], 'f64', 'cpu', 7).toFloat64(), b = Tensor.randn([200, 100], 'f64', 'cpu', 7).toFloat64();
    expect(Array.from(b)).toEqual(Array.from(a));
    const c = Tensor.randn([200, 100], 'f64', 'cpu', 8).toFloat64();
    expect(c[0]).not.toBe(a[0]);
    let m = 0, v = 0;
    for (const x of a) m += x;
    m /= a.length;
    for (const x of a) v += (x - m) ** 2;
    v /= a.length;
    // 20000 draws: standard errors are 0.007 (mean) and 0.01 (variance); 5 sigma bounds
    expect(Math.abs(m)).toBeLessThan(0.035);
    expect(Math.abs(v - 1)).toBeLessThan(0.05);
  });

  test('element i depends only on (seed, i): a prefix of a bigger draw is the smaller draw', () => {
    const small = Tensor.randn([10], 'f32', 'cpu', 3).toFloat64(), big = Tensor.randn([5, 10], 'f32', 'cpu', 3).toFloat64();
    expect(Array.from(big.slice(0, 10))).toEqual(Array.from(small));
  });
});
