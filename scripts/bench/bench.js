#!/usr/bin/env node
// `npm run bench`: CPU figures measured side by side in one run (this machine is noisy, so ratios, interleaved).
//  1. f32 GEMM 1024³ through the addon vs OpenBLAS's cblas_sgemm called directly from C (goal ≥ 0.9 of it).
//  2. N-API call overhead: an empty native call and the smallest matmul through the public API (goal ≤ 5 µs).
//  3. What an async op adds for a large input (its private copy, binding/hold.cc): matmulAsync vs matmul of an
//     11008×4096 f32 weight (180 MB, a Llama-7B MLP) by 4096×8, interleaved, medians.
// Writes .bench/cpu.json as well as printing a table.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const loraga = require('../..');
const { native } = require('../../dist/native');

const root = path.join(__dirname, '..', '..');
const outDir = path.join(root, '.bench');
fs.mkdirSync(outDir, { recursive: true });

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function buildBaseline() {
  const exe = path.join(outDir, 'openblas_sgemm');
  const inc = ['/usr/include/x86_64-linux-gnu/openblas-pthread', '/usr/include/openblas'].filter(fs.existsSync).map((d) => `-I${d}`);
  execFileSync('cc', ['-O2', ...inc, path.join(__dirname, 'openblas_sgemm.c'), '-o', exe, '-lopenblas'], { stdio: 'inherit' });
  return exe;
}

function gemmBench(n, rounds, repsPerRound) {
  const exe = buildBaseline();
  const a = loraga.Tensor.zeros([n, n]), b = loraga.Tensor.zeros([n, n]), c = loraga.Tensor.zeros([n, n]);
  for (let i = 0; i < n * n; i++) { a.data[i] = (i % 7) * 0.1; b.data[i] = (i % 5) * 0.2; }
  loraga.matmul(a, b, { out: c }); // warm-up
  const ours = [], theirs = [];
  for (let r = 0; r < rounds; r++) { // interleave so drift hits both sides alike
    const out = execFileSync(exe, [String(n), String(repsPerRound)]).toString().trim().split('\n').map(Number);
    theirs.push(...out);
    for (let i = 0; i < repsPerRound; i++) {
      const t0 = process.hrtime.bigint();
      loraga.matmul(a, b, { out: c });
      ours.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  const flop = 2 * n ** 3;
  return { n, oursS: median(ours), openblasS: median(theirs), oursGflops: flop / median(ours) / 1e9,
           openblasGflops: flop / median(theirs) / 1e9, ratio: median(theirs) / median(ours) };
}

function overheadBench(iters) {
  const a = loraga.Tensor.zeros([1, 1]), b = loraga.Tensor.zeros([1, 1]), c = loraga.Tensor.zeros([1, 1]);
  const time = (fn) => {
    for (let i = 0; i < 1000; i++) fn();
    const samples = [];
    for (let r = 0; r < 7; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < iters; i++) fn();
      samples.push(Number(process.hrtime.bigint() - t0) / 1e3 / iters);
    }
    return median(samples);
  };
  return {
    noopUs: time(() => native.noop()),
    nativeMatmul1x1Us: time(() => native.matmul(a, b, c, false, false, 1, 0, false)),
    publicMatmul1x1Us: time(() => loraga.matmul(a, b, { out: c })),
  };
}

async function asyncCopyBench(rounds) {
  const w = loraga.Tensor.randn([11008, 4096], 'f32', 'cpu', 1), x = loraga.Tensor.randn([4096, 8], 'f32', 'cpu', 2);
  const y = loraga.Tensor.zeros([11008, 8]);
  loraga.matmul(w, x, { out: y });
  await loraga.matmulAsync(w, x, { out: y });
  const sync = [], async = [];
  for (let r = 0; r < rounds; r++) {
    let t0 = process.hrtime.bigint();
    loraga.matmul(w, x, { out: y });
    sync.push(Number(process.hrtime.bigint() - t0) / 1e9);
    t0 = process.hrtime.bigint();
    await loraga.matmulAsync(w, x, { out: y });
    async.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { syncS: median(sync), asyncS: median(async), ratio: median(async) / median(sync) };
}

(async () => {
const gemm = gemmBench(1024, 5, 4);
const big = await asyncCopyBench(9);
const ovh = overheadBench(20000);
const rows = [
  ['f32 GEMM 1024³, addon', `${(gemm.oursS * 1e3).toFixed(2)} ms`, `${gemm.oursGflops.toFixed(1)} GFLOP/s`],
  ['f32 GEMM 1024³, OpenBLAS from C', `${(gemm.openblasS * 1e3).toFixed(2)} ms`, `${gemm.openblasGflops.toFixed(1)} GFLOP/s`],
  ['  ratio addon / OpenBLAS (goal ≥ 0.9)', gemm.ratio.toFixed(3), ''],
  ['N-API empty call', `${ovh.noopUs.toFixed(3)} µs`, ''],
  ['native matmul 1×1 (binding + checks)', `${ovh.nativeMatmul1x1Us.toFixed(3)} µs`, ''],
  ['public matmul 1×1 (goal ≤ 5 µs)', `${ovh.publicMatmul1x1Us.toFixed(3)} µs`, ''],
  ['matmul 11008×4096 by 4096×8, sync', `${(big.syncS * 1e3).toFixed(1)} ms`, ''],
  ['  the same, async (copies the 180 MB weight)', `${(big.asyncS * 1e3).toFixed(1)} ms`, `${big.ratio.toFixed(2)}× sync`],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log(`loraga CPU bench (${require('os').cpus().length} cores, ${loraga.backends()[0].details})`);
for (const r of rows) console.log(`${r[0].padEnd(w)}  ${r[1].padStart(12)}  ${r[2]}`);
fs.writeFileSync(path.join(outDir, 'cpu.json'), JSON.stringify({ gemm, overhead: ovh, asyncLargeInput: big, date: new Date().toISOString() }, null, 2));
})();
