#!/usr/bin/env node
// `npm run bench:gpu`: CUDA-backend microbenchmarks side by side with PyTorch on the same GPU, in the same command.
// Runs scripts/gpu/bench_gpu_torch.py first (PyTorch timings + float64 reference spectra, JSON), then our rows; prints
// one table per benchmark and writes .bench/gpu.json (ours + PyTorch's). `--quick` shrinks iteration counts and the
// init benchmark to one layer (7 modules) for a smoke run.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..');
const L = require(path.join(root, 'dist'));
const { Tensor, matmul, loraForward, gradAccumulate, svd, svdBatched } = L;

const quick = process.argv.includes('--quick');
const ITERS = quick ? 5 : 20;
const outDir = path.join(root, '.bench');
fs.mkdirSync(outDir, { recursive: true });

const cuda = L.backends().find((b) => b.name === 'cuda');
if (!cuda.available) {
  console.error(`bench:gpu: CUDA unavailable: ${cuda.reason}`);
  process.exit(2);
}
console.log(`GPU: ${cuda.deviceName} — ${cuda.details}`);

// ---- PyTorch side ------------------------------------------------------------------------------------------------
const torchJson = path.join(outDir, 'gpu-torch.json');
const py = spawnSync(process.env.PYTHON || 'python3', [path.join(__dirname, 'bench_gpu_torch.py'), '--out', torchJson,
  ...(quick ? ['--quick'] : [])], { stdio: 'inherit' });
let torch = null;
if (py.status === 0) torch = JSON.parse(fs.readFileSync(torchJson, 'utf8'));
else console.error('bench:gpu: the PyTorch side failed; printing our rows only');

// ---- helpers -----------------------------------------------------------------------------------------------------
/** Median wall milliseconds per call; every op returns only after its stream is done (sync API). */
function timeMs(fn, iters = ITERS, warmup = 3) {
  for (let i = 0; i < warmup; i++) fn();
  const t = [];
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}
const f = (x, d = 3) => (x === undefined || x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(d));
function table(title, head, rows) {
  console.log(`\n${title}`);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padStart(w[i])).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}
/** Captured energy ‖Uₖᵀ·G·Vₖ‖²_F / Σᵢ≤ₖ σᵢ² (σ from PyTorch's float64 svdvals of the same matrix). */
function energy(U, G, Vt, exactTop) {
  if (!exactTop) return NaN;
  const P = matmul(matmul(U, G, { transA: true }), Vt, { transB: true }).toFloat64();
  let e = 0;
  for (const v of P) e += v * v;
  return e / exactTop;
}
function checksum(G, rows = 4) { // sum of the first rows, to prove both sides factor the same matrix
  const v = G.toFloat64();
  let s = 0;
  for (let i = 0; i < rows * G.shape[1]; i++) s += v[i];
  return s;
}
const out = { device: cuda.deviceName, details: cuda.details, quick, lora: [], grad: [], rsvd: [], init: [], torch };

// ---- fused LoRA forward / base GEMM ------------------------------------------------------------------------------
{
  const rows = [];
  for (const [o, inF] of [[4096, 4096], [11008, 4096]]) {
    const W = Tensor.randn([o, inF], 'bf16', 'cuda', 1);
    for (const r of [16, 64]) {
      const A = Tensor.randn([r, inF], 'bf16', 'cuda', 2), B = Tensor.randn([o, r], 'bf16', 'cuda', 3);
      for (const T of [1, 16, 8192]) {
        const x = Tensor.randn([T, inF], 'bf16', 'cuda', 4), y = Tensor.zeros([T, o], 'bf16', 'cuda');
        const base = timeMs(() => matmul(x, W, { transB: true, out: y }));
        const lora = timeMs(() => loraForward(x, W, A, B, 2.0, { out: y, saveH: false }));
        const t = torch && torch.lora.find((q) => q.out === o && q.in === inF && q.r === r && q.T === T);
        const goal = T >= 8192 ? 1.05 : 1.15;
        const row = { out: o, in: inF, r, T, base_ms: base, lora_ms: lora, ratio: lora / base, goal,
          torch_base_ms: t && t.base_ms, torch_lora_ms: t && t.lora_ms, torch_ratio: t && t.lora_ms / t.base_ms };
        out.lora.push(row);
        rows.push([`${o}x${inF}`, r, T, f(base), f(lora), f(row.ratio, 3), `≤${goal}`, row.ratio <= goal ? 'yes' : 'NO',
          f(row.torch_base_ms), f(row.torch_lora_ms), f(row.torch_ratio, 3)]);
        x.dispose();
        y.dispose();
      }
      A.dispose();
      B.dispose();
    }
    W.dispose();
  }
  table('LoRA forward y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ, bf16 (ms; ratio = LoRA / base GEMM)',
    ['W', 'r', 'T', 'base', 'lora', 'ratio', 'goal', 'met', 'torch base', 'torch lora', 'torch ratio'], rows);
}

