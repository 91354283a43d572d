#!/usr/bin/env node
// `npm run bench:init`: time of `loraga init` on a synthetic 7B-shaped module set on CPU (default 4 modules of
// 4096×4096, r = 16), exact vs randomized SVD side by side in one run, each through the real CLI (dist/cli).
// G has a decaying spectrum (low-rank signal + noise) like a real one-step gradient. Also prints how close the
// randomized adapter is to the exact one (min |cos| of A's rows). Writes .bench/init.json and prints a table.
//   node scripts/bench/bench-init.js [--n 4096] [--modules 4] [--rank 16]
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const loraga = require('../..');

const arg = (k, d) => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? Number(process.argv[i + 1]) : d; };
const n = arg('n', 4096), nMod = arg('modules', 4), r = arg('rank', 16);
const root = path.join(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli', 'index.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-bench-init-'));

function randn(len, seed) {
  let s = seed >>> 0;
  const u = () => { s = (s + 0x6d2b79f5) >>> 0; let t = Math.imul(s ^ (s >>> 15), s | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) out[i] = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return out;
}

console.error(`making ${nMod} modules of ${n}×${n} (W and G, f32) in ${work} …`);
const W = {}, G = {};
for (let m = 0; m < nMod; m++) {
  const name = `model.layers.${m}.self_attn.q_proj`;
  W[`${name}.weight`] = loraga.Tensor.from(randn(n * n, 1 + m).map((v) => v * 0.02), [n, n]);
  // G = P·diag(decay)·Q + noise: a gradient-like spectrum (σᵢ ∝ 1/(1+i/4) over 128 directions, small noise floor).
  const k = 128;
  const P = randn(n * k, 100 + m), Q = loraga.Tensor.from(randn(k * n, 200 + m), [k, n]);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) P[i * k + j] *= 1 / (1 + j / 4);
  const g = loraga.matmul(loraga.Tensor.from(P, [n, k]), Q);
  const noise = randn(n * n, 300 + m), gd = g.data;
  for (let i = 0; i < gd.length; i++) gd[i] = (gd[i] + 0.05 * noise[i]) * 1e-3;
  G[`${name}.weight`] = g;
}
loraga.writeSafetensorsSync(path.join(work, 'base.safetensors'), W);
loraga.writeSafetensorsSync(path.join(work, 'grads.safetensors'), G);

function run(svd) {
  const out = path.join(work, `out-${svd}`);
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, [cli, 'init', '--weights', path.join(work, 'base.safetensors'), '--grads', path.join(work, 'grads.safetensors'),
    '--rank', String(r), '--alpha', String(2 * r), '--direction', 'ArB2r', '--scale', 'stable', '--gamma', '16', '--svd', svd, '--out', out],
  { stdio: ['ignore', 'ignore', 'inherit'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const rep = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  const mods = Object.values(rep.modules);
  return {
    svd, wall, init: rep.seconds, perModule: rep.seconds / mods.length,
    residual: Math.max(...mods.map((x) => x.tripletResidual ?? 0)),
    minGapR: Math.min(...mods.map((x) => x.gapR)), adapter: loraga.readSafetensorsSync(path.join(out, 'adapter_model.safetensors')),
  };
}

const results = [run('randomized'), run('exact')];
// Agreement of randomized with exact: min over modules and rows of |cos(A_rand, A_exact)|.
let minCos = 1;
for (const key of Object.keys(results[1].adapter).filter((k) => k.endsWith('lora_A.weight'))) {
  const a = results[0].adapter[key].toFloat64(), b = results[1].adapter[key].toFloat64();
  for (let i = 0; i < r; i++) {
    let d = 0, na = 0, nb = 0;
    for (let j = 0; j < n; j++) { d += a[i * n + j] * b[i * n + j]; na += a[i * n + j] ** 2; nb += b[i * n + j] ** 2; }
    minCos = Math.min(minCos, Math.abs(d) / Math.sqrt(na * nb));
  }
}
const cores = os.cpus().length;
console.log(`\nloraga init: ${nMod} modules of ${n}×${n} f32, r = ${r}, ArB2r/stable, CPU (${cores} cores, ${os.cpus()[0].model.trim()})`);
console.log('| SVD        | wall (s) | init (s) | per module (s) | max triplet residual | min gap at r |');
console.log('|------------|---------:|---------:|---------------:|---------------------:|-------------:|');
for (const x of results)
  console.log(`| ${x.svd.padEnd(10)} | ${x.wall.toFixed(1).padStart(8)} | ${x.init.toFixed(1).padStart(8)} | ${x.perModule.toFixed(2).padStart(14)} | ${(x.svd === 'exact' ? '—' : x.residual.toExponential(2)).padStart(20)} | ${x.minGapR.toExponential(2).padStart(12)} |`);
console.log(`speed-up randomized vs exact: ${(results[1].init / results[0].init).toFixed(1)}×; min |cos| of A rows randomized vs exact: ${minCos.toFixed(6)}`);
fs.mkdirSync(path.join(root, '.bench'), { recursive: true });
fs.writeFileSync(path.join(root, '.bench', 'init.json'), JSON.stringify({ n, modules: nMod, rank: r, cores, minCos, results: results.map(({ adapter, ...x }) => x) }, null, 2));
fs.rmSync(work, { recursive: true, force: true });
