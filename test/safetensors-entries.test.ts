// safetensors, the parts a third sample of Stryker mutants showed untested: the exact refusal of each malformed header
// entry, dimensions above 2^53 − 1 in any position, the JSON reader's unterminated string and stray characters, who
// owns a tensor read each way, the reference's tensor order in a SafetensorsWriter file, and short writes continued
// at the right offset (the writer's header did not: found by this file).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LoraDTypeError, LoraFormatError, LoraShapeError, LoraValueError, SafetensorsFile, SafetensorsWriter, Tensor, parseSafetensors, parseSafetensorsHeader, readSafetensors, readSafetensorsSync, writeSafetensors, writeSafetensorsSync } from '../lib';
import { stFile as file } from './helpers/st-file';


const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-st-entries-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SHAPE = 'safetensors: entry "w": shape must be an array of non-negative integers (u64, written without fraction or exponent)';
const OFFSETS = 'safetensors: entry "w": data_offsets must be [begin, end], two non-negative integers (u64, written without fraction or exponent)';

describe('safetensors header entries: each malformation refused with its own message', () => {
  test.each([
    ['an entry that is not an object', '{"w":[1,2]}', 'safetensors: entry "w" must be an object'],
    ['an entry that is a JSON literal', '{"w":null}', 'safetensors: entry "w" must be an object'],
    ['an entry that is a number', '{"w":-1}', 'safetensors: entry "w" must be an object'],
    ['a missing dtype', '{"w":{"shape":[1],"data_offsets":[0,4]}}', 'safetensors: entry "w": missing field "dtype"'],
    ['a missing shape', '{"w":{"dtype":"F32","data_offsets":[0,4]}}', 'safetensors: entry "w": missing field "shape"'],
    ['a missing data_offsets', '{"w":{"dtype":"F32","shape":[1]}}', 'safetensors: entry "w": missing field "data_offsets"'],
    ['a dtype that is not a string', '{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}', 'safetensors: entry "w": dtype must be a string'],
    ['an unknown dtype', '{"w":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}', 'safetensors: entry "w": unknown dtype "F31"'],
    ['a shape that is not an array', '{"w":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}', SHAPE],
    ['a negative dimension', '{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', SHAPE],
    ['data_offsets that are not an array', '{"w":{"dtype":"F32","shape":[1],"data_offsets":4}}', OFFSETS],
    ['data_offsets of one number', '{"w":{"dtype":"F32","shape":[1],"data_offsets":[4]}}', OFFSETS],
    ['data_offsets of three numbers', '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}', OFFSETS],
    ['a fractional offset', '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}', OFFSETS],
  ])('%s', (_what, header, message) => {
    const bytes = file(header, 4);
    expect(() => parseSafetensors(bytes)).toThrow(LoraFormatError);
    expect(() => parseSafetensors(bytes)).toThrow(message);
  });

  test.each([0, 1])('a dimension above 2^53 − 1 at index %i of an empty tensor is reported unsupported, not rounded', (at) => {
    const shape = at === 0 ? '[9007199254740993,0]' : '[0,9007199254740993]';
    const h = parseSafetensorsHeader(file(`{"w":{"dtype":"F32","shape":${shape},"data_offsets":[0,0]}}`));
    expect(h.entries).toEqual([]);
    expect(h.unsupported).toEqual([{ name: 'w', dtype: 'F32', reason: 'tensor "w" has a dimension 9007199254740993 above 2^53 − 1, which loraga cannot represent' }]);
  });

  test('a dimension of exactly 2^53 − 1 (of an empty tensor) is still a number loraga holds', () => {
    const h = parseSafetensorsHeader(file('{"w":{"dtype":"F32","shape":[0,9007199254740991],"data_offsets":[0,0]}}'));
    expect(h.unsupported).toEqual([]);
    expect(h.entries).toEqual([{ name: 'w', dtype: 'f32', shape: [0, 9007199254740991], begin: 0, end: 0 }]);
  });

  test('the 8-byte length field: a file shorter than it is too short; an 8-byte file stating a 1-byte header is truncated', () => {
    expect(() => parseSafetensors(new Uint8Array(7))).toThrow(new LoraFormatError('safetensors: file is 7 bytes, too short for the 8-byte header length (truncated?)'));
    expect(() => parseSafetensors(file('', 0, 1))).toThrow(new LoraFormatError('safetensors: header length 1 runs past the end of the 8-byte file (truncated?)'));
  });

  test('SafetensorsFile.open reads the length field as parseSafetensors does: a 5-byte file is too short, an 8-byte file stating a 2-byte header is truncated, both naming the path', () => {
    const short = path.join(tmp, 'five-bytes.safetensors');
    fs.writeFileSync(short, new Uint8Array(5));
    expect(() => SafetensorsFile.open(short)).toThrow(new LoraFormatError(`${short}: file is 5 bytes, too short for the 8-byte header length (truncated?)`));
    const eight = path.join(tmp, 'eight-bytes.safetensors');
    fs.writeFileSync(eight, file('', 0, 2));
    expect(() => SafetensorsFile.open(eight)).toThrow(new LoraFormatError(`${eight}: header length 2 runs past the end of the 8-byte file (truncated?)`));
  });

  test('SafetensorsFile.open: a file that yields fewer bytes than its size promised (it changed while opened) is a LoraFormatError naming the path, not a header of zeros', () => {
    const p = path.join(tmp, 'shrinks.safetensors');
    fs.writeFileSync(p, file('{}'));
    const nodeFs = jest.requireActual<typeof fs>('fs'); // the module object itself (the lib's fs.readSync reads from it)
    const real = nodeFs.readSync;
    // The n-th read (0: the length field, 1: the header) returns a byte fewer than asked, as a file cut short would.
    const shortAt = (n: number) => {
      let call = 0;
      return jest.spyOn(nodeFs, 'readSync').mockImplementation(((fd: number, b: Uint8Array, off: number, len: number, pos: number) =>
        real(fd, b, off, call++ === n ? len - 1 : len, pos)) as typeof fs.readSync);
    };
    for (const [n, msg] of [[0, 'short read of the header length'], [1, 'short read of the header (file changed?)']] as const) {
      const spy = shortAt(n);
      try {
        expect(() => SafetensorsFile.open(p)).toThrow(new LoraFormatError(`${p}: ${msg}`));
      } finally {
        spy.mockRestore();
      }
    }
    const f = SafetensorsFile.open(p); // read whole, the file is fine
    expect(f.names).toEqual([]);
    f.close();
  });

  test('the length is a little-endian u64 (high word included), at most 100 000 000 bytes: above that the file is refused as corrupt', () => {
    const limit = 100_000_000;
    const refused = (n: number) => new LoraFormatError(`safetensors: header length ${n} exceeds the ${limit}-byte limit (corrupt file?)`);
    expect(() => parseSafetensors(file('', 0, 2 ** 32))).toThrow(refused(2 ** 32));
    expect(() => parseSafetensors(file('', 0, 2 ** 32 + 5))).toThrow(refused(2 ** 32 + 5));
    expect(() => parseSafetensors(file('', 0, limit + 1))).toThrow(refused(limit + 1));
    // At the limit itself the length is taken at its word: this file is too short for it.
    expect(() => parseSafetensors(file('{}', 0, limit))).toThrow(new LoraFormatError(`safetensors: header length ${limit} runs past the end of the 10-byte file (truncated?)`));
  });

  test('JSON: an unterminated string and a stray character in a value position are named', () => {
    expect(() => parseSafetensors(file('{"w'))).toThrow(/^safetensors: .*unterminated string/);
    expect(() => parseSafetensors(file('{"w":'))).toThrow(new LoraFormatError('safetensors: header is not valid JSON: unexpected end at character 5'));
    expect(() => parseSafetensors(file('{"w":}'))).toThrow(/^safetensors: .*unexpected "}"/);
    expect(() => parseSafetensors(file('{"w":]'))).toThrow(/^safetensors: .*unexpected "]"/);
    // Characters below '0' other than '-' do not start a number: named as themselves, not as a bad number.
    expect(() => parseSafetensors(file('{"w":,}'))).toThrow(/^safetensors: .*unexpected ","/);
    expect(() => parseSafetensors(file('{"w":+1}'))).toThrow(/^safetensors: .*unexpected "\+"/);
  });
});

