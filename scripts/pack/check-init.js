// Checks `loraga init` output written by the installed package (pack-smoke): the files exist and are well-formed,
// read with a minimal safetensors parser of our own (independent of the package's reader), and agree with the
// PEFT reference case. Usage: node check-init.js OUT_DIR REF_DIR. Prints one JSON line; exits 1 on any failure.
'use strict';
const fs = require('fs');
const path = require('path');
const [outDir, refDir] = process.argv.slice(2);
const fail = (msg) => { console.error(`check-init: FAIL ${msg}`); process.exit(1); };

/** name → { shape, data: Float32Array } for an all-F32 safetensors file (8-byte LE header size, JSON, data). */
function readF32(file) {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const body = 8 + n, out = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (t.dtype !== 'F32') fail(`${file}: ${name} has dtype ${t.dtype}, expected F32`);
    const [a, b] = t.data_offsets;
    if (b - a !== 4 * t.shape.reduce((x, y) => x * y, 1) || body + b > buf.length) fail(`${file}: ${name} bad offsets`);
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset + body + a, buf.byteOffset + body + b));
    if (!data.every(Number.isFinite)) fail(`${file}: ${name} has non-finite values`);
    out[name] = { shape: t.shape, data };
  }
  return out;
}

for (const f of ['adapter_model.safetensors', 'adapter_config.json', 'base_offset.safetensors', 'report.json']) {
  if (!fs.existsSync(path.join(outDir, f))) fail(`missing ${f}`);
}
const caseJson = JSON.parse(fs.readFileSync(path.join(refDir, 'case.json'), 'utf8'));
const cfg = JSON.parse(fs.readFileSync(path.join(outDir, 'adapter_config.json'), 'utf8'));
if (cfg.peft_type !== 'LORA' || cfg.r !== 4 || cfg.lora_alpha !== 8) fail(`adapter_config ${JSON.stringify(cfg)}`);
if ([...cfg.target_modules].sort().join() !== [...caseJson.targets].sort().join()) fail(`target_modules ${cfg.target_modules}`);
JSON.parse(fs.readFileSync(path.join(outDir, 'report.json'), 'utf8'));

const adapter = readF32(path.join(outDir, 'adapter_model.safetensors'));
const offset = readF32(path.join(outDir, 'base_offset.safetensors'));
const base = readF32(path.join(refDir, 'base.safetensors'));
const exact = readF32(path.join(refDir, 'exact.safetensors'));
const r = 4, s = 8 / 4;
const summary = {};
for (const m of caseJson.targets) {
  const [out, inF] = caseJson.shapes[`${m}.weight`];
  const A = adapter[`base_model.model.${m}.lora_A.weight`], B = adapter[`base_model.model.${m}.lora_B.weight`];
  const W1 = offset[`${m}.weight`];
  if (!A || !B || !W1) fail(`${m}: missing lora_A / lora_B / base offset`);
  if (A.shape.join() !== `${r},${inF}` || B.shape.join() !== `${out},${r}` || W1.shape.join() !== `${out},${inF}`) {
    fail(`${m}: shapes A ${A.shape} B ${B.shape} W' ${W1.shape}, expected [${r},${inF}] [${out},${r}] [${out},${inF}]`);
  }
  // W' + s·B·A reproduces W (the adapted layer is unchanged at step 0): 1e-4 relative, as the reference README says.
  const W = base[`${m}.weight`].data;
  let num = 0, den = 0;
  for (let i = 0; i < out; i++) for (let j = 0; j < inF; j++) {
    let ba = 0;
    for (let p = 0; p < r; p++) ba += B.data[i * r + p] * A.data[p * inF + j];
    const d = W1.data[i * inF + j] + s * ba - W[i * inF + j];
    num += d * d; den += W[i * inF + j] ** 2;
  }
  const offsetErr = Math.sqrt(num / den);
  if (!(offsetErr <= 1e-4)) fail(`${m}: ‖W' + s·B·A − W‖/‖W‖ = ${offsetErr}`);
  // A's rows span the gradient's leading right singular directions: |cos| with the exact (float64 SVD) rows.
  // 0.999 is the reference README's sign-invariant criterion; the randomized SVD (q = 4r, 4 power iterations, the
  // default) meets it on this case's well-separated spectrum.
  const Ax = exact[`${m}.lora_A.weight`].data;
  let minCos = 1;
  for (let p = 0; p < r; p++) {
    let dot = 0, na = 0, nb = 0;
    for (let j = 0; j < inF; j++) {
      const a = A.data[p * inF + j], b = Ax[p * inF + j];
      dot += a * b; na += a * a; nb += b * b;
    }
    minCos = Math.min(minCos, Math.abs(dot) / Math.sqrt(na * nb));
  }
  if (!(minCos >= 0.999)) fail(`${m}: min |cos(A row, exact row)| = ${minCos}`);
  // B's columns after matching each one's sign to the exact reference: relative error ≤ 2e-3 (reference README).
  const Bx = exact[`${m}.lora_B.weight`].data;
  let maxColErr = 0;
  for (let p = 0; p < r; p++) {
    let dot = 0, dd = 0, nn = 0;
    for (let i = 0; i < out; i++) dot += B.data[i * r + p] * Bx[i * r + p];
    const sign = dot < 0 ? -1 : 1;
    for (let i = 0; i < out; i++) { dd += (sign * B.data[i * r + p] - Bx[i * r + p]) ** 2; nn += Bx[i * r + p] ** 2; }
    maxColErr = Math.max(maxColErr, Math.sqrt(dd / nn));
  }
  if (!(maxColErr <= 2e-3)) fail(`${m}: B column rel err vs exact ${maxColErr}`);
  summary[m] = { offsetErr, minCos, maxColErr };
}
console.log(JSON.stringify({ checkInit: 'ok', modules: summary }));
