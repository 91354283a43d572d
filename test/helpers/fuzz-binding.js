'use strict';
/**
 * The fuzz driver of test/fuzz-binding.test.ts, run inside a child process (test/helpers/child.ts) so that a crash
 * fails one test, not the run. Plain CommonJS: the child is a bare `node`, it cannot load TypeScript.
 *
 * Every call is built from an op's spec (the arguments it takes, consistent shapes), then one *mode* spoils it (or
 * not: 'valid', 'data' keep it legal). The property checked for every call: it succeeds, or it throws/rejects a
 * LoraError subclass (or the error a hostile getter of ours threw, passed through unchanged). Where the spoiling
 * must make it fail (a wrong dtype tag, a detached buffer, an overlapping output, …) success is a failure; where
 * the arguments are clean, a success is checked against a float64 JS reference, and a rejection must leave every
 * argument's bytes as they were. Seeded: the same seed makes the same calls.
 */

// ---- seeded randomness ---------------------------------------------------------------------------------------------

function makeRng(seed) {
  let s = seed >>> 0;
  const next = () => {  // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    normal: () => Math.sqrt(-2 * Math.log(next() + 1e-300)) * Math.cos(2 * Math.PI * next()),
  };
  return r;
}

// ---- dtype storage, encode/decode ----------------------------------------------------------------------------------

const DTYPES = ['f32', 'f64', 'bf16', 'f16'];
const BPE = { f32: 4, f64: 8, bf16: 2, f16: 2 };
const f32buf = new Float32Array(1), u32buf = new Uint32Array(f32buf.buffer);