describe('who owns a tensor read from safetensors', () => {
  const bytes = (() => {
    const p = path.join(tmp, 'own.safetensors');
    writeSafetensorsSync(p, { a: Tensor.from(new Float32Array([1, 2, 3]), [3]), b: Tensor.from(new Float64Array([4, 5]), [2]) });
    return new Uint8Array(fs.readFileSync(p));
  })();

  test('parseSafetensors: zero-copy views of the caller’s bytes are borrowed and read-only; { copy: true } gives owned, writable tensors', () => {
    for (const t of Object.values(parseSafetensors(bytes))) {
      expect(t.borrowed).toBe(true);
      expect(t.writable).toBe(false);
    }
    for (const t of Object.values(parseSafetensors(bytes, { copy: true }))) {
      expect(t.borrowed).toBe(false);
      expect(t.writable).toBe(true);
    }
  });

  test('readSafetensorsSync and SafetensorsFile.get: the library’s own allocation, owned and writable', () => {
    const p = path.join(tmp, 'own2.safetensors');
    fs.writeFileSync(p, bytes);
    for (const t of Object.values(readSafetensorsSync(p))) expect([t.borrowed, t.writable]).toEqual([false, true]);
    const f = SafetensorsFile.open(p);
    try {
      const a = f.get('a');
      expect([a.borrowed, a.writable]).toEqual([false, true]);
      expect(Array.from(a.toFloat64())).toEqual([1, 2, 3]);
    } finally {
      f.close();
    }
  });
});

