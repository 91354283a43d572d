/**
 * safetensors conformance (issue 18): loraga reads exactly what the reference implementation (the `safetensors`
 * package) reads, and writes only what it reads back. One minimal hand-made file per kind of file; every accepted
 * file's tensors are checked bit-exact. What the reference does with each was checked against safetensors 0.8.0;
 * test/safetensors-reference.test.ts checks it against the installed reference directly.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  LoraDTypeError, LoraFormatError, LoraShapeError, LoraValueError, SafetensorsFile, SafetensorsWriter, Tensor, openSafetensors,
  parseSafetensors, parseSafetensorsHeader, readSafetensors, readSafetensorsSharded, readSafetensorsShardedSync,
  readSafetensorsSync, readShardIndex, writeSafetensors, writeSafetensorsSync,
} from '../lib';
import { stFile as file } from './helpers/st-file';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-stc-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));


/** `n` distinct bytes 1, 2, … so a shifted or swapped read shows. */
function bytes(n: number, start = 1): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
}

const F32 = (off: [number, number], shape: number[] = [(off[1] - off[0]) / 4]) =>
  `{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(off)}}`;

let fileNo = 0;
function onDisk(b: Uint8Array): string {
  const p = path.join(tmp, `f${fileNo++}.safetensors`);
  fs.writeFileSync(p, b);
  return p;
}

function rawBytes(t: Tensor): Buffer {
  const d = t.data;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

/** Every reader refuses `b` with a LoraFormatError (in-memory, whole file sync/async, header only, on demand). */
async function expectRefused(b: Uint8Array, why?: RegExp): Promise<void> {
  expect(() => parseSafetensors(b)).toThrow(LoraFormatError);
  if (why) expect(() => parseSafetensorsHeader(b)).toThrow(why);
  const p = onDisk(b);
  expect(() => readSafetensorsSync(p)).toThrow(LoraFormatError);
  await expect(readSafetensors(p)).rejects.toThrow(LoraFormatError);
  expect(() => SafetensorsFile.open(p)).toThrow(LoraFormatError);
}

/** Every reader accepts `b` and returns exactly `want` (name → [safetensors-dtype-free shape, raw bytes]). */
async function expectRead(b: Uint8Array, want: Record<string, { shape: number[]; data: Uint8Array }>): Promise<void> {
  const p = onDisk(b);
  const results = [parseSafetensors(b), parseSafetensors(b, { copy: true }), readSafetensorsSync(p), await readSafetensors(p)];
  for (const got of results) {
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) {
      expect(Object.prototype.hasOwnProperty.call(got, k)).toBe(true);
      expect(got[k].shape).toEqual(w.shape);
      expect(rawBytes(got[k]).equals(Buffer.from(w.data))).toBe(true);
    }
  }
  const f = SafetensorsFile.open(p);
  try {
    expect(f.names.slice().sort()).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) expect(rawBytes(f.get(k)).equals(Buffer.from(w.data))).toBe(true);
  } finally {
    f.close();
  }
}

describe('1. every data byte is indexed by a tensor (no holes, no trailing bytes: no polyglot files)', () => {
  const d8 = bytes(8);
  test('trailing bytes after the last tensor are refused', async () => {
    await expectRefused(file(`{"a":${F32([0, 4])}}`, d8), /not indexed|trailing/);
  });
  test('a gap before the first tensor is refused', async () => {
    await expectRefused(file(`{"a":${F32([4, 8])}}`, d8));
  });
  test('a gap between two tensors is refused', async () => {
    await expectRefused(file(`{"a":${F32([0, 4])},"b":${F32([8, 12])}}`, bytes(12)));
  });
  test('a zero-size tensor inside another is refused', async () => {
    await expectRefused(file(`{"a":${F32([0, 8])},"z":${F32([4, 4], [0])}}`, d8));
  });
  test('a zero-size tensor past the end of the data is refused', async () => {
    await expectRefused(file(`{"a":${F32([0, 8])},"z":${F32([12, 12], [0])}}`, d8));
  });
  test('a zero-size tensor at the end of the data is read (empty), the other bit-exact', async () => {
    await expectRead(file(`{"a":${F32([0, 8])},"z":${F32([8, 8], [0])}}`, d8), { a: { shape: [2], data: d8 }, z: { shape: [0], data: new Uint8Array(0) } });
  });
  test('a header length that cuts into the padding is refused (it would shift every tensor by one byte)', async () => {
    const h = `{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`;
    const padded = h + ' '.repeat((8 - (h.length % 8)) % 8);
    const good = file(padded, d8);
    await expectRead(good, { x: { shape: [1], data: d8 } });
    const cut = Buffer.from(good);
    cut.writeBigUInt64LE(BigInt(padded.length - 1)); // the last pad space now reads as the first data byte
    await expectRefused(cut);
  });
  test('an empty header with no data is a valid empty file', async () => {
    await expectRead(file('{}'), {});
    await expectRefused(file('{}', bytes(1)));
  });
});