function bf16ToNum(h) { u32buf[0] = h << 16; return f32buf[0]; }
function numToBf16(x) {  // round to nearest even, as the addon does
  f32buf[0] = x;
  const u = u32buf[0];
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 0x40) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}
function f16ToNum(h) {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
function numToF16(x) {  // nearest (ties away: data generation only, never compared bit-exactly)
  if (Number.isNaN(x)) return 0x7e00;
  const s = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return s | 0x7c00;
  if (a < 2 ** -14) return s | Math.round(a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  let m = Math.round((a / 2 ** e - 1) * 1024);
  if (m === 1024) { m = 0; e++; }
  return s | ((e + 15) << 10) | m;
}
const DEC = { f32: (x) => x, f64: (x) => x, bf16: bf16ToNum, f16: f16ToNum };
const MAXV = { f32: 3.4028234663852886e38, f64: Number.MAX_VALUE, bf16: 3.3895313892515355e38, f16: 65504 };

function storageFor(dtype, n, buffer, byteOffset) {
  if (buffer) {
    if (dtype === 'f32') return new Float32Array(buffer, byteOffset, n);
    if (dtype === 'f64') return new Float64Array(buffer, byteOffset, n);
    return new Uint16Array(buffer, byteOffset, n);
  }
  if (dtype === 'f32') return new Float32Array(n);
  if (dtype === 'f64') return new Float64Array(n);
  return new Uint16Array(n);
}
function store(arr, dtype, i, x) { arr[i] = dtype === 'bf16' ? numToBf16(x) : dtype === 'f16' ? numToF16(x) : x; }
/** The values of host storage as float64 (what the addon computes from). */
function decode(arr, dtype) {
  const out = new Float64Array(arr.length), d = DEC[dtype];
  for (let i = 0; i < arr.length; i++) out[i] = d(arr[i]);
  return out;
}

// ---- values --------------------------------------------------------------------------------------------------------

/** Data for a tensor: mostly Gaussian; in 'data' mode also zeros, NaN, ±Inf, extremes, subnormals, -0. */
function fillData(rng, arr, dtype, hostile) {
  const kind = hostile ? rng.pick(['nan', 'inf', 'huge', 'tiny', 'zero', 'subnormal', 'mixed', 'negzero']) : 'normal';
  const huge = dtype === 'f16' ? 3e4 : dtype === 'f64' ? 1e150 : 1e30;
  const tiny = dtype === 'f16' ? 1e-4 : 1e-30;
  for (let i = 0; i < arr.length; i++) {
    let x = rng.normal();
    if (kind === 'huge') x *= huge;
    else if (kind === 'tiny') x *= tiny;
    else if (kind === 'zero') x = 0;
    else if (kind === 'negzero') x = rng.chance(0.5) ? -0 : x;
    else if (kind === 'subnormal') x = rng.chance(0.5) ? x * (dtype === 'f64' ? 1e-310 : dtype === 'f16' ? 1e-6 : 1e-40) : x;
    else if (kind === 'mixed') x = rng.pick([x, x * huge, x * tiny, 0]);
    store(arr, dtype, i, x);
  }
  if ((kind === 'nan' || kind === 'inf') && arr.length > 0) {
    const bad = kind === 'nan' ? NaN : rng.pick([Infinity, -Infinity]);
    for (let j = rng.int(1, 3); j > 0; j--) store(arr, dtype, rng.int(0, arr.length - 1), bad);
  }
}

const JUNK = () => [undefined, null, 0, -1, 1.5, NaN, Infinity, 'f32', '', 'abc', true, false, 1n, 2n ** 70n, Symbol('x'),
  {}, [], [1, 2], () => 1, new Float32Array(3), new ArrayBuffer(8), new Map(), Object.create(null), new Proxy({}, {}),
  new Date(0), /re/, new Uint8Array(4), new DataView(new ArrayBuffer(8))];

const BAD_NUMBERS = [NaN, Infinity, -Infinity, 1e308 * 10, 2 ** 63, -(2 ** 63), 1.5, -0.5, '1', 1n, {}, [], null, true,
  { valueOf: () => 1 }, Symbol('n'), Number.MAX_SAFE_INTEGER + 2];

class FuzzGetterError extends Error {}

// FUZZ_TRACE=1: each raw call is written to stderr before it is made (to find the one that crashes).
const TRACE = !!process.env.FUZZ_TRACE;
function showArg(a) {  // reads own data properties only: never runs a getter or a proxy trap of ours
  if (a === null || (typeof a !== 'object' && typeof a !== 'function')) return typeof a === 'bigint' ? `${a}n` : typeof a === 'symbol' ? 'symbol' : String(a);
  if (require('util').types.isProxy(a)) return 'Proxy';
  const own = (k) => { const d = Object.getOwnPropertyDescriptor(a, k); return d && 'value' in d ? d.value : d ? '<getter>' : undefined; };
  if (Array.isArray(a)) return `[${Array.from({ length: a.length }, (_, i) => showArg(own(i))).join(',')}]`;
  if (typeof own('dtype') === 'string' || own('_data') !== undefined) return `${showArg(own('dtype'))}${showArg(own('shape'))}`;
  return a.constructor ? a.constructor.name : 'obj';
}

// ---- op specs: the arguments of a consistent call ------------------------------------------------------------------
//
// A spec returns a list of argument descriptors: { t: 'tensor', shape, dtype, access: 'r'|'w'|'rw', name,
// optional } | { t: 'list', items: [...] } | { t: 'num', v, kind: 'number'|'int'|'flag'|'async' } | { t: 'raw', v }.

const T = (name, shape, dtype, access = 'r', optional = false) => ({ t: 'tensor', name, shape, dtype, access, optional });
const num = (v, kind = 'number') => ({ t: 'num', v, kind });
const anyD = (rng) => rng.pick(DTYPES);
const floatD = (rng) => rng.pick(['f32', 'f64']);
const small = (rng, lo = 0) => rng.int(lo, rng.chance(0.8) ? 5 : 9);
const asyncArg = (rng, on) => num(on && rng.chance(0.35), 'async');

const SPECS = {
  matmul(rng, a) {
    const m = small(rng), k = small(rng), n = small(rng), ta = rng.chance(0.5), tb = rng.chance(0.5);
    return [T('a', ta ? [k, m] : [m, k], anyD(rng)), T('b', tb ? [n, k] : [k, n], anyD(rng)), T('out', [m, n], anyD(rng), 'rw'),
      num(ta, 'flag'), num(tb, 'flag'), num(rng.pick([1, -2, 0.5, 0])), num(rng.pick([0, 0, 1, -0.5])), asyncArg(rng, a)];
  },
  gradAccumulate(rng, a) {
    const t = small(rng), o = small(rng), i = small(rng);
    return [T('G', [o, i], floatD(rng), 'rw'), T('dY', [t, o], anyD(rng)), T('X', [t, i], anyD(rng)), num(rng.pick([1, 0.25, -3])), asyncArg(rng, a)];
  },
  sketchUpdate(rng, a) {
    const t = small(rng), i = small(rng), o = small(rng), k = small(rng, 1), s = small(rng, 1), p = small(rng, 1), dt = floatD(rng);
    return [T('X', [t, i], anyD(rng)), T('dY', [t, o], anyD(rng)), num(rng.int(0, 2 ** 40), 'int'), T('Y', [o, k], dt, 'rw'),
      T('E', [o, p], dt, 'rw'), T('W', [k, i], dt, 'rw', true), T('Z', [s, s], dt, 'rw', true), asyncArg(rng, a)];
  },
  svd(rng, a) {
    const m = small(rng, 1), n = small(rng, 1), k = rng.int(1, Math.min(m, n)), dt = anyD(rng);
    return [T('M', [m, n], dt), T('U', [m, k], rng.chance(0.7) ? dt : anyD(rng), 'w'), T('S', [k], anyD(rng), 'w'), T('Vt', [k, n], anyD(rng), 'w'),
      num(rng.int(0, 2), 'int'), num(rng.int(0, 6), 'int'), num(rng.int(0, 3), 'int'), num(rng.int(0, 1000), 'int'), asyncArg(rng, a)];
  },
  svdBatched(rng, a) {
    const jobs = rng.int(0, 3), Ms = [], Us = [], Ss = [], Vts = [];
    for (let j = 0; j < jobs; j++) {
      const m = small(rng, 1), n = small(rng, 1), k = rng.int(1, Math.min(m, n)), dt = anyD(rng);
      Ms.push(T(`M[${j}]`, [m, n], dt)); Us.push(T(`U[${j}]`, [m, k], dt, 'w')); Ss.push(T(`S[${j}]`, [k], dt, 'w'));
      Vts.push(T(`Vt[${j}]`, [k, n], dt, 'w'));
    }
    return [{ t: 'list', items: Ms }, { t: 'list', items: Us }, { t: 'list', items: Ss }, { t: 'list', items: Vts },
      num(rng.int(0, 2), 'int'), num(rng.int(0, 6), 'int'), num(rng.int(0, 3), 'int'), { ...num(rng.int(0, 1000), 'int'), seedList: true }, asyncArg(rng, a)];
  },
  orthonormalize(rng, a) {
    const n = small(rng), m = n + small(rng);
    return [T('A', [m, n], anyD(rng), 'rw'), asyncArg(rng, a)];
  },
  loraForward(rng, a) {
    const t = small(rng), i = small(rng), o = small(rng), r = small(rng);
    const x = rng.chance(0.2) && t > 0 ? T('x', [1, t, i], anyD(rng)) : T('x', [t, i], anyD(rng));
    return [x, T('W', [o, i], anyD(rng)), T('A', [r, i], anyD(rng)), T('B', [o, r], anyD(rng)), num(rng.pick([2, 0.5, 0, -1])),
      T('y', [t, o], anyD(rng), 'w'), T('h', [t, r], anyD(rng), 'w', true), asyncArg(rng, a)];
  },
  loraBackward(rng, a) {
    const t = small(rng), i = small(rng), o = small(rng), r = small(rng);
    return [T('dy', [t, o], anyD(rng)), T('x', [t, i], anyD(rng)), T('W', [o, i], anyD(rng)), T('A', [r, i], anyD(rng)),
      T('B', [o, r], anyD(rng)), num(rng.pick([2, 0.5, -1])), T('h', [t, r], anyD(rng), 'r', true), T('dx', [t, i], anyD(rng), 'w', true),
      T('dA', [r, i], anyD(rng), 'w', true), T('dB', [o, r], anyD(rng), 'w', true), asyncArg(rng, a)];
  },
  adamwStep(rng, a) {
    const n = small(rng), d = floatD(rng), shp = rng.chance(0.5) ? [n] : [1, n];
    // With out the new parameter goes there and p is only read; without it (null) p is updated in place.
    const withOut = rng.chance(0.5);
    return [T('p', shp, d, withOut ? 'r' : 'rw'), T('g', [n], anyD(rng)), T('m', [n], d, 'rw'), T('v', [n], d, 'rw'), num(rng.pick([1e-3, 0.1, 1])),
      num(rng.pick([0.9, 0, 0.5])), num(rng.pick([0.999, 0.9, 0])), num(rng.pick([1e-8, 1e-3])), num(rng.pick([0, 0.01])),
      num(rng.int(1, 1000), 'int'), withOut ? T('out', shp, d, 'w') : { t: 'raw', v: null }, asyncArg(rng, a)];
  },
  sgdStep(rng, a) {
    const n = small(rng), d = floatD(rng);
    return [T('p', [n], d, 'rw'), T('g', [n], anyD(rng)), T('buf', [n], d, 'rw', true), num(rng.pick([0.1, 1])),
      num(rng.pick([0, 0.9])), num(rng.pick([0, 0.01])), asyncArg(rng, a)];
  },
  solve(rng, a) {
    const n = small(rng), c = small(rng), d = floatD(rng);
    return [T('a', [n, n], d), T('b', [n, c], d, 'rw'), asyncArg(rng, a)];
  },
  copy(rng, a) {
    const m = small(rng), n = small(rng);
    return [T('src', [m, n], anyD(rng)), T('dst', rng.chance(0.3) ? [m * n] : [m, n], anyD(rng), 'w'), asyncArg(rng, a)];
  },
  allFinite(rng) { return [T('t', [small(rng), small(rng)], anyD(rng))]; },
  fillGaussian(rng) { return [T('t', [small(rng), small(rng)], anyD(rng), 'w'), num(rng.int(0, 2 ** 40), 'int')]; },
  deviceAlloc(rng) { return [{ t: 'raw', v: anyD(rng) }, { t: 'raw', v: [small(rng), small(rng)] }]; },
  deviceFree(rng) { return [{ t: 'raw', v: rng.pick(JUNK()) }]; },
  backends() { return []; },
  setAllowTf32(rng) { return [{ t: 'raw', v: rng.pick(JUNK()) }]; },
  noop(rng) { return [{ t: 'raw', v: rng.pick(JUNK()) }]; },
};

// ---- materialising a call (with the mode's spoiling) ---------------------------------------------------------------

function tensorDescs(args) {
  const out = [];
  for (const a of args) {
    if (a.t === 'tensor') out.push(a);
    else if (a.t === 'list') out.push(...a.items);
  }
  return out;
}
const numel = (shape) => shape.reduce((p, d) => p * d, 1);

/**
 * Makes the JS value of a tensor descriptor: {_data, dtype, shape, device, _readonly} (what the addon reads), or an
 * L.Tensor (never for a tensor about to be spoiled: `d.spoil`).
 */
function materialize(L, rng, d) {
  const n = numel(d.shape);
  let arr;
  if (d.resizable) {  // a resizable ArrayBuffer: a fixed-length view of it, or one that tracks its length
    const bytes = n * BPE[d.dtype];
    const rab = new ArrayBuffer(bytes, { maxByteLength: bytes + 64 });
    arr = storageFor(d.dtype, d.resizable === 'tracking' ? undefined : n, rab, 0);
  } else {
    arr = storageFor(d.dtype, n);
  }
  fillData(rng, arr, d.dtype, d.hostileData);
  d.arr = arr;
  const o = { _data: arr, dtype: d.dtype, shape: d.shape.slice(), device: 'cpu', _readonly: false };
  d.obj = o;
  if (rng.chance(0.2) && !d.spoil && !d.resizable) {
    // the same through the public class (owned memory, writable)
    const t = new L.Tensor(arr, d.shape, d.dtype, true);
    d.obj = t;
    return t;
  }
  return o;
}

/** Applies one spoiling to descriptor `d` (before materialising) and returns whether the call must now fail. */
const SPOILS = {
  dtype: {
    pre(rng, d) {
      const kind = rng.pick(['tag', 'unknown', 'storage']);
      d.spoil = { kind: 'dtype:' + kind };
      return kind;
    },
    post(rng, d, o, kind) {
      const bpeSame = { f32: ['f32'], f64: ['f64'], bf16: ['bf16', 'f16'], f16: ['bf16', 'f16'] };
      if (kind === 'tag') { o.dtype = rng.pick(DTYPES.filter((x) => !bpeSame[d.dtype].includes(x))); return true; }
      if (kind === 'unknown') { o.dtype = rng.pick(['int8', 'F32', 'float32', '', 32, null, undefined, 1n, {}]); return true; }
      // a typed array of the wrong kind with the right byte length
      const bytes = d.arr.byteLength;
      o._data = rng.pick([new Int32Array(bytes / 4 | 0), new Uint8Array(bytes), new Int16Array(bytes / 2 | 0),
        d.dtype === 'f64' ? new BigInt64Array(bytes / 8 | 0) : new Uint32Array(bytes / 4 | 0), new DataView(new ArrayBuffer(bytes)), Array.from(d.arr)]);
      return true;
    },
  },
  shape: {
    pre(rng, d) { d.spoil = { kind: 'shape' }; },
    post(rng, d, o) {
      const n0 = numel(d.shape);
      const s = d.shape.slice();
      const kind = rng.pick(['plus', 'minus', 'neg', 'huge', 'frac', 'bigint', 'nan', 'string', 'rank0', 'rank3', 'notarray', 'inf', 'wrap', 'holey']);
      let shape;
      const i = rng.int(0, s.length - 1);
      switch (kind) {
        case 'plus': s[i] += rng.int(1, 3); shape = s; break;
        case 'minus': s[i] = Math.max(0, s[i] - 1) === s[i] ? s[i] + 1 : s[i] - 1; shape = s; break;
        case 'neg': s[i] = -rng.int(1, 5); shape = s; break;
        case 'huge': s[i] = rng.pick([2 ** 31, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2, 1e300, 2 ** 64]); shape = s; break;
        case 'frac': s[i] = s[i] + 0.5; shape = s; break;
        case 'bigint': s[i] = BigInt(s[i]); shape = s; break;
        case 'nan': s[i] = NaN; shape = s; break;
        case 'inf': s[i] = Infinity; shape = s; break;
        case 'string': s[i] = String(s[i]); shape = s; break;
        case 'rank0': shape = []; break;
        case 'rank3': shape = [2, ...s]; break;
        case 'notarray': shape = rng.pick([undefined, null, 3, 'abc', { length: 2, 0: 1, 1: 1 }, new Float64Array(s)]); break;
        case 'wrap': shape = [242243305, 19037413721]; break;  // int64 product wraps to a small number
        case 'holey': shape = new Array(s.length); break;
      }
      o.shape = shape;
      // Reshaping to the same element count of valid dims is legal; every other change must be refused.
      const valid = Array.isArray(shape) && shape.length > 0 && shape.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0);
      return valid && numel(shape) === n0 && kind !== 'rank0' ? null : true;
    },
  },
  buffer: {
    pre(rng, d) {
      const kind = rng.pick(['short', 'long', 'detached', 'shared', 'resizable', 'tracking', 'shrunk', 'grown', 'offsetview', 'disposed', 'nulldata']);
      d.spoil = { kind: 'buffer:' + kind };
      if (kind === 'resizable' || kind === 'shrunk' || kind === 'grown') d.resizable = 'fixed';
      if (kind === 'tracking') d.resizable = 'tracking';
      return kind;
    },
    post(rng, d, o, kind, ctx) {
      const n = d.arr.length, bytes = d.arr.byteLength;
      switch (kind) {
        case 'short': if (n === 0) return false; o._data = storageFor(d.dtype, n - 1); return true;
        case 'long': o._data = storageFor(d.dtype, n + rng.int(1, 3)); return true;
        case 'detached': structuredClone(d.arr.buffer, { transfer: [d.arr.buffer] }); return true;
        case 'shared': o._data = storageFor(d.dtype, n, new SharedArrayBuffer(bytes), 0); return true;
        case 'resizable': case 'tracking': return false;  // legal memory: must work, and is checked
        case 'shrunk': if (bytes === 0) return false; d.arr.buffer.resize(0); return true;
        case 'grown': d.arr.buffer.resize(bytes + 16); return false;  // a fixed-length view keeps its length: legal
        case 'offsetview': {  // a view into the middle of a bigger buffer: legal, and must be read at its offset
          const bpe = BPE[d.dtype], ab = new ArrayBuffer(bytes + 4 * bpe);
          const v = storageFor(d.dtype, n, ab, 2 * bpe);
          v.set(d.arr);
          storageFor(d.dtype, 2, ab, 0).fill(d.dtype === 'f32' || d.dtype === 'f64' ? NaN : 0x7fc0);
          d.arr = v;
          o._data = v;
          return false;
        }
        case 'disposed': {
          const t = new ctx.L.Tensor(d.arr, d.shape, d.dtype, true);
          t.dispose();
          d.objOverride = t;
          return true;
        }
        case 'nulldata': o._data = rng.pick([null, undefined, 0, 'x', {}]); return true;
      }
      return false;
    },
  },
  device: {
    pre(rng, d) { d.spoil = { kind: 'device' }; },
    post(rng, d, o) {
      const kind = rng.pick(['cuda-junk', 'cuda-none', 'unknown', 'nonstring']);
      if (kind === 'cuda-junk') { o.device = 'cuda'; o.handle = rng.pick(JUNK()); return true; }
      if (kind === 'cuda-none') { o.device = 'cuda'; return true; }
      if (kind === 'unknown') { o.device = rng.pick(['tpu', 'CPU', 'gpu', '']); return true; }
      o.device = rng.pick([1, null, undefined, {}]);  // not a string: read as the host
      return false;
    },
  },
  readonly: {
    pre(rng, d) { d.spoil = { kind: 'readonly' }; },
    post(rng, d, o) { o._readonly = rng.pick([true, 1, 'yes', {}]); return d.access !== 'r'; },
  },
  getter: {
    pre(rng, d) { d.spoil = { kind: 'getter' }; },
    post(rng, d, o, _k, ctx) {
      ctx.getterMode = true;
      const field = rng.pick(['dtype', 'shape', '_data', 'device', '_readonly']);
      const kind = rng.pick(['throw', 'detach-other', 'resize-other', 'flip', 'proxy-throw', 'shape-elem-throw', 'shape-elem-detach']);
      const victims = ctx.hostDescs.filter((x) => x !== d && x.arr && x.arr.byteLength > 0);
      const victim = victims.length ? rng.pick(victims) : null;
      const value = o[field];
      const state = ctx.getter = { field, kind, called: false, victim, threw: false };
      const act = () => {
        state.called = true;
        if (kind === 'throw' || kind === 'proxy-throw' || kind === 'shape-elem-throw') { state.threw = true; throw new FuzzGetterError(`getter ${field}`); }
        if (!victim || !victim.arr) return;  // an optional argument left out
        if ((kind === 'detach-other' || kind === 'shape-elem-detach') && !victim.arr.buffer.detached) {
          state.victimGone = true;
          structuredClone(victim.arr.buffer, { transfer: [victim.arr.buffer] });
        }
        if (kind === 'resize-other' && victim.arr.buffer.resizable && !victim.arr.buffer.detached) { state.victimGone = true; victim.arr.buffer.resize(0); }
      };
      if (kind === 'shape-elem-throw' || kind === 'shape-elem-detach') {
        const s = d.shape.slice();
        const v0 = s[0];
        Object.defineProperty(s, 0, { get() { act(); return v0; }, enumerable: true });
        o.shape = s;
        state.field = 'shape[0]';
      } else if (kind === 'proxy-throw') {
        d.objOverride = new Proxy(o, { get(t, p, r) { if (p === field) act(); return Reflect.get(t, p, r); } });
      } else if (kind === 'flip') {
        let i = 0;
        const alt = field === 'dtype' ? rng.pick(DTYPES) : field === 'shape' ? [d.shape.length ? d.shape[0] + 1 : 1] : field === 'device' ? 'cuda' : field === '_readonly' ? true : storageFor(d.dtype, 1);
        Object.defineProperty(o, field, { get() { state.called = true; return i++ % 2 ? alt : value; }, enumerable: true });
      } else {
        Object.defineProperty(o, field, { get() { act(); return value; }, enumerable: true });
      }
      return null;  // decided after the call, from what the getter did
    },
  },
};

// ---- references ----------------------------------------------------------------------------------------------------

const TOL = { f32: 2e-5, f64: 1e-12, bf16: 1.6e-2, f16: 2e-3 };
const tolOf = (...dts) => Math.max(...dts.map((d) => TOL[d]));
const computeD = (...dts) => (dts.every((d) => d === 'f64') ? 'f64' : 'f32');

/** Some |terms| sum beyond a quarter of f32's range: an f32 intermediate may be Inf. */
const overflows = (bound) => bound.some((v) => v > MAXV.f32 / 4);

/** got ≈ ref element-wise, within tol·bound (bound = the sum of |terms|, which rounding errors scale with). */
function near(got, ref, bound, tol, outD, what) {
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i], b = bound[i], g = got[i];
    if (!Number.isFinite(r) || !Number.isFinite(b) || b > MAXV.f32 / 4 || Math.abs(r) > MAXV[outD] * 0.99) continue;  // overflow / NaN in: no claim
    // the last term: results that underflow (f32 compute: below 2^-126 the relative bound no longer holds)
    const lim = tol * b + TOL[outD] * Math.abs(r) + (outD === 'f16' ? 2 ** -24 : 1e-36);
    if (!(Math.abs(g - r) <= lim)) return `${what}[${i}] = ${g}, reference ${r} (bound ${lim})`;
  }
  return null;
}

