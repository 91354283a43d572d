import { LoraBackendError, backends, resolveBackend } from '../lib';
import { describeChild, distBuilt, runChild } from './helpers/child';

describe('backends', () => {
  test('cpu is always available and reports OpenBLAS', () => {
    const cpu = backends().find((b) => b.name === 'cpu')!;
    expect(cpu.available).toBe(true);
    expect(cpu.deviceName).toMatch(/OpenBLAS/);
  });
  test('cuda is listed with a reason when unavailable', () => {
    const cuda = backends().find((b) => b.name === 'cuda')!;
    expect(cuda).toBeDefined();
    if (!cuda.available) expect(cuda.reason.length).toBeGreaterThan(0);
  });
  test("'auto' resolves to a usable backend; an unknown or unavailable one is a LoraBackendError", () => {
    expect(['cpu', 'cuda']).toContain(resolveBackend('auto'));
    expect(() => resolveBackend('tpu' as never)).toThrow(LoraBackendError);
    const cuda = backends().find((b) => b.name === 'cuda')!;
    if (!cuda.available) expect(() => resolveBackend('cuda')).toThrow(LoraBackendError);
  });
});

// lib/native.ts sets OPENBLAS_THREAD_TIMEOUT for OpenBLAS to read while the addon loads, then removes it (children
// must not inherit it); a value the caller set is left as it is.
(distBuilt ? describe : describe.skip)('loading the addon leaves OPENBLAS_THREAD_TIMEOUT as the caller had it', () => {
  const seen = (env: NodeJS.ProcessEnv) => {
    const r = runChild(`L.backends(); console.log(JSON.stringify(process.env.OPENBLAS_THREAD_TIMEOUT ?? null));`, 60_000, env);
    if (r.status !== 0) throw new Error(describeChild(r));
    return JSON.parse(r.stdout) as string | null;
  };
  test('unset before: unset after', () => expect(seen({ OPENBLAS_THREAD_TIMEOUT: undefined })).toBeNull());
  test('set by the caller: kept', () => expect(seen({ OPENBLAS_THREAD_TIMEOUT: '25' })).toBe('25'));
});
