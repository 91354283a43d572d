#!/usr/bin/env node
// `npm run example:ops`: the library's low-level ops by hand: the one-step gradient of a Linear layer, its SVD, and a
// LoRA-GA-style init built from them, checked (initLoraGA does all of this; see quickstart.js for the trainer API).
'use strict';
const { Tensor, gradAccumulate, svd, matmul, loraForward, backends } = require('../..');

function randn(n, seed) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 4294967296) || 1e-12;
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

const out = 256, inF = 512, T = 128, r = 8, alpha = 16;
console.log('backends:', backends().map((b) => `${b.name}=${b.available ? 'yes' : 'no'} (${b.reason})`).join('; '));
const W = Tensor.from(randn(out * inF, 1).map((x) => x * 0.02), [out, inF]);
const G = Tensor.zeros([out, inF]);
const t0 = Date.now();
for (let b = 0; b < 4; b++) gradAccumulate(G, Tensor.from(randn(T * out, 10 + b), [T, out]), Tensor.from(randn(T * inF, 20 + b), [T, inF]), { scale: 1 / 4 });
const { U, S, Vt } = svd(G, { k: 2 * r, method: 'randomized', seed: 0 });
// LoRA-GA (ArB2r): A = Vᵀ[0:r], B = U[:, r:2r]; offset W' = W − s·B·A keeps the layer's output unchanged at step 0.
const s = alpha / r;
const A = Tensor.from(Vt.data.slice(0, r * inF), [r, inF]);
const B = Tensor.zeros([out, r]);
for (let i = 0; i < out; i++) for (let j = 0; j < r; j++) B.data[i * r + j] = U.data[i * 2 * r + r + j];
const Wp = W.clone();
matmul(B, A, { alpha: -s, beta: 1, out: Wp });
const x = Tensor.from(randn(16 * inF, 99), [16, inF]);
const base = matmul(x, W, { transB: true });
const { y } = loraForward(x, Wp, A, B, s);
let err = 0, ref = 0;
for (let i = 0; i < y.size; i++) { err += (y.data[i] - base.data[i]) ** 2; ref += base.data[i] ** 2; }
console.log(`top singular values of G: ${Array.from(S.data.slice(0, 4), (v) => v.toFixed(2)).join(', ')} …`);
console.log(`adapted layer output vs original at step 0: relative error ${Math.sqrt(err / ref).toExponential(2)}`);
console.log(`done in ${Date.now() - t0} ms`);