/** C = alpha·op(A)·op(B) (+ beta·C0), and Σ|terms|, for row-major float64 arrays. */
function gemmRef(A, ar, ac, ta, B, br, bc, tb, alpha, beta, C0) {
  const m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc;
  const ref = new Float64Array(m * n), bound = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0, sb = 0;
      for (let p = 0; p < k; p++) {
        const x = ta ? A[p * ac + i] : A[i * ac + p], y = tb ? B[j * bc + p] : B[p * bc + j];
        s += x * y; sb += Math.abs(x * y);
      }
      let r = alpha * s, rb = Math.abs(alpha) * sb;
      if (C0 && beta !== 0) { r += beta * C0[i * n + j]; rb += Math.abs(beta * C0[i * n + j]); }
      ref[i * n + j] = r; bound[i * n + j] = rb;
    }
  return { ref, bound };
}

function hasNonFinite(...xs) { return xs.some((x) => x.some((v) => !Number.isFinite(v))); }
/** Inputs the op cannot be held to: NaN/Inf, or (computing in f32) values beyond f32's range, which become Inf on the way in. */
function unclaimable(comp, ...xs) { return xs.some((x) => x.some((v) => !Number.isFinite(v) || (comp === 'f32' && Math.abs(v) > MAXV.f32))); }

