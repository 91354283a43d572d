import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  DType, LoraDTypeError, LoraFormatError, SafetensorsFile, Tensor, parseSafetensors, parseSafetensorsHeader,
  readSafetensors, readSafetensorsSharded, readSafetensorsSync, writeSafetensors, writeSafetensorsSync,
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