// ---- gradAccumulate ------------------------------------------------------------------------------------------------
{
  const rows = [], T = 8192;
  for (const [o, inF] of [[4096, 4096], [11008, 4096], [4096, 11008]]) {
    const dY = Tensor.randn([T, o], 'bf16', 'cuda', 5), X = Tensor.randn([T, inF], 'bf16', 'cuda', 6);
    const G = Tensor.zeros([o, inF], 'f32', 'cuda');
    const ms = timeMs(() => gradAccumulate(G, dY, X));
    const tf = (2 * T * o * inF) / ms / 1e9;
    const t = torch && torch.grad.find((q) => q.out === o && q.in === inF);
    out.grad.push({ out: o, in: inF, T, ms, tflops: tf, torch_ms: t && t.ms, torch_tflops: t && t.tflops });
    rows.push([`${o}x${inF}`, T, f(ms), f(tf, 0), tf >= 650 ? 'yes' : 'NO', f(t && t.ms), f(t && t.tflops, 0)]);
    for (const z of [dY, X, G]) z.dispose();
  }
  table('gradAccumulate G += dYᵀ·X, bf16 → fp32 (goal ≥ 650 TFLOP/s; allFinite checks of dY and X included)',
    ['G', 'T', 'ms', 'TFLOP/s', 'met', 'torch ms', 'torch TFLOP/s'], rows);
}

// ---- randomized SVD ------------------------------------------------------------------------------------------------
{
  const rows = [];
  const M = Tensor.randn([4096, 4096], 'f32', 'cuda', 7);
  const cs = checksum(M);
  if (torch && Math.abs(cs - torch.checksums.rsvd) > 1e-4 * Math.abs(torch.checksums.rsvd) + 1e-3)
    console.error(`bench:gpu: rsvd matrix differs from PyTorch's (checksum ${cs} vs ${torch.checksums.rsvd})`);
  for (const r of [8, 32]) {
    const k = 2 * r, opts = { method: 'randomized', k, oversample: 2 * r, powerIters: 4, seed: 1 };
    const ms = timeMs(() => svd(M, opts), quick ? 3 : 10);
    const { U, Vt } = svd(M, opts);
    const t = torch && torch.rsvd.find((q) => q.r === r);
    const e = energy(U, M, Vt, t && t.exact_top_energy);
    out.rsvd.push({ m: 4096, n: 4096, r, k, q: 4 * r, niter: 4, ms, energy: e, torch_ms: t && t.ms, torch_energy: t && t.energy });
    rows.push([r, k, 4 * r, f(ms), f(e, 4), f(t && t.ms), f(t && t.energy, 4), t && ms < t.ms ? 'yes' : 'NO']);
  }
  M.dispose();
  table('randomized SVD 4096×4096 Gaussian, q = 4r, niter = 4 (energy = captured rank-2r energy vs float64 SVD)',
    ['r', 'k', 'q', 'ms', 'energy', 'torch ms', 'torch energy', 'faster'], rows);
}