/** One-sided Jacobi: the singular values of a small row-major m×n matrix, descending (float64 reference). */
function singularValues(M, m, n) {
  // work on the columns of the taller orientation, scaled to max |entry| = 1 (so that products cannot overflow)
  const tall = m >= n, r = tall ? m : n, c = tall ? n : m;
  const amax = M.reduce((x, v) => Math.max(x, Math.abs(v)), 0) || 1;
  const U = new Float64Array(r * c);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) if (tall) U[i * c + j] = M[i * n + j] / amax; else U[j * c + i] = M[i * n + j] / amax;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < c; p++)
      for (let q = p + 1; q < c; q++) {
        let a = 0, b = 0, g = 0;
        for (let i = 0; i < r; i++) { const x = U[i * c + p], y = U[i * c + q]; a += x * x; b += y * y; g += x * y; }
        if (Math.abs(g) <= 1e-300 || Math.abs(g) <= 1e-17 * Math.sqrt(a * b)) continue;
        off = Math.max(off, Math.abs(g) / Math.sqrt(a * b));
        const zeta = (b - a) / (2 * g), t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t), sn = cs * t;
        for (let i = 0; i < r; i++) { const x = U[i * c + p], y = U[i * c + q]; U[i * c + p] = cs * x - sn * y; U[i * c + q] = sn * x + cs * y; }
      }
    if (off < 1e-15) break;
  }
  const s = [];
  for (let p = 0; p < c; p++) { let a = 0; for (let i = 0; i < r; i++) a += U[i * c + p] ** 2; s.push(Math.sqrt(a) * amax); }
  return s.sort((x, y) => y - x);
}

