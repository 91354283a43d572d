import { LoraBackendError, backends, resolveBackend } from '../lib';

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
