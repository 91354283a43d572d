import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// `npm run example:tfjs --quick`: the TF.js example on the real word lists, every method through model.fit.
const root = path.join(__dirname, '..');
const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', ...(process.env.LORAGA_BINARY ? { LORAGA_BINARY: path.resolve(process.env.LORAGA_BINARY) } : {}) };

interface Row { method: string; initialLoss: number; finalLoss: number; trainableParams: number }

describe('example:tfjs --quick', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-example-tfjs-'));
  let stdout = '';
  let res: { config: { steps: number; evalEvery: number; quick: boolean; trainNames: number; heldOutNames: number }; pretrainedNamesLoss: number; rows: Row[]; runs: { method: string; curve: [number, number][] }[] };
  beforeAll(() => {
    stdout = execFileSync(process.execPath, ['scripts/examples/tfjs/index.js', '--quick', '--out', out], { cwd: root, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
    res = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
  }, 120_000);
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  test('writes results.json and loss.svg (one polyline per method) and prints the table with every method', () => {
    expect(res.config).toMatchObject({ quick: true, steps: 30 });
    // Real data from the npm package, not a stub list.
    expect(res.config.trainNames + res.config.heldOutNames).toBeGreaterThan(4000);
    const svg = fs.readFileSync(path.join(out, 'loss.svg'), 'utf8');
    expect(svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(svg.match(/<polyline /g)).toHaveLength(4);
    for (const m of ['full FT', 'LoRA', 'LoRA-GA', 'LoRA-One']) expect(stdout).toMatch(new RegExp(`^\\| ${m} +\\| `, 'm'));
  });

  test('every method ran every step through model.fit and lowered the held-out loss', () => {
    expect(res.rows.map((r) => r.method)).toEqual(['full FT', 'LoRA', 'LoRA-GA', 'LoRA-One']);
    for (const run of res.runs) {
      const steps = run.curve.map(([t]) => t);
      expect(steps[0]).toBe(0);
      expect(steps[steps.length - 1]).toBe(res.config.steps);
    }
    for (const r of res.rows) {
      expect(Number.isFinite(r.finalLoss)).toBe(true);
      expect(r.finalLoss).toBeLessThan(r.initialLoss);
    }
    // LoRA trains the adapters only: 2·r·(in + out) per layer, far fewer than the model's weights.
    const full = res.rows[0].trainableParams;
    for (const r of res.rows.slice(1)) expect(r.trainableParams).toBeLessThan(full / 5);
  });

  test('step 0: full FT, LoRA and LoRA-GA start at the pre-trained model\'s loss (1e-5 relative: f32 rounding of W\' = W − s·B·A); LoRA-One starts one gradient step below it', () => {
    const ref = res.pretrainedNamesLoss;
    const at0 = Object.fromEntries(res.rows.map((r) => [r.method, r.initialLoss]));
    for (const m of ['full FT', 'LoRA', 'LoRA-GA']) expect(Math.abs(at0[m] - ref) / ref).toBeLessThan(1e-5);
    // LoRA-One leaves W as it is and sets W + s·B₀·A₀ = W − η·[G]_r: a descent step by design, not step-0 equality.
    expect(at0['LoRA-One']).toBeLessThan(ref - 1e-3);
  });
});

test('example:tfjs rejects an unknown option with exit code 2', () => {
  const r = spawnSync(process.execPath, ['scripts/examples/tfjs/index.js', '--qiuck'], { cwd: root, encoding: 'utf8', env });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/unknown option --qiuck/);
});