describe('2. tensors never overlap (so zero-copy views never alias)', () => {
  test('an overlap hidden by a zero-size entry between the two tensors is refused', async () => {
    // Sorted by offset: a [0,8], z [4,4], b [4,12]: neighbours a/z and z/b look fine, a and b share bytes 4..8.
    await expectRefused(file(`{"a":${F32([0, 8])},"z":${F32([4, 4], [0])},"b":${F32([4, 12])}}`, bytes(12)), /overlap/);
  });
  test('two tensors with the same range are refused', async () => {
    await expectRefused(file(`{"a":${F32([0, 8])},"b":${F32([0, 8])}}`, bytes(8)));
  });
});

describe('3. duplicate keys are refused (the spec disallows them; the last one would silently win)', () => {
  const d4 = bytes(4);
  test('a field repeated inside an entry', async () => {
    await expectRefused(file(`{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, d4), /duplicate/);
  });
  test('a second __metadata__ (also when spelled with an escape)', async () => {
    await expectRefused(file(`{"__metadata__":{"x":"1"},"__metadata__":{"y":"2"},"a":${F32([0, 4])}}`, d4), /duplicate/);
    await expectRefused(file(`{"__metadata__":{"x":"1"},"\\u005f_metadata__":{"x":"1"},"a":${F32([0, 4])}}`, d4), /duplicate/);
  });
  test('a repeated tensor name (a zero-size first entry would hide the second from a first-wins reader)', async () => {
    await expectRefused(file(`{"a":${F32([0, 0], [0])},"a":${F32([0, 4])}}`, d4), /duplicate/);
  });
  test('a repeated metadata key, and a repeated key inside an unknown field', async () => {
    await expectRefused(file(`{"__metadata__":{"x":"1","x":"2"},"a":${F32([0, 4])}}`, d4), /duplicate/);
    await expectRefused(file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":{"q":1,"q":2}}}`, d4), /duplicate/);
  });
});

describe('4. shapes and offsets are JSON integers, written as integers', () => {
  const cases: [string, string, number][] = [
    ['1.0 in a shape', `{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}`, 4],
    ['2e0 in a shape', `{"a":{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}}`, 8],
    ['-0 in an offset', `{"a":{"dtype":"F32","shape":[1],"data_offsets":[-0,4]}}`, 4],
    ['-0 in a shape', `{"a":{"dtype":"F32","shape":[-0],"data_offsets":[0,0]}}`, 0],
    ['4.0 after a 0 in a shape', `{"a":{"dtype":"F32","shape":[0,4.0],"data_offsets":[0,0]}}`, 0],
    ['4.0 as an offset', `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}`, 4],
    ['2^64 in a shape (beyond u64)', `{"a":{"dtype":"F32","shape":[0,18446744073709551616],"data_offsets":[0,0]}}`, 0],
  ];
  test.each(cases)('%s is refused', async (_n, h, len) => {
    await expectRefused(file(h, bytes(len)));
  });
  test('an integer written plainly is read', async () => {
    await expectRead(file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, bytes(8)), { a: { shape: [2], data: bytes(8) } });
  });
});

