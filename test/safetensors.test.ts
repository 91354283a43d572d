import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  DType, LoraDTypeError, LoraFormatError, LoraIOError, LoraShapeError, LoraValueError, SafetensorsFile, SafetensorsWriter, Tensor,
  openSafetensors, parseSafetensors, parseSafetensorsHeader, readSafetensors, readSafetensorsSharded, readSafetensorsShardedSync,
  readSafetensorsSync, readShardIndex, writeSafetensors, writeSafetensorsSync,
} from '../lib';
import { randTensor } from './helpers/ref';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-st-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A safetensors file from a raw header object and data bytes (to craft corrupt files). */
function craft(header: unknown, data: Uint8Array, headerLen?: number): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const pre = Buffer.alloc(8);
  pre.writeBigUInt64LE(BigInt(headerLen ?? json.length));
  return Buffer.concat([pre, json, Buffer.from(data)]);
}

function sameBits(a: Tensor, b: Tensor): boolean {
  const x = a.data, y = b.data;
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
}

describe('safetensors round trip', () => {
  const dtypes: DType[] = ['f32', 'f64', 'bf16', 'f16'];
  test.each(dtypes)('%s: write then read gives bit-identical tensors, shapes and metadata', async (dt) => {
    const ts = {
      'layer.0.q_proj.weight': randTensor([7, 5], 1, dt).t,
      'v': randTensor([3], 2, dt).t, // odd byte sizes force later offsets off 8-byte alignment
      'cube': randTensor([2, 3, 4], 3, dt).t,
      'empty': Tensor.zeros([0, 4], dt),
    };
    const p = path.join(tmp, `rt-${dt}.safetensors`);
    await writeSafetensors(p, ts, { format: 'pt', note: 'ü' });
    for (const back of [await readSafetensors(p), readSafetensorsSync(p)]) {
      expect(Object.keys(back).sort()).toEqual(Object.keys(ts).sort());
      for (const [k, t] of Object.entries(ts)) {
        expect(back[k].dtype).toBe(dt);
        expect(back[k].shape).toEqual(t.shape);
        expect(sameBits(back[k], t)).toBe(true);
      }
    }
    const f = SafetensorsFile.open(p);
    expect(f.metadata).toEqual({ format: 'pt', note: 'ü' });
    f.close();
  });

  test('header is padded with spaces to a multiple of 8, so data starts 8-byte aligned', () => {
    const p = path.join(tmp, 'pad.safetensors');
    writeSafetensorsSync(p, { a: Tensor.from(new Float32Array([1, 2, 3]), [3]) });
    const buf = fs.readFileSync(p);
    const n = Number(buf.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    expect(buf.subarray(8, 8 + n).toString().trimEnd().endsWith('}')).toBe(true);
  });

  test('parseSafetensors views aligned data in place and copies misaligned data', () => {
    const bytes = fs.readFileSync(path.join(tmp, 'rt-f64.safetensors'));
    const own = new Uint8Array(bytes.byteLength);
    own.set(bytes);
    const views = parseSafetensors(own);
    // Every tensor of an f64 file we write starts at a multiple of 8 (header padded to 8), so each is a view.
    expect(views['layer.0.q_proj.weight'].data.buffer).toBe(own.buffer);
    // Shift the whole file by 2 bytes: f64 data is no longer 8-aligned, so it must be copied (and still correct).
    const shifted = new Uint8Array(own.byteLength + 2);
    shifted.set(own, 2);
    const copies = parseSafetensors(shifted.subarray(2));
    expect(copies['layer.0.q_proj.weight'].data.buffer).not.toBe(shifted.buffer);
    expect(sameBits(copies['layer.0.q_proj.weight'], views['layer.0.q_proj.weight'])).toBe(true);
    expect(parseSafetensors(own, { copy: true })['cube'].data.buffer).not.toBe(own.buffer);
  });

  test('reads only the requested names, and a missing name is a format error', async () => {
    const p = path.join(tmp, 'rt-f32.safetensors');
    expect(Object.keys(await readSafetensors(p, { names: ['v'] }))).toEqual(['v']);
    expect(() => readSafetensorsSync(p, { names: ['nope'] })).toThrow(LoraFormatError);
  });

  test('sharded checkpoint via model.safetensors.index.json (also auto-detected by readSafetensors)', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'shard-'));
    const a = randTensor([4, 3], 5).t, b = randTensor([2, 2], 6, 'bf16').t, c = randTensor([5], 7).t;
    writeSafetensorsSync(path.join(dir, 'model-00001-of-00002.safetensors'), { a, b });
    writeSafetensorsSync(path.join(dir, 'model-00002-of-00002.safetensors'), { c });
    const idx = path.join(dir, 'model.safetensors.index.json');
    fs.writeFileSync(idx, JSON.stringify({ metadata: { total_size: 0 }, weight_map: {
      a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' } }));
    for (const got of [await readSafetensorsSharded(idx), await readSafetensors(idx), readSafetensorsSync(idx)]) {
      expect(Object.keys(got).sort()).toEqual(['a', 'b', 'c']);
      expect(sameBits(got.a, a) && sameBits(got.b, b) && sameBits(got.c, c)).toBe(true);
    }
    expect(Object.keys(await readSafetensorsSharded(idx, { names: ['c'] }))).toEqual(['c']);
    fs.writeFileSync(idx, JSON.stringify({ weight_map: { a: '../../etc/passwd' } }));
    await expect(readSafetensorsSharded(idx)).rejects.toThrow(LoraFormatError);
  });

  // Linux: the process's open file descriptors are the entries of /proc/self/fd.
  (fs.existsSync('/proc/self/fd') ? test : test.skip)('readSafetensorsSharded leaves no shard file open, whether it reads every tensor or refuses one', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'shard-fds-'));
    writeSafetensorsSync(path.join(dir, 's1.safetensors'), { a: randTensor([4, 3], 5).t });
    writeSafetensorsSync(path.join(dir, 's2.safetensors'), { c: randTensor([5], 7).t });
    const idx = path.join(dir, 'model.safetensors.index.json');
    const openFds = () => fs.readdirSync('/proc/self/fd').length;
    const before = openFds();
    fs.writeFileSync(idx, JSON.stringify({ weight_map: { a: 's1.safetensors', c: 's2.safetensors' } }));
    for (let k = 0; k < 3; k++) expect(Object.keys(await readSafetensorsSharded(idx)).sort()).toEqual(['a', 'c']);
    expect(openFds()).toBe(before);
    // the index names a tensor its shard lacks: refused, and that shard is closed too
    fs.writeFileSync(idx, JSON.stringify({ weight_map: { a: 's1.safetensors', x: 's1.safetensors' } }));
    for (let k = 0; k < 3; k++) await expect(readSafetensorsSharded(idx)).rejects.toThrow(LoraFormatError);
    expect(openFds()).toBe(before);
  });

  (fs.existsSync('/proc/self/fd') ? test : test.skip)('a sharded store opens each shard once and close() closes every one', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'store-fds-'));
    writeSafetensorsSync(path.join(dir, 's1.safetensors'), { a: randTensor([4, 3], 5).t, b: randTensor([2], 6).t });
    writeSafetensorsSync(path.join(dir, 's2.safetensors'), { c: randTensor([5], 7).t });
    const idx = path.join(dir, 'model.safetensors.index.json');
    fs.writeFileSync(idx, JSON.stringify({ weight_map: { a: 's1.safetensors', b: 's1.safetensors', c: 's2.safetensors' } }));
    const openFds = () => fs.readdirSync('/proc/self/fd').length;
    const before = openFds();
    const st = openSafetensors(idx);
    // every tensor, each asked for more than once: two shards, two files open
    for (let k = 0; k < 3; k++) for (const n of ['a', 'b', 'c']) expect(st.get(n).shape).toEqual(st.entry(n).shape);
    expect(openFds()).toBe(before + 2);
    st.close();
    expect(openFds()).toBe(before);
  });

  // A sparse file of just over 2 GiB (a header, then a hole): readSafetensors reads it tensor by tensor (a whole-file
  // read could not: Node's readFile stops at 2 GiB), taking no disk and no memory for the tensor it is not asked for.
  (fs.existsSync('/proc/self/fd') ? test : test.skip)('readSafetensors reads a file above 2 GiB by the tensors asked for, and leaves no file open, whether it returns or refuses a name', async () => {
    const p = path.join(tmp, 'big.safetensors');
    const n = 2 ** 29 + 2;
    const header = Buffer.from(JSON.stringify({ big: { dtype: 'F32', shape: [n], data_offsets: [0, 4 * n] } }));
    const pre = Buffer.alloc(8);
    pre.writeBigUInt64LE(BigInt(header.length));
    fs.writeFileSync(p, Buffer.concat([pre, header]));
    fs.truncateSync(p, 8 + header.length + 4 * n);
    expect(fs.statSync(p).size).toBeGreaterThan(2 ** 31);
    const openFds = () => fs.readdirSync('/proc/self/fd').length;
    const before = openFds();
    for (let k = 0; k < 3; k++) expect(await readSafetensors(p, { names: [] })).toEqual({});
    expect(openFds()).toBe(before);
    for (let k = 0; k < 3; k++) await expect(readSafetensors(p, { names: ['nope'] })).rejects.toThrow(new LoraFormatError(`${p}: no tensor named "nope" (has 1: big)`));
    expect(openFds()).toBe(before);
    fs.rmSync(p);
  });

  // A pipe has no size: Node reads it in chunks and joins them into a Buffer that, for a small file, is a slice of its
  // shared 8 KiB pool, next to unrelated Buffers. Tensors must not view that (nor keep it alive): they are copies.
  (process.platform !== 'win32' ? test : test.skip)("readSafetensors of a pipe (FIFO) copies each tensor into memory of its own, never a view of Node's Buffer pool", async () => {
    const src = path.join(tmp, 'for-pipe.safetensors');
    writeSafetensorsSync(src, { x: Tensor.from(new Float32Array([1, 2, 3]), [3]), y: Tensor.from(new Float64Array([4, 5]), [2]) });
    const bytes = fs.readFileSync(src);
    const fifo = path.join(tmp, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    // Where the joined Buffer lands: at the start of a fresh pool slab (fill the current one to its end first: pool
    // slices are 8-byte aligned, and allocations under half the pool size come from it), or further in.
    const fillPool = () => {
      for (let at = Buffer.allocUnsafe(8).byteOffset + 8; at < Buffer.poolSize; at += 1024) Buffer.allocUnsafe(Math.min(1024, Buffer.poolSize - at));
    };
    for (const fresh of [true, false]) {
      if (fresh) fillPool();
      else Buffer.allocUnsafe(8);
      const [got] = await Promise.all([readSafetensors(fifo), fs.promises.writeFile(fifo, bytes)]);
      expect(Array.from(got.x.data)).toEqual([1, 2, 3]);
      expect(Array.from(got.y.data)).toEqual([4, 5]);
      for (const t of [got.x, got.y]) {
        expect(t.data.buffer.byteLength).toBe(t.data.byteLength);
        expect(t.borrowed).toBe(false);
      }
    }
  });

  // README: each tensor in its own storage. A view of the whole-file buffer would keep the file alive for a subset,
  // and transferring one tensor's memory (to a worker) would detach, so dispose, every other tensor of the file.
  test('readSafetensors gives each tensor storage of its own: a subset keeps only itself, and transferring one leaves the others', async () => {
    const p = path.join(tmp, 'own-storage.safetensors');
    writeSafetensorsSync(p, { a: Tensor.from(new Float32Array([1, 2]), [2]), b: Tensor.from(new Float32Array([3, 4]), [2]), big: Tensor.zeros([100000], 'f32') });
    for (const got of [await readSafetensors(p, { names: ['a', 'b'] }), readSafetensorsSync(p, { names: ['a', 'b'] })]) {
      expect(got.a.data.buffer.byteLength).toBe(8);
      expect(got.a.data.buffer).not.toBe(got.b.data.buffer);
      structuredClone(got.a.data, { transfer: [got.a.data.buffer as ArrayBuffer] });
      expect(Array.from(got.b.data)).toEqual([3, 4]);
    }
  });

  test('tensors read from a file are the library\'s own memory: not borrowed, writable (README, Memory and ownership)', async () => {
    const p = path.join(tmp, 'rt-f32.safetensors');
    const store = openSafetensors(p);
    for (const got of [await readSafetensors(p), readSafetensorsSync(p), { v: store.get('v') }]) {
      expect(got.v.borrowed).toBe(false);
      expect(got.v.writable).toBe(true);
    }
    store.close();
  });
});