describe('SafetensorsWriter', () => {
  test('places tensors in the reference order (larger dtypes first, then by name), whatever order they are declared in', () => {
    const p = path.join(tmp, 'order.safetensors');
    const w = new SafetensorsWriter(p, [{ name: 'b', dtype: 'f32', shape: [2] }, { name: 'a', dtype: 'f64', shape: [2] }, { name: 'c', dtype: 'f32', shape: [1] }]);
    w.write('c', Tensor.from(new Float32Array([7]), [1]));
    w.write('a', Tensor.from(new Float64Array([1, 2]), [2]));
    w.write('b', Tensor.from(new Float32Array([3, 4]), [2]));
    w.close();
    const h = parseSafetensorsHeader(new Uint8Array(fs.readFileSync(p)));
    expect(h.entries.map((e) => [e.name, e.begin, e.end])).toEqual([['a', 0, 16], ['b', 16, 24], ['c', 24, 28]]);
  });

  test('close() with tensors never written is a LoraValueError naming each of them, and leaves no file', () => {
    const p = path.join(tmp, 'missing.safetensors');
    const w = new SafetensorsWriter(p, [{ name: 'a', dtype: 'f32', shape: [1] }, { name: 'b', dtype: 'f32', shape: [2] }, { name: 'c', dtype: 'f32', shape: [1] }]);
    w.write('b', Tensor.from(new Float32Array([1, 2]), [2]));
    expect(() => w.close()).toThrow(new LoraValueError(`SafetensorsWriter ${p}: never written: a, c`));
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('missing.'))).toEqual([]);
  });

  test('a declared dtype it cannot store is a LoraDTypeError naming the tensor', () => {
    const p = path.join(tmp, 'bad-dtype.safetensors');
    expect(() => new SafetensorsWriter(p, [{ name: 'x', dtype: 'i8' as never, shape: [1] }])).toThrow(LoraDTypeError);
    expect(() => new SafetensorsWriter(p, [{ name: 'x', dtype: 'i8' as never, shape: [1] }])).toThrow(`SafetensorsWriter ${p}: 'x' has unsupported dtype i8`);
  });

  test('a write that fails midway: writeSafetensorsSync closes and removes its temporary file, rethrows, and leaves the target as it was', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, not an import wrapper
    const nodeFs = require('fs') as typeof fs;
    const real = nodeFs.writeSync;
    let calls = 0;
    const eio = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    const spy = jest.spyOn(nodeFs, 'writeSync').mockImplementation(((...args: Parameters<typeof fs.writeSync>) => {
      if (++calls === 3) throw eio; // the length and the header went through; the first tensor's data does not
      return (real as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync);
    const dir = fs.mkdtempSync(path.join(tmp, 'eio-'));
    const p = path.join(dir, 'target.safetensors');
    fs.writeFileSync(p, 'previous');
    try {
      expect(() => writeSafetensorsSync(p, { a: Tensor.from(new Float32Array([1, 2, 3]), [3]) })).toThrow(eio);
    } finally {
      spy.mockRestore();
    }
    expect(calls).toBe(3);
    expect(fs.readdirSync(dir)).toEqual(['target.safetensors']);
    expect(fs.readFileSync(p, 'utf8')).toBe('previous');
  });

  test('SafetensorsWriter: a bad declared shape is refused naming the tensor; abort() after close(), or twice, does nothing', () => {
    const p = path.join(tmp, 'shape-and-abort.safetensors');
    expect(() => new SafetensorsWriter(p, [{ name: 'w', dtype: 'f32', shape: [2, -1] }])).toThrow(LoraShapeError);
    expect(() => new SafetensorsWriter(p, [{ name: 'w', dtype: 'f32', shape: [2, -1] }])).toThrow(`SafetensorsWriter ${p}: shape of 'w'`);
    const w = new SafetensorsWriter(p, [{ name: 'w', dtype: 'f32', shape: [2] }]);
    w.write('w', Tensor.from(new Float32Array([1, 2]), [2]));
    w.close();
    expect(() => w.abort()).not.toThrow(); // its temporary file was renamed into place: nothing to remove
    expect(Array.from(readSafetensorsSync(p).w.toFloat64())).toEqual([1, 2]);
    const w2 = new SafetensorsWriter(p, [{ name: 'w', dtype: 'f32', shape: [2] }]);
    w2.abort();
    expect(() => w2.abort()).not.toThrow();
    expect(Array.from(readSafetensorsSync(p).w.toFloat64())).toEqual([1, 2]);
  });

  test('short writes (fs.writeSync writing part of what it was given) are continued at the right offset, header included', () => {
    // The fs module object itself (the namespace import above is frozen), which lib/ reads fs.writeSync from.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, not an import wrapper
    const nodeFs = require('fs') as typeof fs;
    const real = nodeFs.writeSync;
    // At most 5 bytes per call: every tensor takes several calls, each of which must start where the last ended.
    const spy = jest.spyOn(nodeFs, 'writeSync').mockImplementation(((fd: number, buf: Uint8Array, off?: number, len?: number, pos?: number | null) =>
      real(fd, buf, off, Math.min(len ?? buf.byteLength - (off ?? 0), 5), pos)) as typeof fs.writeSync);
    try {
      const p = path.join(tmp, 'short.safetensors');
      const a = Tensor.from(Float64Array.from({ length: 7 }, (_, i) => i + 0.5), [7]);
      const b = Tensor.from(Float32Array.from({ length: 9 }, (_, i) => -i), [3, 3]);
      const w = new SafetensorsWriter(p, [{ name: 'a', dtype: 'f64', shape: [7] }, { name: 'b', dtype: 'f32', shape: [3, 3] }]);
      w.write('b', b);
      w.write('a', a);
      w.close();
      const p2 = path.join(tmp, 'short2.safetensors');
      writeSafetensorsSync(p2, { a, b });
      expect(spy.mock.calls.length).toBeGreaterThan(40); // the short writes happened
      spy.mockRestore();
      for (const back of [readSafetensorsSync(p), readSafetensorsSync(p2)]) {
        expect(Array.from(back.a.toFloat64())).toEqual(Array.from(a.toFloat64()));
        expect(Array.from(back.b.toFloat64())).toEqual(Array.from(b.toFloat64()));
      }
    } finally {
      spy.mockRestore();
    }
  });

  /** fs.promises.open, each handle's write(buffer, offset, length) replaced by `write` (given the real one). */
  type HandleWrite = (b: Uint8Array, off: number, len: number) => Promise<{ bytesWritten: number; buffer: Uint8Array }>;
  function spyOnHandleWrites(write: (real: HandleWrite, b: Uint8Array, off: number, len: number) => Promise<{ bytesWritten: number; buffer: Uint8Array }>) {
    const open = fs.promises.open;
    return jest.spyOn(fs.promises, 'open').mockImplementation(async (...a: Parameters<typeof open>) => {
      const fh = await open(...a);
      const real = fh.write.bind(fh) as HandleWrite;
      (fh as unknown as { write: HandleWrite }).write = (b, off, len) => write(real, b, off, len);
      return fh;
    });
  }

  test('writeSafetensors (async): short writes are continued from where they stopped, header included', async () => {
    let calls = 0;
    // At most 5 bytes per call: every chunk takes several calls, each of which must ask for the rest of the chunk.
    const spy = spyOnHandleWrites((real, b, off, len) => (calls++, real(b, off, Math.min(len, 5))));
    const a = Tensor.from(Float64Array.from({ length: 7 }, (_, i) => i + 0.5), [7]);
    const b = Tensor.from(Float32Array.from({ length: 9 }, (_, i) => -i), [3, 3]);
    const p = path.join(tmp, 'short-async.safetensors');
    try {
      await writeSafetensors(p, { a, b }, { k: 'v' });
    } finally {
      spy.mockRestore();
    }
    expect(calls).toBeGreaterThan(40); // the short writes happened
    const whole = path.join(tmp, 'short-async-ref.safetensors');
    writeSafetensorsSync(whole, { a, b }, { k: 'v' });
    expect(fs.readFileSync(p).equals(fs.readFileSync(whole))).toBe(true); // the bytes of an uninterrupted write
    const back = readSafetensorsSync(p);
    expect(Array.from(back.a.toFloat64())).toEqual(Array.from(a.toFloat64()));
    expect(Array.from(back.b.toFloat64())).toEqual(Array.from(b.toFloat64()));
  });

  test('a write that fails midway: writeSafetensors (async) closes and removes its temporary file, rejects with the error, and leaves the target as it was', async () => {
    let calls = 0;
    const eio = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    // the length and the header go through; the first tensor's data does not
    const spy = spyOnHandleWrites((real, b, off, len) => (++calls === 3 ? Promise.reject(eio) : real(b, off, len)));
    const dir = fs.mkdtempSync(path.join(tmp, 'eio-async-'));
    const p = path.join(dir, 'target.safetensors');
    fs.writeFileSync(p, 'previous');
    try {
      await expect(writeSafetensors(p, { a: Tensor.from(new Float32Array([1, 2, 3]), [3]) })).rejects.toThrow(eio);
    } finally {
      spy.mockRestore();
    }
    expect(calls).toBe(3);
    expect(fs.readdirSync(dir)).toEqual(['target.safetensors']);
    expect(fs.readFileSync(p, 'utf8')).toBe('previous');
  });
});