describe('5. element counts are checked in u64 arithmetic, left to right, as the reference does', () => {
  test('[2^32, 2^32, 0] overflows u64 before reaching the 0: refused', async () => {
    await expectRefused(file(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}`), /overflow/);
  });
  test('[0, 2^32, 2^32] is 0 at every step: an empty tensor of that exact shape', async () => {
    await expectRead(file(`{"a":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}`), { a: { shape: [0, 4294967296, 4294967296], data: new Uint8Array(0) } });
  });
  test('elements × bits overflowing u64 is refused (F64 × 2^61)', async () => {
    await expectRefused(file(`{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}}`), /overflow/);
  });
  test('a dimension above 2^53 in an empty tensor: the file is valid, that tensor is a LoraShapeError', () => {
    const b = file(`{"a":{"dtype":"F32","shape":[0,1152921504606846976],"data_offsets":[0,0]},"b":${F32([0, 4])}}`, bytes(4));
    expect(parseSafetensorsHeader(b).unsupported.map((u) => u.name)).toEqual(['a']);
    expect(() => parseSafetensors(b)).toThrow(LoraShapeError);
    expect(rawBytes(parseSafetensors(b, { names: ['b'] }).b).equals(Buffer.from(bytes(4)))).toBe(true);
  });
});

describe('5b. sizes and offsets beyond 2^53 are compared exactly (as u64), and the error says the exact numbers', () => {
  const msg = (b: Uint8Array) => { try { parseSafetensorsHeader(b); } catch (e) { return (e as Error).message; } return 'read'; };
  test('a shape of 2^56 elements needs exactly 2^56 bytes (U8), 2^58 (F32): the error names the exact sizes', () => {
    expect(msg(file('{"a":{"dtype":"U8","shape":[72057594037927936],"data_offsets":[0,4]}}', bytes(4))))
      .toBe('safetensors: entry "a" [0, 4]: shape [72057594037927936] of U8 needs 72057594037927936 bytes, data_offsets give 4');
    expect(msg(file('{"a":{"dtype":"F32","shape":[268435456,268435456],"data_offsets":[0,4]}}', bytes(4))))
      .toBe('safetensors: entry "a" [0, 4]: shape [268435456, 268435456] of F32 needs 288230376151711744 bytes, data_offsets give 4');
  });
  test('offsets beyond 2^53 that match their shapes: the layout is consistent, only the file is too short', () => {
    const big = 2n ** 57n;
    expect(msg(file(`{"a":{"dtype":"U8","shape":[${big}],"data_offsets":[0,${big}]},"b":{"dtype":"U8","shape":[${big}],"data_offsets":[${big},${2n * big}]}}`)))
      .toBe(`safetensors: the tensors need ${2n * big} bytes of data, the file has 0 (file truncated?)`);
    expect(msg(file(`{"a":{"dtype":"U8","shape":[${big}],"data_offsets":[0,${big}]},"b":{"dtype":"U8","shape":[4],"data_offsets":[${big},${big + 4n}]}}`)))
      .toBe(`safetensors: the tensors need ${big + 4n} bytes of data, the file has 0 (file truncated?)`);
  });
  test('a shape within 2^53 elements whose size is beyond 2^53 bytes (F64 × 2^50 = 2^53 bytes) matches offsets that say so: only the file is too short', () => {
    expect(msg(file('{"a":{"dtype":"F64","shape":[1125899906842624],"data_offsets":[0,9007199254740992]}}')))
      .toBe('safetensors: the tensors need 9007199254740992 bytes of data, the file has 0 (file truncated?)');
  });
});

describe('5c. JSON whitespace is whitespace; raw control characters in strings are refused', () => {
  test('spaces, tabs, CR and LF between tokens (a pretty-printed header) are read', async () => {
    const h = '{\n\t"a" :\r\n {"dtype": "F32",\t"shape": [1], "data_offsets": [0, 4]}\n}';
    await expectRead(file(h, bytes(4)), { a: { shape: [1], data: bytes(4) } });
  });
  test('a raw tab or other control character inside a name is refused (JSON requires them escaped)', async () => {
    await expectRefused(file('{"a\tb":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)), /control character in a string/);
    await expectRefused(file('{"a\u0001":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)), /control character/);
  });
  test('a name with an escape is decoded (\\u0041 is A, \\" a quote)', async () => {
    await expectRead(file('{"x\\u0041\\"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)), { 'xA"': { shape: [1], data: bytes(4) } });
  });
});

describe('6. the header is strict UTF-8', () => {
  test('invalid UTF-8 is refused, not decoded lossily (two names would collapse into one)', async () => {
    const h = Buffer.concat([Buffer.from('{"a'), Buffer.from([0xff]), Buffer.from(`":${F32([0, 4])},"a`), Buffer.from([0xfe]), Buffer.from(`":${F32([4, 8])}}`)]);
    await expectRefused(file(h, bytes(8)), /UTF-8/);
  });
  test('an encoded surrogate (ED A0 80) and an overlong encoding are refused', async () => {
    await expectRefused(file(Buffer.concat([Buffer.from('{"a'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(`":${F32([0, 4])}}`)]), bytes(4)));
    await expectRefused(file(Buffer.concat([Buffer.from('{"a'), Buffer.from([0xc0, 0xaf]), Buffer.from(`":${F32([0, 4])}}`)]), bytes(4)));
  });
  test('a byte-order mark is not JSON whitespace: refused', async () => {
    await expectRefused(file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"a":${F32([0, 4])}}`)]), bytes(4)));
  });
  test('multi-byte names are read', async () => {
    await expectRead(file(`{"ü😀":${F32([0, 4])}}`, bytes(4)), { 'ü😀': { shape: [1], data: bytes(4) } });
  });
});

describe('7. escapes must decode to Unicode text (no lone surrogates)', () => {
  const d4 = bytes(4);
  test.each([
    ['a lone high surrogate in a name', `{"\\ud800":${F32([0, 4])}}`],
    ['a lone low surrogate in a name', `{"\\udc00":${F32([0, 4])}}`],
    ['a high surrogate followed by a non-surrogate escape', `{"\\ud800\\u0041":${F32([0, 4])}}`],
    ['a lone surrogate in a metadata value', `{"__metadata__":{"k":"\\ud800"},"a":${F32([0, 4])}}`],
    ['a lone surrogate in a metadata key', `{"__metadata__":{"\\udfff":"v"},"a":${F32([0, 4])}}`],
    ['a lone surrogate in an unknown field', `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":"\\ud800"}}`],
  ])('%s is refused', async (_n, h) => {
    await expectRefused(file(h, d4), /surrogate/);
  });
  test('a surrogate pair escape is the character it encodes', async () => {
    await expectRead(file(`{"\\ud83d\\ude00":${F32([0, 4])}}`, d4), { '😀': { shape: [1], data: d4 } });
  });
});

describe('8. JSON nesting is limited to the reference\'s depth (serde_json: 127 levels)', () => {
  const deep = (k: number) => `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":${'['.repeat(k)}${']'.repeat(k)}}}`;
  test('127 levels (header object, entry, 125 arrays) are read; 128 are refused', async () => {
    await expectRead(file(deep(125), bytes(4)), { a: { shape: [1], data: bytes(4) } });
    await expectRefused(file(deep(126), bytes(4)), /nest/);
  });
  test('very deep nesting is refused without exhausting the stack', async () => {
    await expectRefused(file(deep(200_000), bytes(4)), /nest/);
  });
});

describe('9. dtype names are looked up exactly (no Object.prototype properties)', () => {
  test.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'f32', 'F32 '])('dtype %j is unknown: LoraFormatError', async (dt) => {
    await expectRefused(file(`{"a":{"dtype":${JSON.stringify(dt)},"shape":[2],"data_offsets":[0,4]}}`, bytes(4)), /unknown dtype/);
  });
});

