#!/usr/bin/env node
// `npm run bench:init-peft`: LoRA-GA init of 8 Llama-shaped modules (4 × 1024², 2 × 2816×1024, 1024×2816, 1024²)
// by loraga and by PEFT's math (PyTorch CPU, scripts/bench/peft_init.py) side by side in one run, with the same
// thread count, at r = 8 and 32, on a flat (Gaussian) and a power-law (σᵢ ∝ 1/i) gradient spectrum, and the same
// modules through initAdapters' concurrency (their SVDs in one svdBatched call), and with svd 'krylov' (block Krylov).
// Then the exact SVD path against LAPACK's sgesdd called directly from C on the same matrices
// (scripts/bench/lapack_gesdd.c). The modules are
// written once (safetensors) and read by both sides. Each row has the captured rank-2r energy next to its time:
// ‖U₂ᵣᵀ·G·V₂ᵣ‖²_F / Σᵢ≤₂ᵣ σᵢ² with the exact σ (float64 SVD; the power law's are prescribed). PEFT's side runs where python3 (LORAGA_PYTHON, else
// .venv-py, else python3) has torch + peft + safetensors; otherwise only ours is printed, and the table says so.
//   node scripts/bench/bench-init-peft.js [--threads 2] [--rounds 3] [--ranks 8,32] [--quick]
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 ? argv[i + 1] : d; };
const threads = Number(arg('threads', process.env.OPENBLAS_NUM_THREADS || os.cpus().length));
process.env.OPENBLAS_NUM_THREADS = String(threads); // read when the addon (OpenBLAS) loads, below
const rounds = Number(arg('rounds', 3));
const quick = argv.includes('--quick');
const ranks = String(arg('ranks', quick ? '8' : '8,32')).split(',').map(Number);
const loraga = require('../..');
const { Tensor, matmul, orthonormalize, svd, initLoraGA, initAdapters } = loraga;

const root = path.join(__dirname, '..', '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-bench-peft-'));
const shapes = quick
  ? [['l0.q_proj', 1024, 1024], ['l0.up_proj', 2816, 1024]]
  : [['l0.q_proj', 1024, 1024], ['l0.k_proj', 1024, 1024], ['l0.v_proj', 1024, 1024], ['l0.o_proj', 1024, 1024],
    ['l0.gate_proj', 2816, 1024], ['l0.up_proj', 2816, 1024], ['l0.down_proj', 1024, 2816], ['l1.q_proj', 1024, 1024]];
const spectra = ['flat', 'powerlaw'];

// G with a prescribed spectrum: flat = Gaussian entries (Marchenko–Pastur, no gap anywhere); powerlaw =
// U·diag(1/i)·Vᵀ with random orthonormal U, V (then the exact σ are known up to f32 rounding, still measured).
function gradient(kind, out, inF, seed) {
  if (kind === 'flat') return Tensor.randn([out, inF], 'f32', 'cpu', seed);
  const p = Math.min(out, inF);
  const U = orthonormalize(Tensor.randn([out, p], 'f64', 'cpu', seed));
  const V = orthonormalize(Tensor.randn([inF, p], 'f64', 'cpu', seed + 1));
  const u = U.data;
  for (let i = 0; i < out; i++) for (let j = 0; j < p; j++) u[i * p + j] /= j + 1;
  return matmul(U, V, { transB: true }).to('f32');
}

console.error(`writing ${shapes.length} modules × ${spectra.length} spectra to ${work}; exact float64 SVDs for the energies …`);
const sigma2 = {};
const data = {};
for (const kind of spectra) {
  const tensors = {};
  sigma2[kind] = {};
  shapes.forEach(([name, out, inF], m) => {
    tensors[`${name}.W`] = Tensor.randn([out, inF], 'f32', 'cpu', 1000 + m).to('f32');
    const w = tensors[`${name}.W`].data;
    for (let i = 0; i < w.length; i++) w[i] *= 0.02;
    const G = gradient(kind, out, inF, 2000 + 10 * m);
    tensors[`${name}.G`] = G;
    // Power law: the prescribed σᵢ = 1/i (G holds them to f32 rounding); flat: an exact float64 SVD.
    const kMax = 2 * Math.max(...ranks);
    const S = kind === 'powerlaw' ? Float64Array.from({ length: kMax }, (_, i) => 1 / (i + 1)) : svd(G.to('f64'), { k: kMax }).S.toFloat64();
    sigma2[kind][name] = Array.from(S, (s) => s * s);
  });
  loraga.writeSafetensorsSync(path.join(work, `modules-${kind}.safetensors`), tensors);
  data[kind] = tensors;
}
fs.writeFileSync(path.join(work, 'spec.json'), JSON.stringify({ spectra, ranks, modules: shapes.map(([name, out, inF]) => ({ name, out, in: inF })), sigma2 }));

