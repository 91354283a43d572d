/**
 * Adapter writes are all or nothing (lib/io/staged-dir.ts): a write that fails part-way, Ctrl-C or SIGTERM leaves
 * the output directory exactly as it was and no temporary files behind; the CLI prints its error on a line of its
 * own and names the real file-system reason.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LoraIOError, Tensor, initLoraGA, writePeftAdapter, writeSafetensorsSync } from '../lib';
import { main } from '../lib/cli';
import { ensureDir } from '../lib/io/fs-errors';
import { distBuilt } from './helpers/child';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-writes-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every file of `dir` with its bytes (hidden temporaries included). */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]));
}

function adapter(rank: number, seed: number) {
  const W = Tensor.randn([12, 10], 'f32', 'cpu', seed), G = Tensor.randn([12, 10], 'f32', 'cpu', seed + 1);
  const r = initLoraGA(W, G, { rank, alpha: 2 * rank, svd: 'exact' });
  return { modules: { 'layers.0.q_proj': { A: r.A, B: r.B } }, base: { 'layers.0.q_proj': r.W! }, config: { r: rank, lora_alpha: 2 * rank } };
}

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

describe('writePeftAdapter over an existing adapter', () => {
  test.each([
    ['adapter_config.json (written last)', 'adapter_config.json', () => jest.spyOn(fs.promises, 'writeFile').mockRejectedValueOnce(enospc())],
    ['base_offset.safetensors (the second file)', 'base_offset.safetensors', () => {
      const open = fs.promises.open;
      let n = 0;
      return jest.spyOn(fs.promises, 'open').mockImplementation(async (...a: Parameters<typeof open>) => {
        if (++n === 2) throw enospc();
        return open(...a);
      });
    }],
  ])('a write of %s that fails names that file, and leaves the old r=2 adapter byte for byte, and no temporary files', async (_what, file, fault) => {
    const dir = path.join(tmp, `fail-${_what.length}`);
    await writePeftAdapter(dir, adapter(2, 1));
    const before = snapshot(dir);
    const spy = fault();
    try {
      await expect(writePeftAdapter(dir, adapter(4, 5))).rejects.toMatchObject({
        name: 'LoraIOError', errno: 'ENOSPC', message: `cannot write ${path.join(dir, file)}: no space left on device (ENOSPC)`,
      });
    } finally {
      spy.mockRestore();
    }
    expect(snapshot(dir)).toEqual(before);
    await writePeftAdapter(dir, adapter(4, 5));  // and the next write goes through
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8')).r).toBe(4);
  });
});

describe('output directories', () => {
  test('a read-only file system is reported as EROFS with the directory, not ENOENT', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, not an import wrapper
    const spy = jest.spyOn(require('fs') as typeof fs, 'mkdirSync').mockImplementation(() => {
      throw Object.assign(new Error('EROFS: read-only file system, mkdir'), { code: 'EROFS' });
    });
    try {
      expect(() => ensureDir(path.join(tmp, 'ro', 'out'))).toThrow(/cannot create directory .*ro: read-only file system \(EROFS\)/);
    } finally {
      spy.mockRestore();
    }
  });
  test('a directory that cannot exist fails at once with LoraIOError (no hang under /proc)', () => {
    expect(() => ensureDir('/proc/loraga-test/out')).toThrow(LoraIOError);
    expect(() => ensureDir('/dev/null/out')).toThrow(/not a directory \(ENOTDIR\)/);
  });
});

/** A synthetic model: `n` modules of [d, d] weights and gradients, in tmp/name/. */
function model(name: string, n: number, d: number, nanModule = -1): { w: string; g: string } {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const W: Record<string, Tensor> = {}, G: Record<string, Tensor> = {};
  for (let i = 0; i < n; i++) {
    W[`layers.${i}.proj.weight`] = Tensor.randn([d, d], 'f32', 'cpu', 10 + i);
    const g = Tensor.randn([d, d], 'f32', 'cpu', 100 + i);
    if (i === nanModule) (g.data as Float32Array)[3] = NaN;
    G[`layers.${i}.proj.weight`] = g;
  }
  const w = path.join(dir, 'w.safetensors'), g = path.join(dir, 'g.safetensors');
  writeSafetensorsSync(w, W);
  writeSafetensorsSync(g, G);
  return { w, g };
}

(distBuilt ? describe : describe.skip)('loraga init (the built CLI, in a child process)', () => {
  const bin = path.join(__dirname, '..', 'dist', 'cli', 'index.js');

  test('SIGTERM during the run: exit 130 with a message, the old adapter untouched, no temporary files', async () => {
    const m = model('sigterm', 16, 384);
    const out = path.join(tmp, 'sigterm-out');
    expect(await main(['init', '--weights', m.w, '--grads', m.g, '--rank', '2', '--alpha', '4', '--svd', 'exact', '--targets', 'layers.0.proj', '--out', out])).toBe(0);
    const before = snapshot(out);
    const child = spawn(process.execPath, [bin, 'init', '--weights', m.w, '--grads', m.g, '--rank', '4', '--alpha', '8', '--svd', 'exact', '--out', out], { env: process.env });
    let err = '';
    child.stderr.on('data', (b) => {
      err += b;
      if (/\[1\/16\]/.test(err) && !child.killed) child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((res) => child.on('close', res));
    expect([code, err]).toEqual([130, expect.stringMatching(/interrupted \(SIGTERM\).*left as it was/)]);
    expect(snapshot(out)).toEqual(before);
  }, 60_000);

  test('an error during the run is printed on a line of its own, not onto the progress line', async () => {
    const m = model('nan', 3, 16, 1);
    const out = path.join(tmp, 'nan-out');
    const child = spawn(process.execPath, [bin, 'init', '--weights', m.w, '--grads', m.g, '--rank', '2', '--alpha', '4', '--out', out], { env: process.env });
    let err = '';
    child.stderr.on('data', (b) => { err += b; });
    const code = await new Promise<number | null>((res) => child.on('close', res));
    expect(code).toBe(1);
    expect(err).toMatch(/^loraga init: LoraValueError: .*NaN/m);
    expect(fs.readdirSync(out)).toEqual([]);  // nothing half-written
  }, 60_000);
});