describe('10. tensor names and metadata keys are data, never object keys with meaning (__proto__, toString)', () => {
  const h = `{"__metadata__":{"__proto__":"m","toString":"t"},"__proto__":${F32([0, 4])},"constructor":${F32([4, 8])}}`;
  const b = file(h, bytes(8));
  const want = { __proto__: bytes(4), constructor: bytes(4, 5) };

  function check(got: Record<string, Tensor>): void {
    expect(Object.keys(got).sort()).toEqual(['__proto__', 'constructor']);
    for (const [k, v] of Object.entries(want)) {
      expect(Object.prototype.hasOwnProperty.call(got, k)).toBe(true);
      expect(rawBytes(got[k]).equals(Buffer.from(v))).toBe(true);
    }
    expect('toString' in got).toBe(false);
  }

  test('parseSafetensors, readSafetensors, readSafetensorsSync and SafetensorsFile read them', async () => {
    const p = onDisk(b);
    check(parseSafetensors(b));
    check(parseSafetensors(b, { names: ['__proto__', 'constructor'] }));
    check(readSafetensorsSync(p));
    check(await readSafetensors(p));
    const f = SafetensorsFile.open(p);
    expect(f.names).toEqual(['__proto__', 'constructor']);
    expect(f.has('__proto__')).toBe(true);
    expect(f.has('toString')).toBe(false);
    expect(Object.entries(f.metadata)).toEqual([['__proto__', 'm'], ['toString', 't']]);
    expect(rawBytes(f.get('__proto__')).equals(Buffer.from(want.__proto__))).toBe(true);
    expect(() => f.get('toString')).toThrow(LoraFormatError);
    f.close();
    expect(Object.entries(parseSafetensorsHeader(b).metadata)).toEqual([['__proto__', 'm'], ['toString', 't']]);
  });

  test('every sharded reader and openSafetensors(index) read them from weight_map', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'shard-'));
    fs.writeFileSync(path.join(dir, 's1.safetensors'), b);
    fs.writeFileSync(path.join(dir, 's2.safetensors'), file(`{"x":${F32([0, 4])}}`, bytes(4, 9)));
    const idx = path.join(dir, 'model.safetensors.index.json');
    fs.writeFileSync(idx, `{"weight_map":{"__proto__":"s1.safetensors","constructor":"s1.safetensors","x":"s2.safetensors"}}`);
    const map = readShardIndex(idx);
    expect(Object.entries(map)).toEqual([['__proto__', 's1.safetensors'], ['constructor', 's1.safetensors'], ['x', 's2.safetensors']]);
    for (const got of [readSafetensorsShardedSync(idx), await readSafetensorsSharded(idx), readSafetensorsSync(idx), await readSafetensors(idx)]) {
      expect(Object.keys(got).sort()).toEqual(['__proto__', 'constructor', 'x']);
      expect(rawBytes(got.__proto__).equals(Buffer.from(want.__proto__))).toBe(true);
      expect(rawBytes(got.x).equals(Buffer.from(bytes(4, 9)))).toBe(true);
    }
    expect(Object.keys(readSafetensorsShardedSync(idx, { names: ['__proto__'] }))).toEqual(['__proto__']);
    const store = openSafetensors(idx);
    try {
      expect(store.names).toEqual(['__proto__', 'constructor', 'x']);
      expect(store.has('__proto__')).toBe(true);
      expect(store.has('toString')).toBe(false);
      expect(() => store.get('toString')).toThrow(LoraFormatError);
      expect(() => store.entry('hasOwnProperty')).toThrow(LoraFormatError);
      expect(rawBytes(store.get('__proto__')).equals(Buffer.from(want.__proto__))).toBe(true);
    } finally {
      store.close();
    }
    await expect(readSafetensorsSharded(idx, { names: ['toString'] })).rejects.toThrow(LoraFormatError);
  });
});