// Ours: read back the same file (so both sides factor the same bytes); one round times initLoraGA over the modules.
const stores = Object.fromEntries(spectra.map((kind) => [kind, loraga.readSafetensorsSync(path.join(work, `modules-${kind}.safetensors`))]));
// The Krylov variants timed next to the default randomized SVD: the init's defaults (blocks of 2r + 1, powerIters 4:
// 5 blocks, 10 products of G), and 4 blocks of 2.5r (powerIters 3, oversample r/2: 8 products), which keeps the
// captured energy at or above PEFT's with fewer passes over G.
const krylovVariants = (r) => ({ krylov: { svd: 'krylov' }, krylov4: { svd: 'krylov', powerIters: 3, oversample: r / 2 } });
function oursRound(kind, r, report, svdOpts = { svd: 'randomized' }) {
  const t = stores[kind];
  const cfg = { rank: r, alpha: 2 * r, direction: 'ArB2r', scale: 'stable', gamma: 16, noReport: !report, ...svdOpts };
  for (const [name] of shapes.slice(0, 2)) initLoraGA(t[`${name}.W`], t[`${name}.G`], cfg); // warm-up
  const t0 = process.hrtime.bigint();
  for (const [name] of shapes) {
    const res = initLoraGA(t[`${name}.W`], t[`${name}.G`], cfg);
    res.A.dispose(); res.B.dispose(); res.W.dispose();
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
// The same modules through initAdapters with concurrency = threads: the SVDs of all modules in one svdBatched call
// (a thread per core, single-threaded BLAS each), then each module's init. Per-module seeds (moduleSeed), so other
// Gaussian draws than the row above, the same algorithm and options.
async function batchedRound(kind, r, svdOpts = {}) {
  const t = stores[kind];
  const Ws = Object.fromEntries(shapes.map(([name]) => [name, t[`${name}.W`]]));
  const Gs = Object.fromEntries(shapes.map(([name]) => [name, t[`${name}.G`]]));
  const cfg = { rank: r, alpha: 2 * r, direction: 'ArB2r', scale: 'stable', gamma: 16, noReport: true, concurrency: threads, ...svdOpts };
  const t0 = process.hrtime.bigint();
  const res = await initAdapters(Ws, Gs, cfg);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const m of Object.values(res.modules)) { m.A.dispose(); m.B.dispose(); m.W.dispose(); }
  return s;
}
// The init's SVD (same options, same seed, so the same directions): captured rank-2r energy per module. Randomized:
// q = 4r + 1 columns (initLoraGA's oversample 2r beyond 2r + 1); Krylov: blocks as initLoraGA makes them
// (2r + oversample columns, at least 2r + 1), powerIters + 1 of them.
function oursEnergy(kind, r, svdOpts = { svd: 'randomized' }) {
  const t = stores[kind];
  const kry = svdOpts.svd === 'krylov';
  const oversample = kry ? Math.max(0, (svdOpts.oversample ?? 0) - 1) : 2 * r;
  const energies = shapes.map(([name]) => {
    const G = t[`${name}.G`];
    const { U, Vt } = svd(G, { k: 2 * r + 1, method: svdOpts.svd, oversample, powerIters: svdOpts.powerIters ?? 4, seed: 0 });
    const u = Tensor.fromFloat64(U.toFloat64().filter((_, i) => i % (2 * r + 1) < 2 * r), [G.shape[0], 2 * r], 'f64');
    const vt = Tensor.fromFloat64(Vt.toFloat64().slice(0, 2 * r * G.shape[1]), [2 * r, G.shape[1]], 'f64');
    const P = matmul(matmul(u, G.to('f64'), { transA: true }), vt, { transB: true }).toFloat64();
    let e = 0;
    for (const x of P) e += x * x;
    return e / sigma2[kind][name].slice(0, 2 * r).reduce((a, b) => a + b, 0);
  });
  return { energyMin: Math.min(...energies), energyMean: energies.reduce((a, b) => a + b, 0) / energies.length };
}

function findPython() {
  const cands = [process.env.LORAGA_PYTHON, path.join(root, '.venv-py', 'bin', 'python3'), 'python3'].filter(Boolean);
  for (const py of cands) {
    if (py === 'none') return null;
    const r = spawnSync(py, ['-c', 'import torch, peft, safetensors'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

const rows = [];
for (const kind of spectra) for (const r of ranks) {
  const kv = krylovVariants(r);
  rows.push({ kind, r, kv, ours: { all: [], ...oursEnergy(kind, r) }, krylov: { all: [], ...oursEnergy(kind, r, kv.krylov) }, krylov4: { all: [], ...oursEnergy(kind, r, kv.krylov4) }, krylovBatched: { all: [] }, krylov4Batched: { all: [] }, oursReport: { all: [] }, batched: { all: [] }, peft: null });
}
const py = findPython();
// PyTorch's OpenMP threads spin-wait by default; on a machine shared with other jobs that makes its times erratic
// (up to 10× on ours), so it runs with OMP_WAIT_POLICY=PASSIVE, its better setting here.
const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OMP_WAIT_POLICY: 'PASSIVE' };
let torchVersion = null;
// Rounds alternate between the two sides so that both see the same load; each side's best round is reported.
(async () => {
for (let k = 0; k < rounds; k++) {
  for (const x of rows) {
    x.ours.all.push(oursRound(x.kind, x.r, false));
    x.krylov.all.push(oursRound(x.kind, x.r, false, x.kv.krylov));
    x.krylov4.all.push(oursRound(x.kind, x.r, false, x.kv.krylov4));
    x.oursReport.all.push(oursRound(x.kind, x.r, true));
    x.batched.all.push(await batchedRound(x.kind, x.r));
    x.krylovBatched.all.push(await batchedRound(x.kind, x.r, x.kv.krylov));
    x.krylov4Batched.all.push(await batchedRound(x.kind, x.r, x.kv.krylov4));
  }
  if (!py) continue;
  const p = JSON.parse(execFileSync(py, [path.join(__dirname, 'peft_init.py'), work, String(threads), '1', k === 0 ? '1' : '0'], { env, maxBuffer: 1 << 24 }).toString());
  torchVersion = p.torch;
  for (const x of p.runs) {
    const row = rows.find((y) => y.kind === x.spectrum && y.r === x.rank);
    if (!row.peft) row.peft = { all: [], energyMin: x.energyMin, energyMean: x.energyMean };
    row.peft.all.push(x.seconds);
  }
}
for (const x of rows) for (const side of [x.ours, x.krylov, x.krylov4, x.krylovBatched, x.krylov4Batched, x.oursReport, x.batched, x.peft]) if (side) side.seconds = Math.min(...side.all);
const peft = py ? { torch: torchVersion, threads } : null;

const cpu = os.cpus()[0].model.trim();
console.log(`\nLoRA-GA init, ${shapes.length} Llama-shaped modules (f32), ArB2r/stable, ${threads} thread(s) each side, best of ${rounds} alternating rounds; CPU ${cpu}, load average ${os.loadavg()[0].toFixed(1)}`);
console.log(peft ? `PEFT side: peft's lora_ga_init math on torch ${peft.torch} (${peft.threads} threads)` : 'PEFT side: not run (no python3 with torch + peft + safetensors: set LORAGA_PYTHON)');
const f = (x) => x.toFixed(3);
const ratio = (a, p) => (p ? (a / p.seconds).toFixed(2) : '—');
const energies = (e) => (e ? `${e.energyMin.toFixed(5)} / ${e.energyMean.toFixed(5)}` : '—');
console.log(`| spectrum | r  | loraga (s) | + report (s) | modules at once (s) | PEFT (s) | loraga / PEFT | at once / PEFT | energy loraga (min / mean) | energy PEFT (min / mean) |`);
console.log('|----------|---:|-----------:|-------------:|--------------------:|---------:|--------------:|---------------:|---------------------------:|-------------------------:|');
for (const x of rows) {
  const p = x.peft;
  console.log(`| ${x.kind.padEnd(8)} | ${String(x.r).padStart(2)} | ${f(x.ours.seconds).padStart(10)} | ${f(x.oursReport.seconds).padStart(12)} | ${f(x.batched.seconds).padStart(19)} | ${(p ? f(p.seconds) : '—').padStart(8)} | ${ratio(x.ours.seconds, p).padStart(13)} | ${ratio(x.batched.seconds, p).padStart(14)} | ${energies(x.ours).padStart(26)} | ${energies(p).padStart(24)} |`);
}
// A second table: svd 'krylov' (block Krylov), both variants, timed in the same rounds.
console.log(`\nsvd: 'krylov' (same rounds): 5 blocks of 2r + 1 columns (the defaults), and 4 blocks of 2.5r (powerIters 3, oversample r/2)`);
console.log('| spectrum | r  | blocks | krylov (s) | krylov / PEFT | krylov / randomized | modules at once (s) | at once / PEFT | energy krylov (min / mean) | energy PEFT (min / mean) |');
console.log('|----------|---:|-------:|-----------:|--------------:|--------------------:|--------------------:|---------------:|---------------------------:|-------------------------:|');
for (const x of rows) {
  const p = x.peft;
  for (const [blocks, k, b] of [['5', x.krylov, x.krylovBatched], ['4', x.krylov4, x.krylov4Batched]])
    console.log(`| ${x.kind.padEnd(8)} | ${String(x.r).padStart(2)} | ${blocks.padStart(6)} | ${f(k.seconds).padStart(10)} | ${ratio(k.seconds, p).padStart(13)} | ${(k.seconds / x.ours.seconds).toFixed(2).padStart(19)} | ${f(b.seconds).padStart(19)} | ${ratio(b.seconds, p).padStart(14)} | ${energies(k).padStart(26)} | ${energies(p).padStart(24)} |`);
}

// The exact SVD path vs LAPACK's sgesdd called directly from C (scripts/bench/lapack_gesdd.c, built here against the
// same OpenBLAS) on the same matrices: each module shape's G from the flat set, thin SVD ("S"), same threads. Ours
// includes what the op adds around gesdd (the copy of M it destroys, the workspace query, truncation to k); C's time
// is the gesdd call alone. Interleaved reps, best of each.
const exe = path.join(work, 'lapack_gesdd');
const inc = ['/usr/include/x86_64-linux-gnu/openblas-pthread', '/usr/include/openblas'].filter(fs.existsSync).map((d) => `-I${d}`);
execFileSync('cc', ['-O2', ...inc, path.join(__dirname, 'lapack_gesdd.c'), '-o', exe, '-lopenblas'], { stdio: 'inherit' });
const exact = [];
for (const [name, out, inF] of [...new Map(shapes.map((s) => [`${s[1]}x${s[2]}`, s])).values()]) {
  const G = stores.flat[`${name}.G`], file = path.join(work, `${name}.f32`);
  fs.writeFileSync(file, Buffer.from(G.data.buffer, G.data.byteOffset, G.data.byteLength));
  const k = 2 * Math.max(...ranks) + 1;
  svd(G, { k, method: 'exact' });   // warm-up
  const ours = [], c = [];
  for (let i = 0; i < Math.max(3, rounds); i++) {
    c.push(Number(execFileSync(exe, [file, String(out), String(inF), '1'], { env: process.env }).toString().trim()));
    const t0 = process.hrtime.bigint();
    const r = svd(G, { k, method: 'exact' });
    ours.push(Number(process.hrtime.bigint() - t0) / 1e9);
    r.U.dispose(); r.S.dispose(); r.Vt.dispose();
  }
  exact.push({ shape: [out, inF], k, ours: Math.min(...ours), gesdd: Math.min(...c) });
}
console.log(`\nExact SVD (svd(G, { method: 'exact', k })) vs LAPACK sgesdd from C on the same G, ${threads} thread(s), best of ${Math.max(3, rounds)} interleaved (goal ≤ 1.1×)`);
console.log('| G | k | loraga (s) | sgesdd from C (s) | ratio |');
console.log('|---|--:|-----------:|------------------:|------:|');
for (const e of exact) console.log(`| ${e.shape.join('×')} | ${e.k} | ${f(e.ours)} | ${f(e.gesdd)} | ${(e.ours / e.gesdd).toFixed(3)} |`);
fs.mkdirSync(path.join(root, '.bench'), { recursive: true });
fs.writeFileSync(path.join(root, '.bench', 'init-peft.json'), JSON.stringify({ threads, rounds, cpu, loadavg: os.loadavg(), torch: torchVersion, rows, exact }, null, 2));
fs.rmSync(work, { recursive: true, force: true });
})();