/** Checks a successful call with clean arguments; returns null or what is wrong. */
const CHECKS = {
  matmul(args, before) {
    const [a, b, c] = args, ta = args[3].v, tb = args[4].v, alpha = args[5].v, beta = args[6].v;
    const A = before.get(a), B = before.get(b), C0 = before.get(c);
    if (unclaimable(computeD(c.dtype), A, B) || (beta !== 0 && unclaimable(computeD(c.dtype), C0))) return null;
    const { ref, bound } = gemmRef(A, a.shape[0], a.shape[1], ta, B, b.shape[0], b.shape[1], tb, alpha, beta, C0);
    return near(decode(c.arr, c.dtype), ref, bound, tolOf(computeD(c.dtype)), c.dtype, 'out');
  },
  gradAccumulate(args, before) {
    const [G, dY, X] = args, scale = args[3].v;
    const g0 = before.get(G), y = before.get(dY), x = before.get(X);
    if (unclaimable(G.dtype, g0, y, x)) return null;
    const { ref, bound } = gemmRef(y, dY.shape[0], dY.shape[1], true, x, X.shape[0], X.shape[1], false, scale, 1, g0);
    return near(decode(G.arr, G.dtype), ref, bound, tolOf(G.dtype), G.dtype, 'G');
  },
  sketchUpdate(args, before, _result, N) {
    // Each sketch += (a product of the batch with a test matrix) chained with the batch, against float64 with the test
    // matrices drawn by fillGaussian (checked against itself above) and the batch rounded to the sketch's dtype as the
    // op converts it; the bound of a chained product is the product of the bounds.
    const [X, dY, , Y, E, W, Z] = args, seed = args[2].v, ct = Y.dtype;
    const x0 = before.get(X), y0 = before.get(dY);
    if (unclaimable(ct, x0, y0)) return null;
    const rnd = ct === 'f32' ? Math.fround : (v) => v;
    const x = x0.map(rnd), dy = y0.map(rnd), T_ = X.shape[0], inF = X.shape[1], out = dY.shape[1];
    const draw = (rows, cols, which) => {
      const st = storageFor(ct, rows * cols);
      N.fillGaussian({ _data: st, dtype: ct, shape: [rows, cols], device: 'cpu' }, seed * 8 + which);
      return decode(st, ct);
    };
    const abs = (a) => a.map(Math.abs);
    const check = (S, A, ar, ac, ta, P, pc, name) => {   // S += op(A)·P (P [ar or ac, pc] with its bound)
      if (!S || !S.arr) return null;
      const s0 = before.get(S);
      const ref = gemmRef(A, ar, ac, ta, P.ref, ta ? ar : ac, pc, false, 1, 1, s0).ref;
      const bound = gemmRef(abs(A), ar, ac, ta, P.bound, ta ? ar : ac, pc, false, 1, 1, abs(s0)).ref;
      return near(decode(S.arr, ct), ref, bound, 4 * TOL[ct], ct, name);
    };
    const k = Y.shape[1], p = E.shape[1];
    const xo = gemmRef(x, T_, inF, false, draw(inF, k, 1), inF, k, false, 1, 0, null);
    const xt = gemmRef(x, T_, inF, false, draw(inF, p, 5), inF, p, false, 1, 0, null);
    let e = check(Y, dy, T_, out, true, xo, k, 'Y') || check(E, dy, T_, out, true, xt, p, 'E');
    if (!e && W && W.arr) {
      const du = gemmRef(dy, T_, out, false, draw(out, k, 2), out, k, false, 1, 0, null);
      const s0 = before.get(W);
      const ref = gemmRef(du.ref, T_, k, true, x, T_, inF, false, 1, 1, s0).ref;
      const bound = gemmRef(du.bound, T_, k, true, abs(x), T_, inF, false, 1, 1, abs(s0)).ref;
      e = near(decode(W.arr, ct), ref, bound, 4 * TOL[ct], ct, 'W');
    }
    if (!e && Z && Z.arr) {
      const s = Z.shape[0];
      const dp = gemmRef(dy, T_, out, false, draw(out, s, 3), out, s, false, 1, 0, null);
      const xp = gemmRef(x, T_, inF, false, draw(inF, s, 4), inF, s, false, 1, 0, null);
      const s0 = before.get(Z);
      const ref = gemmRef(dp.ref, T_, s, true, xp.ref, T_, s, false, 1, 1, s0).ref;
      const bound = gemmRef(dp.bound, T_, s, true, xp.bound, T_, s, false, 1, 1, abs(s0)).ref;
      e = near(decode(Z.arr, ct), ref, bound, 4 * TOL[ct], ct, 'Z');
    }
    return e;
  },
  svd(args, before) { return checkSvd(args[0], args[1], args[2], args[3], before, args[4].v, args[5].v, args[6].v); },
  svdBatched(args, before) {
    for (let j = 0; j < args[0].items.length; j++) {
      const e = checkSvd(args[0].items[j], args[1].items[j], args[2].items[j], args[3].items[j], before, args[4].v, args[5].v, args[6].v);
      if (e) return `job ${j}: ${e}`;
    }
    return null;
  },
  orthonormalize(args, before) {
    const [A] = args, [m, n] = A.shape, a0 = before.get(A);
    if (unclaimable(computeD(A.dtype), a0)) return null;
    const Q = decode(A.arr, A.dtype), tol = A.dtype === 'bf16' ? 0.05 : A.dtype === 'f16' ? 0.01 : (A.dtype === 'f64' ? 1e-12 : 1e-5) * Math.max(1, m);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < m; p++) s += Q[p * n + i] * Q[p * n + j];
        if (!(Math.abs(s - (i === j ? 1 : 0)) <= tol)) return `QᵀQ[${i},${j}] = ${s}`;
      }
    return null;
  },
  loraForward(args, before) {
    const [x, W, A, B] = args, s = args[4].v, y = args[5], h = args[6];
    const X = before.get(x), w = before.get(W), a = before.get(A), b = before.get(B);
    const t = numel(x.shape) / (x.shape[x.shape.length - 1] || 1) | 0, inF = x.shape[x.shape.length - 1];
    if (unclaimable(computeD(x.dtype, W.dtype, A.dtype, B.dtype, y.dtype), X, w, a, b)) return null;
    const r = A.shape[0], out = W.shape[0];
    const H = gemmRef(X, t, inF, false, a, r, inF, true, 1, 0, null);
    const tol = tolOf(computeD(x.dtype, W.dtype, A.dtype, B.dtype), 'f32');
    // h = x·Aᵀ in f32 (unless x and A are f64): an absolute error up to inF half-spacings of f32's subnormal grid per
    // element, which the product with B scales and the relative bound cannot see.
    if (computeD(x.dtype, A.dtype) === 'f32') {
      H.bound = H.bound.map((v) => v + (inF * 2 ** -150) / tol);
      if (overflows(H.bound)) return null;  // h beyond f32's range is Inf there: no claim on y
    }
    const base = gemmRef(X, t, inF, false, w, out, inF, true, 1, 0, null);
    const hb = gemmRef(H.ref, t, r, false, b, out, r, true, s, 0, null);
    const habs = gemmRef(H.bound, t, r, false, b.map(Math.abs), out, r, true, Math.abs(s), 0, null);
    const ref = base.ref.map((v, i) => v + hb.ref[i]), bound = base.bound.map((v, i) => v + habs.ref[i]);
    return near(decode(y.arr, y.dtype), ref, bound, tol, y.dtype, 'y') || (h.obj ? near(decode(h.arr, h.dtype), H.ref, H.bound, tol, h.dtype, 'h') : null);
  },
  loraBackward(args, before) {
    const [dy, x, W, A, B] = args, s = args[5].v, [h, dx, dA, dB] = args.slice(6, 10);
    const Y = before.get(dy), X = before.get(x), w = before.get(W), a = before.get(A), b = before.get(B);
    const t = x.shape[0], inF = x.shape[1], out = W.shape[0], r = A.shape[0];
    const H0 = h.obj ? before.get(h) : null;
    if (unclaimable('f32', Y, X, w, a, b) || (H0 && unclaimable('f32', H0))) return null;
    const tol = tolOf(computeD(dy.dtype, x.dtype, W.dtype, A.dtype, B.dtype), 'f32') * 4;
    const H = H0 ? { ref: H0, bound: H0.map(Math.abs) } : gemmRef(X, t, inF, false, a, r, inF, true, 1, 0, null);
    if (!H0 && computeD(x.dtype, A.dtype) === 'f32') H.bound = H.bound.map((v) => v + (inF * 2 ** -150) / tol);  // as g below
    const DH = gemmRef(Y, t, out, false, b, out, r, false, s, 0, null);  // s·dy·B  [t, r]
    // Computing in f32, g = dy·B rounds to f32's subnormal grid: an absolute error up to `out` half-spacings (2⁻¹⁵⁰)
    // per element, which the later product with A (maybe huge) scales, and which the relative bound cannot see.
    if (computeD(dy.dtype, x.dtype, A.dtype, B.dtype) === 'f32') DH.bound = DH.bound.map((v) => v + (Math.abs(s) * out * 2 ** -150) / tol);
    // An intermediate beyond f32's range is Inf there (then 0·Inf = NaN downstream): no claim on what uses it.
    const f32g = computeD(dy.dtype, x.dtype, A.dtype, B.dtype) === 'f32';
    const gOver = f32g && overflows(DH.bound), hOver = !H0 && computeD(x.dtype, A.dtype) === 'f32' && overflows(H.bound);
    let e = null;
    if (dx.obj && !gOver) {
      const p1 = gemmRef(Y, t, out, false, w, out, inF, false, 1, 0, null), p2 = gemmRef(DH.ref, t, r, false, a, r, inF, false, 1, 0, null);
      const p2b = gemmRef(DH.bound, t, r, false, a.map(Math.abs), r, inF, false, 1, 0, null);
      e = near(decode(dx.arr, dx.dtype), p1.ref.map((v, i) => v + p2.ref[i]), p1.bound.map((v, i) => v + p2b.ref[i]), tol, dx.dtype, 'dx');
    }
    if (!e && dA.obj && !gOver) {
      const g = gemmRef(DH.ref, t, r, true, X, t, inF, false, 1, 0, null), gb = gemmRef(DH.bound, t, r, true, X.map(Math.abs), t, inF, false, 1, 0, null);
      e = near(decode(dA.arr, dA.dtype), g.ref, gb.ref, tol, dA.dtype, 'dA');
    }
    if (!e && dB.obj && !hOver) {
      const g = gemmRef(Y, t, out, true, H.ref, t, r, false, s, 0, null), gb = gemmRef(Y.map(Math.abs), t, out, true, H.bound, t, r, false, Math.abs(s), 0, null);
      e = near(decode(dB.arr, dB.dtype), g.ref, gb.ref, tol, dB.dtype, 'dB');
    }
    return e;
  },
  adamwStep(args, before) {
    const [p, g, m, v] = args, [lr, b1, b2, eps, wd, step] = args.slice(4, 10).map((x) => x.v), out = args[10];
    const P = before.get(p), G = before.get(g), M = before.get(m), V = before.get(v);
    const bc1 = 1 - Math.pow(b1, step), bc2 = 1 - Math.pow(b2, step);
    // With out, the new parameter goes there and p is only read.
    const dst = out.obj ? out : p;
    // p's bytes as they should be now: as before the call, or as async-mutate rewrote them while the op ran
    if (out.obj && p.snapshot && !bytesEqual(p.arr, p.snapshot)) return 'p changed although out was given';
    const got = [decode(dst.arr, dst.dtype), decode(m.arr, m.dtype), decode(v.arr, v.dtype)];
    for (let i = 0; i < P.length; i++) {
      const mi = b1 * M[i] + (1 - b1) * G[i], vi = b2 * V[i] + (1 - b2) * G[i] * G[i];
      const pi = P[i] - lr * ((mi / bc1) / (Math.sqrt(vi / bc2) + eps) + wd * P[i]);
      const e = sameish([pi, mi, vi], [got[0][i], got[1][i], got[2][i]], p.dtype);
      if (e) return `element ${i}: ${e}`;
    }
    return null;
  },
  sgdStep(args, before) {
    const [p, g, buf] = args, [lr, mom, wd] = args.slice(3, 6).map((x) => x.v);
    const P = before.get(p), G = before.get(g), B0 = buf.obj ? before.get(buf) : null;
    const gp = decode(p.arr, p.dtype), gb = B0 ? decode(buf.arr, buf.dtype) : null;
    for (let i = 0; i < P.length; i++) {
      let d = G[i] + wd * P[i];
      if (B0) d = mom * B0[i] + d;
      const e = sameish(B0 ? [P[i] - lr * d, d] : [P[i] - lr * d], B0 ? [gp[i], gb[i]] : [gp[i]], p.dtype);
      if (e) return `element ${i}: ${e}`;
    }
    return null;
  },
  solve(args, before) {
    const [a, b] = args, n = a.shape[0], c = b.shape[1];
    const A = before.get(a), B0 = before.get(b), X = decode(b.arr, b.dtype);
    if (hasNonFinite(A, B0)) return null;
    if (!bytesEqual(a.arr, a.snapshot)) return 'solve wrote into a';
    // Per column, ‖xⱼ‖ ≥ ‖bⱼ‖ / (n·‖A‖) (max norms): below f32's normal range (2⁻¹²⁶) the solution may underflow,
    // and then no f32 answer has a small residual (A ~ 1e30, bⱼ ~ 1e-30: xⱼ ~ 1e-60 is 0 in f32): no claim there.
    const maxA = A.reduce((m, x) => Math.max(m, Math.abs(x)), 0), tiny = [];
    for (let j = 0; j < c; j++) {
      let mb = 0;
      for (let r = 0; r < n; r++) mb = Math.max(mb, Math.abs(B0[r * c + j]));
      tiny.push(a.dtype !== 'f64' && mb < maxA * n * 2 ** -126);
    }
    const { ref } = gemmRef(A, n, n, false, X, n, c, false, 1, 0, null);
    const { ref: bnd } = gemmRef(A.map(Math.abs), n, n, false, X.map(Math.abs), n, c, false, 1, 0, null);
    const tol = (a.dtype === 'f64' ? 1e-11 : 1e-4) * Math.max(1, n);
    // LU with partial pivoting is normwise backward stable: the residual is small next to ‖A‖·‖x‖ (per column)
    for (let i = 0; i < ref.length; i++) {
      let colMax = 0;
      for (let r = 0; r < n; r++) colMax = Math.max(colMax, bnd[r * c + (i % c)]);
      if (tiny[i % c] || !Number.isFinite(colMax) || colMax > (a.dtype === 'f64' ? 1e300 : 1e30)) continue;
      if (!(Math.abs(ref[i] - B0[i]) <= tol * (colMax + Math.abs(B0[i])) + (a.dtype === 'f64' ? 1e-300 : 1e-36))) return `residual[${i}] = ${ref[i] - B0[i]}`;
    }
    return null;
  },
  copy(args, before) {
    const [src, dst] = args, S = before.get(src), D = decode(dst.arr, dst.dtype);
    for (let i = 0; i < S.length; i++) {
      const r = S[i], g = D[i];
      if (Number.isNaN(r)) { if (!Number.isNaN(g)) return `[${i}] NaN became ${g}`; continue; }
      if (!Number.isFinite(r) || Math.abs(r) >= MAXV[dst.dtype]) { if (!(Math.abs(g) >= MAXV[dst.dtype] * 0.99 && Math.sign(g) === Math.sign(r))) return `[${i}] ${r} became ${g}`; continue; }
      const ulp = { f32: 2 ** -23, f64: 0, bf16: 2 ** -7, f16: 2 ** -10 }[dst.dtype];
      const minSub = { f32: 2 ** -149, f64: 5e-324, bf16: 2 ** -133, f16: 2 ** -24 }[dst.dtype];
      if (!(Math.abs(g - r) <= ulp * Math.abs(r) + minSub)) return `[${i}] ${r} became ${g}`;
    }
    return null;
  },
  allFinite(args, before, result) {
    const want = !hasNonFinite(before.get(args[0]));
    return result === want ? null : `allFinite = ${result}, expected ${want}`;
  },
  fillGaussian(args, _before, _result, N) {
    const [t] = args, seed = args[1].v;
    const again = storageFor(t.dtype, t.arr.length);
    N.fillGaussian({ _data: again, dtype: t.dtype, shape: t.shape, device: 'cpu' }, seed);
    if (!bytesEqual(again, t.arr)) return 'the same seed drew different values';
    if (hasNonFinite(decode(t.arr, t.dtype))) return 'non-finite draw';
    return null;
  },
  backends(_a, _b, result) {
    return Array.isArray(result) && result.every((b) => typeof b.name === 'string' && typeof b.available === 'boolean') ? null : 'not a list of backends';
  },
  noop(_a, _b, result) { return result === undefined ? null : 'noop returned something'; },
  deviceFree(_a, _b, result) { return result === undefined ? null : 'deviceFree returned something'; },
};