describe('safetensors: corrupt or truncated files give LoraFormatError (never a crash, never a read past the end)', () => {
  const good = { t: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } };
  const data16 = new Uint8Array(16);
  const cases: [string, Buffer][] = [
    ['empty file', Buffer.alloc(0)],
    ['shorter than the length prefix', Buffer.alloc(5)],
    ['header length past the end', craft(good, data16, 10_000)],
    ['absurd header length', craft(good, data16, 2 ** 40)],
    ['header not JSON', craft('{"t": nope}', data16)],
    ['header is an array', craft([1, 2], data16)],
    ['entry not an object', craft({ t: 3 }, data16)],
    ['dtype not a string', craft({ t: { dtype: 4, shape: [4], data_offsets: [0, 16] } }, data16)],
    ['unknown dtype name', craft({ t: { dtype: 'F33', shape: [4], data_offsets: [0, 16] } }, data16)],
    ['negative dimension', craft({ t: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, data16)],
    ['fractional offsets', craft({ t: { dtype: 'F32', shape: [4], data_offsets: [0.5, 16] } }, data16)],
    ['one offset', craft({ t: { dtype: 'F32', shape: [4], data_offsets: [16] } }, data16)],
    ['end before begin', craft({ t: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, data16)],
    ['shape × dtype size ≠ byte range', craft({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, data16)],
    ['data truncated', craft(good, new Uint8Array(12))],
    ['overlapping tensors', craft({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, data16)],
    ['metadata not strings', craft({ __metadata__: { n: 3 }, ...good }, data16)],
  ];
  test.each(cases)('%s', (_name, bytes) => {
    expect(() => parseSafetensors(bytes)).toThrow(LoraFormatError);
    const p = path.join(tmp, 'bad.safetensors');
    fs.writeFileSync(p, bytes);
    expect(() => readSafetensorsSync(p)).toThrow(LoraFormatError);
    expect(() => readSafetensorsSync(p)).toThrow(/bad\.safetensors/); // the message names the file
  });

  test('a valid but unsupported dtype (I64) is a LoraDTypeError naming it', () => {
    const b = craft({ t: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data16);
    expect(() => parseSafetensors(b)).toThrow(LoraDTypeError);
    expect(() => parseSafetensors(b)).toThrow(/I64/);
  });

  test('a scalar (shape []) is read as shape [1] with its value', () => {
    const b = craft({ s: { dtype: 'F64', shape: [], data_offsets: [0, 8] } }, new Uint8Array(new Float64Array([2.5]).buffer));
    const t = parseSafetensors(b).s;
    expect(t.shape).toEqual([1]);
    expect(t.data[0]).toBe(2.5);
  });

  test('header parser alone accepts a good file and reports the data start', () => {
    const h = parseSafetensorsHeader(craft(good, data16));
    expect(h.entries[0]).toMatchObject({ name: 't', dtype: 'f32', shape: [2, 2], begin: 0, end: 16 });
    expect(h.dataStart).toBe(8 + JSON.stringify(good).length);
  });
});

describe('file handles, streamed writers and shard indexes: misuse is a typed error naming the file', () => {
  const a = randTensor([2, 3], 21).t, b = randTensor([4], 22, 'bf16').t;

  test('readSafetensors names the file in its format errors, in the words readSafetensorsSync uses (a loop over many files says which one is damaged)', async () => {
    const p = path.join(tmp, 'trunc.safetensors');
    writeSafetensorsSync(p, { a: Tensor.from(new Float32Array([1, 2, 3]), [3]) });
    fs.truncateSync(p, fs.statSync(p).size - 3);
    const msg = `${p}: the tensors need 12 bytes of data, the file has 9 (file truncated?)`;
    expect(() => readSafetensorsSync(p)).toThrow(new LoraFormatError(msg));
    await expect(readSafetensors(p)).rejects.toThrow(new LoraFormatError(msg));
    const whole = path.join(tmp, 'whole.safetensors');
    writeSafetensorsSync(whole, { a: Tensor.from(new Float32Array([1, 2, 3]), [3]), b: Tensor.from(new Float32Array([4]), [1]) });
    const missing = new LoraFormatError(`${whole}: no tensor named "zz" (has 2: a, b)`);
    expect(() => readSafetensorsSync(whole, { names: ['zz'] })).toThrow(missing);
    await expect(readSafetensors(whole, { names: ['zz'] })).rejects.toThrow(missing);
  });

  test('SafetensorsFile: has/entry/get by name; an unknown name is a LoraFormatError; after close() get is refused', () => {
    const p = path.join(tmp, 'handle.safetensors');
    writeSafetensorsSync(p, { a, b }, { note: 'x' });
    const f = SafetensorsFile.open(p);
    expect({ names: f.names.sort(), metadata: f.metadata, hasA: f.has('a'), hasZ: f.has('z') }).toEqual({ names: ['a', 'b'], metadata: { note: 'x' }, hasA: true, hasZ: false });
    expect(f.entry('b')).toMatchObject({ name: 'b', dtype: 'bf16', shape: [4] });
    expect(sameBits(f.get('a'), a)).toBe(true);
    expect(() => f.entry('z')).toThrow(new LoraFormatError(`${p}: no tensor named "z" (has 2: a, b)`));
    f.close();
    expect(() => f.get('a')).toThrow(new LoraValueError(`${p}: file is closed`));
    f.close(); // twice is fine
  });

  test('a name the file lacks: the error lists the first 8 names the file has, then "…" when it has more', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
    for (const n of [8, 10]) {
      const p = path.join(tmp, `names-${n}.safetensors`);
      writeSafetensorsSync(p, Object.fromEntries(names(n).map((k) => [k, Tensor.zeros([1])])));
      const listed = `${names(8).join(', ')}${n > 8 ? ', …' : ''}`;
      expect(() => readSafetensorsSync(p, { names: ['zz'] })).toThrow(new LoraFormatError(`${p}: no tensor named "zz" (has ${n}: ${listed})`));
    }
  });

  test('a file truncated while open: get() is a LoraFormatError (short read), never zeros', () => {
    const p = path.join(tmp, 'truncated-open.safetensors');
    writeSafetensorsSync(p, { a: randTensor([64, 64], 23).t });
    const f = SafetensorsFile.open(p);
    fs.truncateSync(p, fs.statSync(p).size - 100);
    expect(() => f.get('a')).toThrow(new LoraFormatError(`${p}: short read of 'a' (file truncated while open?)`));
    f.close();
  });

  test('opening a missing file or a directory is a LoraIOError naming it', async () => {
    const missing = path.join(tmp, 'missing.safetensors');
    expect(() => SafetensorsFile.open(missing)).toThrow(new LoraIOError(`cannot open ${missing}: no such file or directory (ENOENT)`, '', ''));
    expect(() => SafetensorsFile.open(tmp)).toThrow(new LoraIOError(`cannot read ${tmp}: is a directory (EISDIR)`, '', ''));
    expect(() => readSafetensorsSync(missing)).toThrow(LoraIOError);
    await expect(readSafetensors(missing)).rejects.toThrow(new LoraIOError(`cannot read ${missing}: no such file or directory (ENOENT)`, '', ''));
    // a directory has a size, so readSafetensors gets as far as reading it
    await expect(readSafetensors(tmp)).rejects.toThrow(new LoraIOError(`cannot read ${tmp}: is a directory (EISDIR)`, '', ''));
  });

  test('writeSafetensors refuses a value that is not a Tensor and a bad name, writing nothing', async () => {
    const p = path.join(tmp, 'refused.safetensors');
    expect(() => writeSafetensorsSync(p, { a, x: [1, 2] as unknown as Tensor })).toThrow(new LoraShapeError("writeSafetensors: 'x' is not a Tensor"));
    await expect(writeSafetensors(p, { '': a })).rejects.toThrow(new LoraValueError('writeSafetensors: invalid tensor name ""'));
    await expect(writeSafetensors(p, { __metadata__: a })).rejects.toThrow(LoraValueError);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('refused'))).toEqual([]);
  });

  test('SafetensorsWriter: each declared tensor once, of its declared dtype and shape; close() renames into place', () => {
    const p = path.join(tmp, 'streamed.safetensors');
    const w = new SafetensorsWriter(p, [{ name: 'a', dtype: 'f32', shape: [2, 3] }, { name: 'b', dtype: 'bf16', shape: [4] }], { k: 'v' });
    expect(() => w.write('c', a)).toThrow(new LoraValueError(`SafetensorsWriter ${p}: 'c' is not in the declared layout`));
    expect(() => w.write('a', b)).toThrow(new LoraShapeError(`SafetensorsWriter ${p}: 'a' was declared [2, 3] f32, got [4] bf16`));
    expect(() => w.write('a', randTensor([3, 2], 24).t)).toThrow(new LoraShapeError(`SafetensorsWriter ${p}: 'a' was declared [2, 3] f32, got [3, 2] f32`));
    expect(() => w.write('a', a.to('f64'))).toThrow(LoraShapeError);
    w.write('b', b);
    w.write('a', a);
    expect(fs.existsSync(p)).toBe(false);
    w.close();
    w.close(); // twice is fine
    expect(() => w.write('a', a)).toThrow(new LoraValueError(`SafetensorsWriter ${p}: already closed`));
    const back = readSafetensorsSync(p);
    expect(sameBits(back.a, a) && sameBits(back.b, b)).toBe(true);
    expect(fs.readFileSync(p).equals(fs.readFileSync((writeSafetensorsSync(path.join(tmp, 'whole.safetensors'), { a, b }, { k: 'v' }), path.join(tmp, 'whole.safetensors'))))).toBe(true);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  test('two writes of the same path at once each write their own temporary file: both finish, the file is whole', async () => {
    const p = path.join(tmp, 'same-path.safetensors');
    const big = { x: randTensor([256, 64], 31).t }, small = { y: randTensor([3], 32).t };
    // Two async writes interleave their chunks; before, both wrote one `.tmp-<pid>` and the second rename failed.
    await Promise.all([writeSafetensors(p, big), writeSafetensors(p, small)]);
    const back = readSafetensorsSync(p);
    expect(Object.keys(back).length).toBe(1);
    expect('x' in back ? sameBits(back.x, big.x) : sameBits(back.y, small.y)).toBe(true);
    // Two streamed writers open at once: the second no longer truncates the first one's file.
    const w1 = new SafetensorsWriter(p, [{ name: 'x', dtype: 'f32', shape: [256, 64] }]);
    const w2 = new SafetensorsWriter(p, [{ name: 'y', dtype: 'f32', shape: [3] }]);
    w1.write('x', big.x);
    w2.write('y', small.y);
    w1.close();
    expect(sameBits(readSafetensorsSync(p).x, big.x)).toBe(true);
    w2.close();
    expect(sameBits(readSafetensorsSync(p).y, small.y)).toBe(true);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  test('SafetensorsWriter: a declared name that is not a string is a LoraValueError naming it, and writes nothing', () => {
    const p = path.join(tmp, 'streamed-badname.safetensors');
    for (const name of [7, null]) {
      expect(() => new SafetensorsWriter(p, [{ name: name as never, dtype: 'f32', shape: [1] }])).toThrow(new LoraValueError(`SafetensorsWriter ${p}: invalid tensor name ${name}`));
    }
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('streamed-badname'))).toEqual([]);
  });

  test('SafetensorsWriter: a duplicate declared name is refused; abort() leaves no file; an empty layout is an empty file', () => {
    const p = path.join(tmp, 'streamed-abort.safetensors');
    expect(() => new SafetensorsWriter(p, [{ name: 'a', dtype: 'f32', shape: [1] }, { name: 'a', dtype: 'f32', shape: [2] }]))
      .toThrow(new LoraValueError(`SafetensorsWriter ${p}: duplicate name "a"`));
    const w = new SafetensorsWriter(p, [{ name: 'a', dtype: 'f32', shape: [2, 3] }]);
    w.write('a', a);
    w.abort();
    expect(() => w.write('a', a)).toThrow(/already closed/);
    w.close(); // after abort: nothing to do
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('streamed-abort'))).toEqual([]);
    const e = path.join(tmp, 'streamed-empty.safetensors');
    const we = new SafetensorsWriter(e, []);
    we.close();
    expect(readSafetensorsSync(e)).toEqual({});
    expect(fs.statSync(e).size).toBe(8 + 8);
  });

  test('a shard index: its weight_map as a map; not JSON, no weight_map, or a shard outside the folder is a LoraFormatError', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'idx-'));
    writeSafetensorsSync(path.join(dir, 's1.safetensors'), { a });
    writeSafetensorsSync(path.join(dir, 's2.safetensors'), { b });
    const idx = path.join(dir, 'model.safetensors.index.json');
    fs.writeFileSync(idx, JSON.stringify({ weight_map: { a: 's1.safetensors', b: 's2.safetensors' } }));
    expect(readShardIndex(idx)).toEqual({ a: 's1.safetensors', b: 's2.safetensors' });
    expect(Object.keys(readSafetensorsShardedSync(idx, { names: ['b'] }))).toEqual(['b']);
    expect(() => readSafetensorsShardedSync(idx, { names: ['z'] })).toThrow(new LoraFormatError(`${idx}: no tensor named "z" in weight_map`));
    const st = openSafetensors(idx);
    expect({ names: st.names, has: st.has('b'), hasZ: st.has('z'), entry: st.entry('b').dtype }).toEqual({ names: ['a', 'b'], has: true, hasZ: false, entry: 'bf16' });
    expect(sameBits(st.get('a'), a) && sameBits(st.get('b'), b) && sameBits(st.get('a'), a)).toBe(true);
    expect(() => st.get('z')).toThrow(new LoraFormatError(`${idx}: no tensor named "z" in weight_map`));
    st.close();
    st.close();
    for (const [text, msg] of [
      ['{"weight_map": ', `${idx}: not valid JSON (`],
      ['{"metadata": {}}', `${idx}: missing "weight_map" object`],
      ['{"weight_map": null}', `${idx}: missing "weight_map" object`],
      ['{"weight_map": ["a"]}', `${idx}: missing "weight_map" object`],
      ['{"weight_map": {"a": 7}}', `${idx}: weight_map["a"] must be a shard file name, got 7`],
      ['{"weight_map": {"a": "/etc/passwd"}}', `${idx}: weight_map["a"] must be a shard file name, got "/etc/passwd"`],
      ['{"weight_map": {"a": "../s1.safetensors"}}', `${idx}: weight_map["a"] must be a shard file name, got "../s1.safetensors"`],
    ]) {
      fs.writeFileSync(idx, text);
      expect(() => readShardIndex(idx)).toThrow(LoraFormatError);
      expect(() => readShardIndex(idx)).toThrow(msg);
    }
    const none = path.join(dir, 'none.index.json');
    expect(() => readShardIndex(none)).toThrow(LoraIOError);
    expect(() => readShardIndex(none)).toThrow(`cannot read ${none}: `);
  });

  test('a single-file store reads on demand and closes its file', () => {
    const p = path.join(tmp, 'store.safetensors');
    writeSafetensorsSync(p, { a, b });
    const st = openSafetensors(p);
    expect({ names: st.names.sort(), has: st.has('a'), hasZ: st.has('z'), entry: st.entry('a').shape }).toEqual({ names: ['a', 'b'], has: true, hasZ: false, entry: [2, 3] });
    expect(sameBits(st.get('b'), b)).toBe(true);
    st.close();
    expect(() => st.get('a')).toThrow(/file is closed/);
  });
});