describe('11. valid files the reference reads are read', () => {
  // Every dtype of the format that loraga does not hold, with its size in bits (the reference's Dtype, safetensors 0.8).
  test.each([
    ['BOOL', 8], ['F4', 4], ['F6_E2M3', 6], ['F6_E3M2', 6], ['U8', 8], ['I8', 8], ['F8_E5M2', 8], ['F8_E4M3', 8], ['F8_E8M0', 8],
    ['F8_E4M3FNUZ', 8], ['F8_E5M2FNUZ', 8], ['I16', 16], ['U16', 16], ['I32', 32], ['U32', 32], ['C64', 64], ['I64', 64], ['U64', 64],
  ] as const)('dtype %s (%i bits) is valid but unsupported: LoraDTypeError naming it', (dt, bits) => {
    // 8 elements take `bits` bytes: a whole number for every dtype.
    const b = file(`{"q":{"dtype":"${dt}","shape":[8],"data_offsets":[0,${bits}]}}`, bytes(bits));
    const reason = `tensor "q" has dtype ${dt}, which loraga does not hold (only F32, F64, BF16, F16)`;
    expect(parseSafetensorsHeader(b).unsupported).toEqual([{ name: 'q', dtype: dt, reason }]);
    expect(() => parseSafetensors(b)).toThrow(new LoraDTypeError(`safetensors: ${reason}; the file's other tensors can be read by name`));
  });

  test.each([['F32', 'f32', 4], ['F64', 'f64', 8], ['BF16', 'bf16', 2], ['F16', 'f16', 2]] as const)('dtype %s is read as %s, bit-exact', async (dt, dtype, size) => {
    const b = file(`{"q":{"dtype":"${dt}","shape":[3],"data_offsets":[0,${3 * size}]}}`, bytes(3 * size));
    expect(parseSafetensorsHeader(b).entries).toEqual([{ name: 'q', dtype, shape: [3], begin: 0, end: 3 * size }]);
    expect(parseSafetensors(b).q.dtype).toBe(dtype);
    await expectRead(b, { q: { shape: [3], data: bytes(3 * size) } });
  });

  test('a file holding an unsupported dtype still reads the tensors asked for by name, with every reader', async () => {
    const b = file(`{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"w":${F32([8, 16])}}`, bytes(16));
    const p = onDisk(b);
    const w = Buffer.from(bytes(8, 9));
    for (const got of [parseSafetensors(b, { names: ['w'] }), readSafetensorsSync(p, { names: ['w'] }), await readSafetensors(p, { names: ['w'] })]) {
      expect(Object.keys(got)).toEqual(['w']);
      expect(rawBytes(got.w).equals(w)).toBe(true);
    }
    const f = SafetensorsFile.open(p);
    expect(f.names).toEqual(['w', 'ids']); // readable ones first, then the unsupported
    expect(f.has('ids')).toBe(true);
    expect(() => f.get('ids')).toThrow(LoraDTypeError);
    expect(() => f.entry('ids')).toThrow(/I64/);
    expect(rawBytes(f.get('w')).equals(w)).toBe(true);
    f.close();
    // Asking for everything asks for the I64 tensor too.
    expect(() => readSafetensorsSync(p)).toThrow(LoraDTypeError);
    await expect(readSafetensors(p)).rejects.toThrow(LoraDTypeError);
    expect(() => parseSafetensors(b, { names: ['ids'] })).toThrow(LoraDTypeError);
  });

  test('a shard holding an unsupported dtype: the sharded readers read only the tensors asked for from it', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'shard-i64-'));
    fs.writeFileSync(path.join(dir, 's.safetensors'), file(`{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"w":${F32([8, 16])}}`, bytes(16)));
    const idx = path.join(dir, 'model.safetensors.index.json');
    fs.writeFileSync(idx, '{"weight_map":{"ids":"s.safetensors","w":"s.safetensors"}}');
    for (const got of [readSafetensorsShardedSync(idx, { names: ['w'] }), await readSafetensorsSharded(idx, { names: ['w'] })]) {
      expect(Object.keys(got)).toEqual(['w']);
      expect(rawBytes(got.w).equals(Buffer.from(bytes(8, 9)))).toBe(true);
    }
    expect(() => readSafetensorsShardedSync(idx, { names: ['ids'] })).toThrow(LoraDTypeError);
    await expect(readSafetensorsSharded(idx, { names: ['ids'] })).rejects.toThrow(LoraDTypeError);
  });

  test('an unsupported dtype is still checked: F4 × 3 elements is not a whole number of bytes', async () => {
    await expectRefused(file(`{"q":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}`, bytes(1)));
    expect(parseSafetensorsHeader(file(`{"q":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}}`, bytes(2))).unsupported[0].dtype).toBe('F4');
  });

  test('__metadata__: null is no metadata', async () => {
    const b = file(`{"__metadata__":null,"a":${F32([0, 4])}}`, bytes(4));
    expect(parseSafetensorsHeader(b).metadata).toEqual({});
    await expectRead(b, { a: { shape: [1], data: bytes(4) } });
  });

  test('unknown fields in an entry are ignored (any JSON whose numbers are finite doubles)', async () => {
    const b = file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":[1.5,-0,1e-400,1180591620717411303424,null,true,{"k":"v"}]}}`, bytes(4));
    await expectRead(b, { a: { shape: [1], data: bytes(4) } });
    await expectRefused(file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1e400}}`, bytes(4)), /range/);
  });
});

describe('12. writers write only what the reference reads', () => {
  const t4 = () => Tensor.from(new Float32Array([1, 2]), [2]);
  const writers: [string, (p: string, ts: Record<string, Tensor>, md?: Record<string, string>) => Promise<void>][] = [
    ['writeSafetensors', (p, ts, md) => writeSafetensors(p, ts, md)],
    ['writeSafetensorsSync', async (p, ts, md) => writeSafetensorsSync(p, ts, md)],
    ['SafetensorsWriter', async (p, ts, md) => {
      const w = new SafetensorsWriter(p, Object.entries(ts).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape.slice() })), md);
      try {
        for (const [k, t] of Object.entries(ts)) w.write(k, t);
      } catch (e) {
        w.abort();
        throw e;
      }
      w.close();
    }],
  ];

  test.each(writers)('%s: a tensor named __proto__ (own key, as Object.fromEntries makes it) is written into the header', async (_n, write) => {
    const p = path.join(tmp, `proto-${_n}.safetensors`);
    const ts = Object.fromEntries([['__proto__', t4()], ['b', t4()]]) as Record<string, Tensor>;
    await write(p, ts, Object.fromEntries([['__proto__', 'meta']]));
    const buf = fs.readFileSync(p);
    const header = buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString();
    expect(header).toContain('"__proto__":{"dtype":"F32"');
    const back = readSafetensorsSync(p);
    expect(Object.keys(back).sort()).toEqual(['__proto__', 'b']);
    expect(rawBytes(back.__proto__).equals(rawBytes(ts.__proto__))).toBe(true);
    expect(Object.entries(SafetensorsFile.open(p).metadata)).toEqual([['__proto__', 'meta']]);
  });

  test.each(writers)('%s: a lone surrogate in a name, metadata key or metadata value is a LoraValueError, nothing written', async (_n, write) => {
    const p = path.join(tmp, `sur-${_n}.safetensors`);
    await expect(write(p, { 'a\ud800': t4() })).rejects.toThrow(LoraValueError);
    await expect(write(p, { a: t4() }, { k: '\udc00' })).rejects.toThrow(LoraValueError);
    await expect(write(p, { a: t4() }, { ['\ud800k']: 'v' })).rejects.toThrow(LoraValueError);
    expect(fs.existsSync(p)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith(`sur-${_n}`))).toEqual([]);
  });

  test.each(writers)('%s: non-string metadata values are a LoraValueError', async (_n, write) => {
    const p = path.join(tmp, `md-${_n}.safetensors`);
    await expect(write(p, { a: t4() }, { k: 1 } as unknown as Record<string, string>)).rejects.toThrow(LoraValueError);
    expect(fs.existsSync(p)).toBe(false);
  });

  test.each(writers)('%s: tensors in the reference\'s order (alignment descending, then name as UTF-8 bytes): each starts aligned', async (_n, write) => {
    const p = path.join(tmp, `order-${_n}.safetensors`);
    const ts: Record<string, Tensor> = {
      h: Tensor.zeros([3], 'f16'), b: Tensor.zeros([1], 'bf16'), s: Tensor.zeros([1], 'f32'), d: Tensor.zeros([2], 'f64'),
      // UTF-16 order puts the emoji (D83D…) before U+FF61; UTF-8 order (F0… vs EF…) after it, as Rust's str order does.
      '\u{1F600}': Tensor.zeros([1], 'f32'), '\uff61': Tensor.zeros([1], 'f32'),
    };
    await write(p, ts);
    const h = parseSafetensorsHeader(fs.readFileSync(p));
    const order = h.entries.slice().sort((x, y) => x.begin - y.begin || x.end - y.end).map((e) => e.name);
    expect(order).toEqual(['d', 's', '\uff61', '\u{1F600}', 'b', 'h']);
    expect(h.dataStart % 8).toBe(0);
    const size = { f64: 8, f32: 4, bf16: 2, f16: 2 };
    for (const e of h.entries) expect((h.dataStart + e.begin) % size[e.dtype]).toBe(0);
    for (const [k, t] of Object.entries(readSafetensorsSync(p))) expect(rawBytes(t).equals(rawBytes(ts[k]))).toBe(true);
  });
});

describe('13. numbers in the header are JSON numbers, exactly as JSON.parse and serde_json read them', () => {
  test('a leading zero (01, 04, 00) is not JSON: refused wherever it appears, as JSON.parse refuses it', async () => {
    for (const n of ['04', '00', '01']) expect(() => JSON.parse(`[${n}]`)).toThrow(SyntaxError);
    await expectRefused(file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,04]}}`, bytes(4)), /not valid JSON/);
    await expectRefused(file(`{"a":{"dtype":"F32","shape":[01],"data_offsets":[0,4]}}`, bytes(4)), /not valid JSON/);
    await expectRefused(file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[00,0]}}`), /not valid JSON/);
    await expectRefused(file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":01}}`, bytes(4)), /not valid JSON/);
  });

  test('fractions of several digits and exponents (e or E, after any integer part) are numbers: read in an unknown field', async () => {
    const x = '[1.25,10.125,0.5e1,1E2,1e2,12E-3,123456789012345e2,1234567890123456.75,-7.875]';
    expect(JSON.parse(x)).toHaveLength(9);
    await expectRead(file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":${x}}}`, bytes(4)), { a: { shape: [1], data: bytes(4) } });
  });

  test('the largest u64, 18446744073709551615 (2^64 − 1), is a dimension the header holds; 2^64 is not', () => {
    const h = (d: string) => file(`{"a":{"dtype":"F32","shape":[0,${d}],"data_offsets":[0,0]},"b":${F32([0, 4])}}`, bytes(4));
    const ok = parseSafetensorsHeader(h('18446744073709551615'));
    expect(ok.entries.map((e) => e.name)).toEqual(['b']);
    expect(ok.unsupported.map((u) => u.name)).toEqual(['a']);
    expect(() => parseSafetensorsHeader(h('18446744073709551616'))).toThrow(/shape must be an array of non-negative integers/);
  });

  test('nesting depth counts the containers still open, not those already closed: 300 tensors, 300 sibling objects in a field', async () => {
    const n = 300;
    const entries = Array.from({ length: n }, (_, i) => `"t${i}":${F32([4 * i, 4 * i + 4])}`);
    const b = file(`{${entries.join(',')}}`, bytes(4 * n));
    expect(parseSafetensorsHeader(b).entries).toHaveLength(n);
    expect(Object.keys(parseSafetensors(b))).toHaveLength(n);
    const siblings = `[${Array.from({ length: n }, () => '{"k":[[]]}').join(',')}]`;
    await expectRead(file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":${siblings}}}`, bytes(4)), { a: { shape: [1], data: bytes(4) } });
  });
});