function sameish(ref, got, dtype) {
  const tol = dtype === 'f64' ? 1e-13 : 2e-7;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i], g = got[i];
    if (Number.isNaN(r) || !Number.isFinite(r)) { if (!(Number.isNaN(r) ? Number.isNaN(g) || !Number.isFinite(g) : !Number.isFinite(g) || Math.abs(g) > MAXV.f32)) return `${g} vs ${r}`; continue; }
    if (Math.abs(r) > MAXV[dtype]) continue;
    if (!(Math.abs(g - r) <= tol * Math.abs(r) + 1e-300 + (dtype === 'f32' ? 2 ** -149 : 0))) return `${g} vs ${r}`;
  }
  return null;
}

// method: the binding's code (0 exact, 1 randomized, 2 krylov).
function checkSvd(M, U, S, Vt, before, method, oversample, powerIters) {
  const [m, n] = M.shape, k = U.shape[1];
  const a = before.get(M);
  const amax = a.reduce((x, v) => Math.max(x, Math.abs(v)), 0);
  const scale = amax ? amax * Math.sqrt(a.reduce((s, x) => s + (x / amax) ** 2, 0)) : 0;  // ‖M‖_F without overflow
  if (!Number.isFinite(scale)) return null;
  const s = decode(S.arr, S.dtype), u = decode(U.arr, U.dtype), vt = decode(Vt.arr, Vt.dtype);
  const outs = [U.dtype, S.dtype, Vt.dtype];
  // Half-precision outputs: their range and resolution bound what can be claimed.
  if (outs.includes('f16') && (scale > 3e4 || scale < 1e-3)) return null;
  if (outs.some((d) => d !== 'f64') && scale > 1e36) return null;  // S itself beyond f32/bf16
  const comp = computeD(M.dtype);
  if (comp === 'f32' && (scale > 1e36 || (scale < 1e-30 && scale > 0))) return null;  // f32 products over/underflow
  const tol = Math.max(...outs.map((d) => TOL[d] * 4), comp === 'f64' ? 1e-10 : 1e-4);
  for (let i = 0; i < k; i++) {
    if (!(s[i] >= -tol * scale)) return `S[${i}] = ${s[i]} < 0`;
    if (i > 0 && !(s[i] <= s[i - 1] + tol * scale)) return `S not descending at ${i}`;
  }
  // Exact, or a randomized / Krylov basis that is all of min(m, n) dimensions: the singular values are M's.
  // Krylov: blocks of b = min(p, k + oversample), as many as fit in p = min(m, n) (at most powerIters + 1).
  const p = Math.min(m, n), b = Math.min(p, k + oversample);
  const basis = method === 0 ? Infinity : method === 1 ? k + oversample : b * Math.min(powerIters + 1, Math.floor(p / b));
  if (basis >= p) {
    const ref = singularValues(a, m, n);
    for (let i = 0; i < k; i++) if (!(Math.abs(s[i] - ref[i]) <= tol * (scale + 1e-300))) return `S[${i}] = ${s[i]}, reference ${ref[i]}`;
  }
  // uᵢᵀ·M = sᵢ·vᵢᵀ holds for every method (randomized, Krylov: U = Q·U_B with U_Bᵀ·QᵀM = S·Vᵀ).
  for (let i = 0; i < k; i++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < m; p++) acc += u[p * k + i] * a[p * n + j];
      if (!(Math.abs(acc - s[i] * vt[i * n + j]) <= tol * 2 * (scale + 1e-300) * Math.sqrt(m))) return `uᵀM ≠ s·vᵀ at (${i}, ${j}): ${acc} vs ${s[i] * vt[i * n + j]}`;
    }
  return null;
}