describe('readSafetensors of a file over 1 GiB reads tensor by tensor (readFile would hold it all)', () => {
  test('the tensors asked for by name come back with their values, without reading the others', async () => {
    // A sparse file: 1 GiB of U8 "big" that is never read, then "small" (F32) at the end.
    const big = 2 ** 30;
    const header = Buffer.from(JSON.stringify({ big: { dtype: 'U8', shape: [big], data_offsets: [0, big] }, small: { dtype: 'F32', shape: [2], data_offsets: [big, big + 8] } }));
    const p = path.join(tmp, 'over-1gib.safetensors');
    const fd = fs.openSync(p, 'w');
    try {
      const pre = Buffer.alloc(8);
      pre.writeBigUInt64LE(BigInt(header.length));
      fs.writeSync(fd, Buffer.concat([pre, header]));
      fs.writeSync(fd, Buffer.from(Float32Array.of(1.5, -2).buffer), 0, 8, 8 + header.length + big);
    } finally {
      fs.closeSync(fd);
    }
    try {
      const got = await readSafetensors(p, { names: ['small'] });
      expect(Object.keys(got)).toEqual(['small']);
      expect(got.small.shape).toEqual([2]);
      expect(Array.from(got.small.toFloat64())).toEqual([1.5, -2]);
    } finally {
      fs.rmSync(p, { force: true });
    }
  });
});