// ---- LoRA-GA init of 28 Llama-7B-shaped modules -----------------------------------------------------------------------
{
  const layer = [['q_proj', 4096, 4096], ['k_proj', 4096, 4096], ['v_proj', 4096, 4096], ['o_proj', 4096, 4096],
    ['gate_proj', 11008, 4096], ['up_proj', 11008, 4096], ['down_proj', 4096, 11008]];
  const mods = [];
  for (let l = 0; l < (quick ? 1 : 4); l++) layer.forEach(([n, o, i], j) => mods.push({ name: `layers.${l}.${n}`, o, i, seed: 1000 + 10 * l + j }));
  const G = mods.map((m) => Tensor.randn([m.o, m.i], 'f32', 'cuda', m.seed));
  const W = mods.map((m) => Tensor.zeros([m.o, m.i], 'f32', 'cuda'));
  if (torch) {
    const cs = checksum(G[0]), want = torch.checksums[mods[0].name];
    if (Math.abs(cs - want) > 1e-4 * Math.abs(want) + 1e-3) console.error(`bench:gpu: init matrices differ from PyTorch's (${cs} vs ${want})`);
  }
  const rows = [];
  for (const r of [8, 32]) {
    const s = 16 / r;
    // PEFT's ArB2r: A = Vᵀ[0:r], B = U[:, r:2r]·diag(S[r:2r]), W −= s·B·A — done with GEMMs by selection matrices
    // (we have no device slicing): A = Pa·Vᵀ (Pa = [I_r 0]), B = U·Pb (Pb[r+j, j] = S[r+j]).
    const pa = new Float32Array(r * 2 * r);
    for (let j = 0; j < r; j++) pa[j * 2 * r + j] = 1;
    const Pa = Tensor.from(pa, [r, 2 * r]).toDevice();
    const init = () => {
      // all modules' randomized SVDs in one batched call (several streams), then the A/B/offset GEMMs
      const svds = svdBatched(G, { method: 'randomized', k: 2 * r, oversample: 2 * r, powerIters: 4, seed: 0 });
      return svds.map(({ U, S, Vt }, i) => {
        const sv = S.toFloat64(), pb = new Float32Array(2 * r * r);
        for (let j = 0; j < r; j++) pb[(r + j) * r + j] = sv[r + j];
        const Pb = Tensor.from(pb, [2 * r, r]).toDevice();
        const A = matmul(Pa, Vt), B = matmul(U, Pb);
        matmul(B, A, { out: W[i], alpha: -s, beta: 1 });
        return { U, Vt, A, B, Pb, S };
      });
    };
    const dispose = (res) => res.forEach((o) => Object.values(o).forEach((t) => t.dispose()));
    dispose(init()); // warm-up
    const n = quick ? 1 : 3;
    const t0 = process.hrtime.bigint();
    let last;
    for (let k = 0; k < n; k++) {
      if (last) dispose(last);
      last = init();
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / n;
    const tops = torch && torch.init_exact_top_energy[String(r)];
    const en = last.map((o, i) => energy(o.U, G[i], o.Vt, tops && tops[i]));
    dispose(last);
    Pa.dispose();
    const mean = en.reduce((a, b) => a + b, 0) / en.length, min = Math.min(...en);
    const t = torch && torch.init.find((q) => q.r === r);
    out.init.push({ modules: mods.length, r, ms, energy_mean: mean, energy_min: min, torch_ms: t && t.ms,
      torch_energy_mean: t && t.energy_mean, ratio: t && ms / t.ms });
    rows.push([mods.length, r, f(ms, 1), f(mean, 4), f(min, 4), f(t && t.ms, 1), f(t && t.energy_mean, 4),
      f(t && ms / t.ms, 3), t && ms <= t.ms / 4 && mean >= t.energy_mean ? 'yes' : 'NO']);
  }
  G.forEach((t) => t.dispose());
  W.forEach((t) => t.dispose());
  table('LoRA-GA init (rSVD q = 4r, niter = 4 + A, B, W offset), Llama-7B-shaped modules (goal ≤ ¼ PEFT time at ≥ its energy)',
    ['modules', 'r', 'ms', 'energy mean', 'energy min', 'torch ms', 'torch energy', 'ours/torch', 'met'], rows);
}

const file = path.join(outDir, 'gpu.json');
fs.writeFileSync(file, JSON.stringify(out, null, 1));
console.log(`\nwrote ${path.relative(root, file)}`);