function bytesEqual(x, y) {
  if (!y) return true;
  const a = new Uint8Array(x.buffer, x.byteOffset, x.byteLength), b = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---- the driver ----------------------------------------------------------------------------------------------------

const MODES = ['valid', 'data', 'dtype', 'shape', 'buffer', 'device', 'readonly', 'alias', 'getter', 'number', 'arity', 'junk', 'async-mutate'];

class Stats {
  constructor() { this.byMode = {}; this.byOp = {}; this.byOutcome = {}; this.failures = []; this.calls = 0; this.checked = 0; }
  add(op, mode, outcome, bad) {
    this.calls++;
    const inc = (o, k1, k2) => { o[k1] = o[k1] || {}; o[k1][k2] = (o[k1][k2] || 0) + 1; };
    inc(this.byMode, mode, outcome);
    inc(this.byOp, op, outcome);
    this.byOutcome[outcome] = (this.byOutcome[outcome] || 0) + 1;
    if (bad && this.failures.length < 20) this.failures.push(bad);
  }
}

function errName(L, e) {
  if (e instanceof FuzzGetterError) return 'getter error passed through';
  if (e instanceof L.LoraError) return e.name;
  return null;
}

/**
 * Builds and runs one raw-binding call. Returns a Promise when the call went async (its settling is recorded then).
 */
function rawCall(L, N, rng, op, mode, stats) {
  const isAsyncOp = ['matmul', 'gradAccumulate', 'sketchUpdate', 'svd', 'svdBatched', 'orthonormalize', 'loraForward', 'loraBackward', 'adamwStep', 'sgdStep', 'solve', 'copy'].includes(op);
  const args = SPECS[op](rng, mode === 'valid' || mode === 'data' || mode === 'async-mutate');
  if (mode === 'async-mutate') {
    if (!isAsyncOp) mode = 'valid';
    else args[args.length - 1].v = true;
  }
  const descs = tensorDescs(args);
  const ctx = { L, hostDescs: descs, clean: true, mustFail: false, getter: null };
  // choose which tensor to spoil, and how
  let target = null, spoilMode = null, preKind = null;
  const spoilable = ['dtype', 'shape', 'buffer', 'device', 'readonly', 'getter'];
  if (spoilable.includes(mode) && descs.length) {
    const pool = mode === 'readonly' ? descs.filter((d) => d.access !== 'r') : descs;
    target = pool.length ? rng.pick(pool) : null;
    if (target) { spoilMode = SPOILS[mode]; preKind = spoilMode.pre(rng, target); }
  }
  if (mode === 'data') for (const d of descs) if (d.access !== 'w' && rng.chance(0.6)) d.hostileData = true;
  if (mode === 'getter') for (const d of descs) if (d !== target && rng.chance(0.5)) d.resizable = 'fixed';  // victims to shrink
  for (const d of descs) materialize(L, rng, d);
  if (mode === 'alias') {
    // an output placed over another operand's memory (both copied into one fresh buffer): must be refused
    const outs = descs.filter((d) => d.access !== 'r' && numel(d.shape) > 0);
    const o = outs.length ? rng.pick(outs) : null, ins = descs.filter((d) => d !== o && numel(d.shape) > 0);
    if (o && ins.length) {
      const i = rng.pick(ins), bytesI = i.arr.byteLength, bytesO = o.arr.byteLength;
      const off = Math.floor(rng.int(0, bytesI - 1) / 8) * 8;
      const ab = new ArrayBuffer(Math.max(bytesI, off + bytesO));
      const vi = storageFor(i.dtype, i.arr.length, ab, 0);
      vi.set(i.arr);
      const vo = storageFor(o.dtype, o.arr.length, ab, off);
      for (const [d, v] of [[i, vi], [o, vo]]) { d.arr = v; if (d.obj instanceof L.Tensor) plainOf(d); d.obj._data = v; d.keep = true; }
      ctx.mustFail = true;
      ctx.clean = false;
    }
  }
  let getterState = null;
  if (target) {
    const o = target.obj instanceof L.Tensor ? plainOf(target) : target.obj;
    const r = spoilMode.post(rng, target, o, preKind, ctx);
    if (r === true) ctx.mustFail = true;
    if (r !== false) ctx.clean = false;  // false: legal memory, the result is still checked
    getterState = ctx.getter;
    target.keep = true;
  }
  // the argument list (optional tensors sometimes left out)
  const argv = args.map((a) => {
    if (a.t === 'tensor') {
      if (a.optional && !a.keep && rng.chance(0.3)) { a.obj = null; a.arr = null; return rng.pick([null, undefined]); }
      return a.objOverride || a.obj;
    }
    if (a.t === 'list') return a.items.map((d) => d.objOverride || d.obj);
    return a.v;
  });
  if (mode === 'number') {
    const nums = args.map((a, i) => [a, i]).filter(([a]) => a.t === 'num' && a.kind !== 'flag' && a.kind !== 'async');
    if (nums.length) {
      const [a, i] = rng.pick(nums);
      argv[i] = rng.pick(BAD_NUMBERS);
      a.v = argv[i];
      ctx.clean = false;
      // undefined takes the default for optional numbers; anything else not a finite (in-range) number must fail
      ctx.mustFail = !(argv[i] === undefined) && !(typeof argv[i] === 'number' && Number.isFinite(argv[i]) && (a.kind !== 'int' || Number.isInteger(argv[i])));
      if (a.kind === 'int' && typeof argv[i] === 'number' && Number.isSafeInteger(argv[i]) && argv[i] >= 0) ctx.mustFail = false;
      // svdBatched's seed may be a list, one seed per job: [] is a legal list when there are no jobs
      if (a.seedList && Array.isArray(argv[i]) && argv[i].length === 0 && args[0].items.length === 0) ctx.mustFail = false;
    }
  }
  if (mode === 'arity') {
    ctx.clean = false;
    if (rng.chance(0.5)) argv.length = rng.int(0, argv.length);
    else for (let j = rng.int(1, 4); j > 0; j--) argv.push(rng.pick(JUNK()));
  }
  if (mode === 'junk') {
    ctx.clean = false;
    for (let j = 0; j < argv.length; j++) if (rng.chance(0.7)) argv[j] = rng.pick(JUNK());
  }
  // snapshots: the decoded inputs for the references, the bytes for "a rejected call changes nothing"
  const before = new Map();
  for (const d of descs) {
    if (!d.arr || d.arr.buffer.detached) continue;
    try { before.set(d, decode(d.arr, d.dtype)); d.snapshot = d.arr.slice(); } catch (_) { /* a shrunk buffer */ }
  }
  const isAsync = isAsyncOp && argv[args.length - 1] === true && argv.length === args.length;
  const finish = (ok, result, err) => {
    const g = getterState;
    const mustFail = ctx.mustFail || (g && (g.threw || (g.victimGone && argIncludes(argv, g.victim))));
    if (!ok) {
      const name = errName(L, err);
      if (!name) return stats.add(op, mode, 'UNTYPED', `${op}/${mode}: untyped ${err && err.name}: ${err && err.message}`);
      if (g && g.threw && name !== 'getter error passed through')
        return stats.add(op, mode, name, `${op}/${mode}: our getter threw but the call reported ${name}: ${err.message}`);
      if (ctx.clean && !ctx.mutatedAfter) {  // a rejection leaves every argument as it was
        for (const d of descs) if (d.arr && d.snapshot && !d.arr.buffer.detached && !bytesEqual(d.arr, d.snapshot))
          return stats.add(op, mode, name, `${op}/${mode}: rejected (${err.message}) but ${d.name} changed`);
      }
      return stats.add(op, mode, name);
    }
    if (mustFail) return stats.add(op, mode, 'ACCEPTED', `${op}/${mode}: accepted a call that must fail (${describe(target, getterState)})`);
    if (ctx.clean && CHECKS[op] && !(ctx.outputGone)) {
      let bad;
      try { bad = CHECKS[op](args, before, result, N); } catch (e) { bad = 'reference check threw ' + e.stack; }
      if (bad && process.env.FUZZ_DUMP) require('fs').writeFileSync(process.env.FUZZ_DUMP, JSON.stringify({ op, args: args.map(function dump(a) { return a.t === 'tensor' ? { ...a, obj: undefined, objOverride: undefined, arr: undefined, snapshot: undefined, before: a.obj && before.has(a) ? Array.from(before.get(a)) : null } : a.t === 'list' ? a.items.map((d) => dump(d)) : a.t === 'num' ? a : null; }) }));
      if (bad) return stats.add(op, mode, 'WRONG', `${op}/${mode}: ${bad} (${describe(target, getterState)}; shapes ${descs.map((d) => d.name + d.dtype + JSON.stringify(d.shape)).join(' ')})`);
      stats.checked++;
      return stats.add(op, mode, 'ok (checked)');
    }
    return stats.add(op, mode, 'ok');
  };
  let result;
  if (TRACE) require('fs').writeSync(2, `${op}/${mode} ${describe(target, getterState)} ${argv.map(showArg).join(' | ')}\n`);
  try {
    result = N[op](...argv);
  } catch (e) {
    return finish(false, null, e);
  }
  if (isAsync && result && typeof result.then === 'function') {
    if (mode === 'async-mutate') mutateInFlight(L, rng, descs, ctx);
    return result.then((r) => finish(true, r), (e) => finish(false, null, e));
  }
  return finish(true, result);
}

function argIncludes(argv, d) {
  const o = d.objOverride || d.obj;
  return argv.some((a) => a === o || (Array.isArray(a) && a.includes(o)));
}

function describe(target, g) {
  if (g) return `getter on ${target.name}.${g.field}: ${g.kind}`;
  return target ? `${target.name}: ${JSON.stringify(target.spoil)}` : 'no target';
}

/** A plain object with the same fields as an L.Tensor descriptor (to spoil without touching the class). */
function plainOf(d) {
  const o = { _data: d.arr, dtype: d.dtype, shape: d.shape.slice(), device: 'cpu', _readonly: false };
  d.obj = o;
  return o;
}

/** While an async op runs: scribble NaN over its inputs, transfer or dispose them, or take its output's buffer. */
function mutateInFlight(L, rng, descs, ctx) {
  const live = descs.filter((d) => d.obj && d.arr && !d.arr.buffer.detached && d.arr.length > 0);
  if (!live.length) return;
  const d = rng.pick(live);
  const kind = rng.pick(['nan', 'transfer', 'dispose']);
  if (kind === 'nan') {  // into an input: the op computes from its copy; into an output: its write-back wins
    d.arr.fill(d.dtype === 'f32' || d.dtype === 'f64' ? NaN : 0x7fc0);
    d.snapshot = d.arr.slice();  // what an input must still hold after the op (the op never writes its inputs)
    ctx.mutatedAfter = true;
    // inputs were copied at the call: the result must still match the snapshot
  } else if (kind === 'transfer') {
    const copy = d.arr.slice();
    structuredClone(d.arr.buffer, { transfer: [d.arr.buffer] });
    ctx.mutatedAfter = true;
    if (d.access !== 'r') { ctx.mustFail = true; ctx.outputGone = true; } else d.arr = copy;  // the reference reads the copy
  } else if (d.obj instanceof L.Tensor) {
    d.obj.dispose();
  }
}

// ---- public lib ops ------------------------------------------------------------------------------------------------

const INIT = { rank: 1, alpha: 2 };  // the inits' required options, when the fuzz gives none
const LIB_OPS = {
  matmul: (L, rng, t, o) => L.matmul(t(rng.int(0, 4), rng.int(0, 4)), t(rng.int(0, 4), rng.int(0, 4)), o),
  matmulAsync: (L, rng, t, o) => L.matmulAsync(t(2, 3), t(3, 2), o),
  gradAccumulate: (L, rng, t, o) => L.gradAccumulate(t(3, 4), t(2, 3), t(2, 4), o),
  gradAccumulateAsync: (L, rng, t, o) => L.gradAccumulateAsync(t(3, 4), t(2, 3), t(2, 4), o),
  svd: (L, rng, t, o) => L.svd(t(rng.int(0, 5), rng.int(0, 5)), o),
  svdAsync: (L, rng, t, o) => L.svdAsync(t(4, 3), o),
  svdBatched: (L, rng, t, o) => L.svdBatched([t(3, 3), t(rng.int(0, 4), 2)], o),
  svdBatchedAsync: (L, rng, t, o) => L.svdBatchedAsync(rng.pick([[], [t(3, 2)], t(2, 2)]), o),
  orthonormalize: (L, rng, t) => L.orthonormalize(t(rng.int(0, 5), rng.int(0, 5))),
  loraForward: (L, rng, t, o) => L.loraForward(t(2, 4), t(3, 4), t(2, 4), t(3, 2), rng.pick([1, NaN, '2', 0]), o),
  loraForwardAsync: (L, rng, t, o) => L.loraForwardAsync(t(2, 4), t(3, 4), t(2, 4), t(3, 2), 2, o),
  loraBackward: (L, rng, t, o) => L.loraBackward(t(2, 3), t(2, 4), t(3, 4), t(2, 4), t(3, 2), 2, o),
  loraBackwardAsync: (L, rng, t, o) => L.loraBackwardAsync(t(2, 3), t(2, 4), t(3, 4), t(2, 4), t(3, 2), 2, o),
  adamwStep: (L, rng, t, o) => L.adamwStep(t(4), t(4), t(4), t(4), o),
  sgdStep: (L, rng, t, o) => L.sgdStep(t(4), t(4), rng.chance(0.5) ? null : t(4), o),
  solve: (L, rng, t, o) => L.solve(t(3, 3), t(3, rng.int(0, 2)), o),
  solveAsync: (L, rng, t, o) => L.solveAsync(t(2, 2), t(2, 1), o),
  initLora: (L, rng, _t, o) => L.initLora(rng.pick([4, 4, 4, 0, -1, 2.5, 2n]), rng.pick([3, 3, 0, NaN]), o ?? INIT),
  initLoraGA: (L, rng, t, o) => L.initLoraGA(t(6, 5), t(6, 5), o ?? INIT),
  initPiSSA: (L, rng, t, o) => L.initPiSSA(t(6, 5), o ?? INIT),
  initLoraOne: (L, rng, t, o) => L.initLoraOne(t(6, 5), t(6, 5), o ?? INIT),
  tensorFrom: (L, rng, _t, o) => L.Tensor.from(rng.pick([[1, 2, 3, 4], new Float32Array(4), new ArrayBuffer(16), new Uint16Array(4), new Uint8Array(16), 'abcd', null, new Int32Array(4)]),
    rng.pick([[2, 2], [4], [3], [2, -2], [2n, 2], [], [1.5], 'x']), o),
  tensorZeros: (L, rng) => L.Tensor.zeros(rng.pick([[2, 2], [0], [2 ** 53], [-1], [1.5], null, [1n]]), rng.pick(['f32', 'bf16', 'i8', undefined, 3]), rng.pick(['cpu', 'cuda', 'tpu', undefined])),
  tensorMethods: (L, rng) => {
    const x = L.Tensor.randn([2, 3], rng.pick(DTYPES));
    if (rng.chance(0.3)) x.dispose();
    const m = rng.pick(['to', 'reshape', 'toHost', 'toDevice', 'clone', 'toFloat32', 'toArray', 'isFinite', 'dispose', 'data']);
    const arg = rng.pick(['f64', 'bf16', 'int', [3, 2], [7], [-6], 'cuda', 'cpu', 'tpu', undefined]);
    if (m === 'data') return x.data;
    return x[m](arg);
  },
};

/** A random value for an option object of the public ops: known keys with odd values, unknown keys, non-objects. */
function randomOptions(L, rng, t) {
  const kind = rng.pick(['none', 'none', 'none', 'none', 'empty', 'known', 'known', 'known', 'unknown', 'null', 'array', 'primitive', 'getter-throw', 'proto']);
  if (kind === 'none') return undefined;
  if (kind === 'empty') return {};
  if (kind === 'null') return null;
  if (kind === 'array') return [];
  if (kind === 'primitive') return rng.pick([1, 'k', true, 1n]);
  if (kind === 'getter-throw') {
    const o = {};
    Object.defineProperty(o, rng.pick(['k', 'rank', 'out', 'lr', 'alpha', 'scale']), { get() { throw new FuzzGetterError('option getter'); }, enumerable: true });
    return o;
  }
  if (kind === 'proto') return Object.create({ k: 1 });
  const keys = ['k', 'method', 'oversample', 'powerIters', 'seed', 'transA', 'transB', 'alpha', 'beta', 'out', 'dtype', 'scale', 'saveH', 'h',
    'needDx', 'dx', 'dA', 'dB', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'step', 'momentum', 'inPlace', 'rank', 'direction',
    'convention', 'gamma', 'rsLora', 'svd', 'precision', 'gapTolerance', 'noReport', 'fanInFanOut', 'byteOffset', 'writable'];
  const vals = () => rng.pick([0, 1, 2, 3, -1, 0.5, NaN, Infinity, 1e9, 2 ** 53, 'exact', 'randomized', 'f64', 'bf16', 'peft', 'official',
    'ArB2r', 'random', 'stable', 'unit', true, false, null, undefined, {}, [], 1n, t(2, 2), t(3, 2)]);
  const o = {};
  for (let j = rng.int(1, 2); j > 0; j--) o[rng.pick(keys)] = vals();
  if (kind === 'unknown') o[rng.pick(['powerIter', 'K', 'bogus', '__proto__x'])] = 1;
  if (rng.chance(0.5) && !('rank' in o)) { o.rank = rng.pick([1, 2]); o.alpha = rng.pick([2, 4]); }
  return o;
}

function libCall(L, rng, op, stats) {
  const made = [];
  // tensors for the op: mostly clean, sometimes disposed, bf16, NaN-holding, or not tensors at all
  const t = (...shape) => {
    const k = rng.pick(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'bf16', 'f64', 'nan', 'disposed', 'junk', 'plain', 'readonly', 'rank3']);
    if (k === 'junk') return rng.pick(JUNK());
    const dt = k === 'bf16' ? 'bf16' : k === 'f64' ? 'f64' : 'f32';
    const sh = k === 'rank3' ? [1, ...shape] : shape;
    const x = k === 'readonly' ? L.Tensor.from(new Float32Array(numel(sh)).map(() => rng.normal()), sh) : L.Tensor.randn(sh, dt, 'cpu', rng.int(0, 1000));
    if (k === 'nan' && x.size) x.data[rng.int(0, x.size - 1)] = NaN;
    if (k === 'disposed') x.dispose();
    made.push(x);
    if (k === 'plain') return { _data: x.data, dtype: x.dtype, shape: x.shape, device: 'cpu' };  // not a Tensor
    return x;
  };
  let opts;
  const settle = (ok, e) => {
    if (ok) return stats.add(op, 'lib', 'ok');
    const name = errName(L, e);
    if (!name) return stats.add(op, 'lib', 'UNTYPED', `lib ${op}: untyped ${e && e.name}: ${e && e.message} (options ${safeShow(opts)})`);
    return stats.add(op, 'lib', name);
  };
  try {
    opts = randomOptions(L, rng, t);
    const r = LIB_OPS[op](L, rng, t, opts);
    if (r && typeof r.then === 'function') return r.then(() => settle(true), (e) => settle(false, e));
    return settle(true);
  } catch (e) {
    return settle(false, e);
  }
}

