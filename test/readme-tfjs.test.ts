/**
 * README's "Using loraga from TensorFlow.js" snippet runs as written, as a user's file that requires 'loraga/tfjs'
 * and '@tensorflow/tfjs' (node_modules links to this package and to its TF.js).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readPeftAdapter } from '../lib';

const root = path.join(__dirname, '..');

test('the README TF.js snippet runs as written: the loss falls by 5× or more, the layers merge, the rank-2r adapter is written', async () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const m = /<!-- tfjs -->\n```js\n([\s\S]*?)\n```/.exec(readme);
  expect(m).not.toBeNull();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-readme-tfjs-'));
  try {
    fs.mkdirSync(path.join(tmp, 'node_modules'));
    fs.symlinkSync(root, path.join(tmp, 'node_modules', 'loraga'), 'dir');
    fs.symlinkSync(path.join(root, 'node_modules', '@tensorflow'), path.join(tmp, 'node_modules', '@tensorflow'), 'dir');
    fs.writeFileSync(path.join(tmp, 'train.js'), m![1]);
    const r = spawnSync(process.execPath, ['train.js'], { cwd: tmp, encoding: 'utf8', env: { ...process.env, TMPDIR: tmp, ...(process.env.LORAGA_BINARY ? { LORAGA_BINARY: path.resolve(process.env.LORAGA_BINARY) } : {}) }, timeout: 120_000 });
    // TF.js's own banner (no tfjs-node installed) is the only thing allowed on stderr.
    expect(r.stderr.replace(/\s*=+\s*Hi, looks like you are running TensorFlow\.js in Node\.js\.[^\n]*\s*=+\s*/, '')).toBe('');
    expect(r.status).toBe(0);
    console.log(r.stdout);
    const [, before, after] = /loss (\S+) → (\S+)/.exec(r.stdout)!.map(Number);
    expect(after).toBeLessThan(before / 5);
    expect(r.stdout).toMatch(/merged: Dense, Dense, Dense/);
    const ad = await readPeftAdapter(path.join(tmp, 'loraga-tfjs', 'adapter'));
    expect(ad.modules.fc1.A.shape).toEqual([8, 32]);             // LoRA-GA's offset folded in: rank 2r
    expect(ad.modules.fc2.B.shape).toEqual([64, 8]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}, 150_000);