describe('writer and parser messages name the caller and the offending entry', () => {
  const t = Tensor.zeros([2]);
  test('metadata: every value a string, keys and values Unicode text', () => {
    const p = path.join(tmp, 'meta.safetensors');
    expect(() => writeSafetensorsSync(p, { t }, { n: 3 as never })).toThrow(new LoraValueError('writeSafetensors: metadata "n" must be a string, got number'));
    expect(() => writeSafetensorsSync(p, { t }, { ['k\ud800']: 'v' })).toThrow(new LoraValueError('writeSafetensors: metadata key "k\\ud800" holds a lone surrogate (not Unicode text; safetensors readers refuse it)'));
    expect(() => writeSafetensorsSync(p, { t }, { k: 'v\udc00' })).toThrow(new LoraValueError('writeSafetensors: metadata value of "k" "v\\udc00" holds a lone surrogate (not Unicode text; safetensors readers refuse it)'));
    expect(() => writeSafetensorsSync(p, { t }, 'x' as never)).toThrow(new LoraValueError('writeSafetensors: metadata must be an object of strings, got string'));
    expect(() => writeSafetensorsSync(p, { ['a\ud800']: t })).toThrow(/^writeSafetensors: tensor name "a\\ud800" holds a lone surrogate/);
  });

  test('metadata null is no metadata, as undefined is', () => {
    const p = path.join(tmp, 'meta-null.safetensors');
    writeSafetensorsSync(p, { t }, null as never);
    expect(parseSafetensorsHeader(fs.readFileSync(p)).metadata).toEqual({});
    const w = new SafetensorsWriter(p, [{ name: 't', dtype: 'f32', shape: [2] }], null as never);
    w.write('t', t);
    w.close();
    expect(parseSafetensorsHeader(fs.readFileSync(p)).metadata).toEqual({});
  });

  test("parseSafetensors' errors start with 'safetensors:'", () => {
    expect(() => parseSafetensors(new Uint8Array(4))).toThrow(/^safetensors: file is 4 bytes, too short for the 8-byte header length/);
    expect(() => parseSafetensors(new Uint8Array(16))).toThrow(/^safetensors: /);
  });
});
