// Runs inside a fresh project that installed the packed tarball: real ops through the installed package, checked
// against plain float64 loops (the reference, not the library). Prints one JSON line; exits 1 on any mismatch.
'use strict';
const { Tensor, gradAccumulate, svd, loraForward, backends } = require('loraga');

let seed = 12345;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
const randn = (shape) => Tensor.from(Float32Array.from({ length: shape[0] * shape[1] }, rand), shape);
const at = (t, i, j) => t.data[i * t.shape[1] + j];
// float64 reference C[i][j] = sum_k opA(i,k)·opB(k,j), with transposes given as element getters
function ref(m, n, k, a, b) {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) { let s = 0; for (let p = 0; p < k; p++) s += a(i, p) * b(p, j); c[i * n + j] = s; }
  return c;
}
function relErr(got, want) {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) { num += (got[i] - want[i]) ** 2; den += want[i] ** 2; }
  return Math.sqrt(num / den);
}
const fail = (msg) => { console.error(`smoke: FAIL ${msg}`); process.exit(1); };

const T = 64, inF = 48, outF = 32, r = 4, s = 2;
// gradAccumulate: G = dYᵀ·X (f32 compute over 64 terms: 1e-5 leaves room for rounding, catches any wrong result)
const dY = randn([T, outF]), X = randn([T, inF]);
const G = gradAccumulate(Tensor.zeros([outF, inF]), dY, X);
const gRef = ref(outF, inF, T, (i, p) => at(dY, p, i), (p, j) => at(X, p, j));
const gradErr = relErr(G.data, gRef);
if (!(gradErr < 1e-5)) fail(`gradAccumulate rel err ${gradErr}`);

// exact SVD of G: U·diag(S)·Vt reconstructs G (f32 LAPACK: 1e-5 relative), singular values descending
const { U, S, Vt } = svd(G);
const k = S.data.length;
const rec = ref(outF, inF, k, (i, p) => at(U, i, p) * S.data[p], (p, j) => at(Vt, p, j));
const svdErr = relErr(rec, G.data);
if (!(svdErr < 1e-5)) fail(`svd reconstruction rel err ${svdErr}`);
for (let i = 1; i < S.data.length; i++) if (S.data[i] > S.data[i - 1]) fail('singular values not descending');

// loraForward: y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ (f32, 1e-5 as above)
const x = randn([T, inF]), W = randn([outF, inF]), A = randn([r, inF]), B = randn([outF, r]);
const { y } = loraForward(x, W, A, B, s);
const h = ref(T, r, inF, (i, p) => at(x, i, p), (p, j) => at(A, j, p));
const yBase = ref(T, outF, inF, (i, p) => at(x, i, p), (p, j) => at(W, j, p));
const yLora = ref(T, outF, r, (i, p) => h[i * r + p], (p, j) => at(B, j, p));
const yRef = yBase.map((v, i) => v + s * yLora[i]);
const fwdErr = relErr(y.data, yRef);
if (!(fwdErr < 1e-5)) fail(`loraForward rel err ${fwdErr}`);

const cpu = backends().find((b) => b.name === 'cpu');
if (!cpu || !cpu.available) fail('cpu backend unavailable');
console.log(JSON.stringify({ smoke: 'ok', gradErr, svdErr, fwdErr, cpu: cpu.deviceName }));
