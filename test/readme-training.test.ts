/**
 * README's Training section shows one complete loop (init → steps with schedule and clipping → checkpoint → export);
 * this runs it exactly as written, as a user's file that requires 'loraga' (a node_modules link to this package).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readPeftAdapter } from '../lib';

const root = path.join(__dirname, '..');

test('the README training loop runs as written: the loss falls by half or more, the last checkpoint is step 60, the rank-2r adapter is written', async () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const m = /<!-- training-loop -->\n```js\n([\s\S]*?)\n```/.exec(readme);
  expect(m).not.toBeNull();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-readme-'));
  try {
    fs.mkdirSync(path.join(tmp, 'node_modules'));
    fs.symlinkSync(root, path.join(tmp, 'node_modules', 'loraga'), 'dir');
    fs.writeFileSync(path.join(tmp, 'train.js'), m![1]);
    // TMPDIR: the snippet writes under os.tmpdir(), here inside this test's folder.
    const r = spawnSync(process.execPath, ['train.js'], { cwd: tmp, encoding: 'utf8', env: { ...process.env, TMPDIR: tmp, ...(process.env.LORAGA_BINARY ? { LORAGA_BINARY: path.resolve(process.env.LORAGA_BINARY) } : {}) }, timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const losses = [...r.stdout.matchAll(/step (\d+) {2}loss (\S+)/g)].map((x) => Number(x[2]));
    console.log(r.stdout);
    expect(losses).toHaveLength(3);
    expect(losses[2]).toBeLessThan(losses[0] / 2);
    const ad = await readPeftAdapter(path.join(tmp, 'loraga-readme', 'adapter'));
    expect(ad.modules['mlp.up'].A.shape).toEqual([16, 48]);            // LoRA-GA's offset folded in: rank 2r
    const json = JSON.parse(fs.readFileSync(path.join(tmp, 'loraga-readme', 'checkpoint', 'training_state.json'), 'utf8'));
    expect(json.step).toBe(60);
    expect(json.extra).toEqual({ step: 60 });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}, 150_000);
