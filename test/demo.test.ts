import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// A short run of the demo (the README's main job): every method trains on the real word lists, the table's numbers
// are finite, and the exported LoRA-GA adapter applied to the ORIGINAL pre-trained weights reproduces the trained
// model's loss.
const root = path.join(__dirname, '..');

test('demo smoke run: all methods finish, results.json and loss.svg are written, export reproduces the model', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-demo-'));
  const stdout = execFileSync(process.execPath, ['scripts/demo/index.js', '--steps', '20', '--pretrain-steps', '100', '--out', out],
    { cwd: root, encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
  expect(stdout).toMatch(/\| LoRA-GA +\| AdamW/);
  expect(stdout).toMatch(/\| LoRA-Pro +\| LoRA-Pro full/);
  expect(stdout).toMatch(/\| LoRA-One +\| scaled AdamW/);
  const res = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
  expect(res.rows.map((r: { method: string }) => r.method)).toEqual(['full FT', 'LoRA', 'LoRA-GA', 'LoRA-One', 'LoRA-Pro']);
  // The run is the configured one: cosine after 3% warmup, real data from the npm packages.
  expect(res.config).toMatchObject({ schedule: 'cosine', warmup: 1, steps: 20, rank: 4 });
  expect(res.config.trainNames + res.config.heldOutNames).toBeGreaterThan(4000);
  for (const r of res.rows) {
    expect(Number.isFinite(r.finalLoss)).toBe(true);
    expect(r.finalLoss).toBeLessThan(r.initialLoss);  // every method's best run improves on the held-out names
  }
  // The adapter is rank 2r (the offset folded in) and original W + adapter equals the trained model: 1e-5 relative
  // (f32 products in a different order).
  expect(res.export.ranks).toEqual([8, 8, 8]);
  expect(Math.abs(res.export.originalBasePlusAdapterLoss - res.export.trainedLoss) / res.export.trainedLoss).toBeLessThan(1e-5);
  expect(fs.readFileSync(path.join(out, 'loss.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  fs.rmSync(out, { recursive: true, force: true });
});

test('demo rejects bad options with a clear message and exit code 2', () => {
  let err: { status?: number; stderr?: string } = {};
  try {
    execFileSync(process.execPath, ['scripts/demo/index.js', '--steps', '0'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    err = e as typeof err;
  }
  expect(err.status).toBe(2);
  expect(err.stderr).toMatch(/--steps must be a positive integer/);
});