function safeShow(o) {
  try { return JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v && v.constructor && v.constructor.name === 'Tensor' ? `Tensor[${v.shape}]` : v)); } catch (_) { return String(o); }
}

// ---- init: registering error classes -------------------------------------------------------------------------------

function initCalls(L, N, rng, count, stats, errors) {
  for (let i = 0; i < count; i++) {
    const kind = rng.pick(['junk', 'empty', 'partial', 'getter-throw', 'proxy', 'nonconstructible', 'throwing-class']);
    let arg;
    if (kind === 'junk') arg = rng.pick(JUNK());
    else if (kind === 'empty') arg = {};
    else if (kind === 'partial') arg = { LoraShapeError: rng.pick(JUNK()), LoraValueError: 5 };
    else if (kind === 'getter-throw') { arg = {}; Object.defineProperty(arg, rng.pick(['LoraShapeError', 'LoraError']), { get() { throw new FuzzGetterError('init'); } }); }
    else if (kind === 'proxy') arg = new Proxy({}, { get() { throw new FuzzGetterError('init proxy'); } });
    else if (kind === 'nonconstructible') arg = { ...errors, LoraShapeError: () => 1, LoraValueError: Math.max };
    else arg = { ...errors, LoraShapeError: class { constructor() { throw new FuzzGetterError('constructor'); } } };
    let outcome = 'ok', bad = null;
    try { N.init(arg); } catch (e) { outcome = errName(L, e) || 'UNTYPED'; if (outcome === 'UNTYPED') bad = `init/${kind}: ${e}`; }
    // with odd classes registered, a failing op must still not crash: it throws something (sync) and settles (async)
    if (kind === 'nonconstructible' || kind === 'throwing-class') {
      try { N.matmul({}, {}, {}, false, false, 1, 0, false); bad = bad || `init/${kind}: a bad call passed`; } catch (_) { /* anything: the classes are the caller's */ }
    }
    N.init(errors);  // the real classes back
    stats.add('init', kind, outcome, bad);
  }
  // and with them back, errors are typed again
  try { N.matmul({}, {}, {}, false, false, 1, 0, false); } catch (e) { if (!(e instanceof L.LoraError)) stats.add('init', 'restored', 'UNTYPED', `after init: ${e}`); }
}

/** Async ops rejected while odd error classes are registered must still settle (with some error), never hang. */
async function initAsyncSettles(L, N, stats, errors) {
  for (const cls of [() => 1, class { constructor() { throw new FuzzGetterError('ctor'); } }]) {
    N.init({ ...errors, LoraValueError: cls });
    const M = { _data: new Float32Array([NaN, 1, 2, 3]), dtype: 'f32', shape: [2, 2], device: 'cpu' };
    const z = (s) => ({ _data: new Float32Array(numel(s)), dtype: 'f32', shape: s, device: 'cpu' });
    let outcome;
    try {
      const p = N.svd(M, z([2, 2]), z([2]), z([2, 2]), 0, 0, 0, 0, true);
      let timer;
      outcome = await Promise.race([p.then(() => 'resolved', () => 'rejected'), new Promise((r) => { timer = setTimeout(() => r('HUNG'), 5000); })]);
      clearTimeout(timer);
    } catch (_) { outcome = 'threw'; }
    N.init(errors);
    stats.add('init', 'async settles with odd classes', outcome, outcome === 'rejected' ? null : `async op with odd error classes: ${outcome}`);
  }
}

// ---- entry ---------------------------------------------------------------------------------------------------------

const RAW_OPS = Object.keys(SPECS);

async function run(L, N, { seed, calls, ops, lib = false, init = 0, dist }) {
  const rng = makeRng(seed);
  const stats = new Stats();
  const pending = [];
  for (let i = 0; i < calls; i++) {
    const op = rng.pick(ops);
    const p = lib ? libCall(L, rng, op, stats) : rawCall(L, N, rng, op, rng.pick(MODES), stats);
    if (p && typeof p.then === 'function') pending.push(p);
    if (pending.length >= 32) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  if (init) {
    const errors = require(require('path').join(dist, 'errors.js'));
    initCalls(L, N, rng, init, stats, errors);
    await initAsyncSettles(L, N, stats, errors);
  }
  return stats;
}

module.exports = { run, RAW_OPS, LIB_OPS: Object.keys(LIB_OPS), MODES, makeRng, singularValues };
