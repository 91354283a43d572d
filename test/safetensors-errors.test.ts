// parseSafetensors' refusals, each with its exact message: the strict header parser (lib/io/safetensors/json.ts) and
// the layout check (header.ts: every data byte indexed by exactly one tensor). A file is 8 bytes of header length,
// the header JSON, then the data.
import * as vm from 'vm';
import { LoraFormatError, LoraValueError, parseSafetensors, parseSafetensorsHeader } from '../lib';
import { stFile as file } from './helpers/st-file';

const entry = (name: string, shape: number[], begin: number, end: number) => `"${name}":{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;

describe('layout: every data byte belongs to exactly one tensor', () => {
  test.each([
    ['a hole before the first tensor', `{${entry('a', [1], 4, 8)}}`, 8, 'safetensors: data bytes [0, 4) are indexed by no tensor (before entry "a" [4, 8]; holes are not allowed)'],
    ['two tensors overlapping', `{${entry('a', [1], 0, 4)},${entry('b', [1], 2, 6)}}`, 8, 'safetensors: entry "b" [2, 6] overlaps "a" [0, 4]'],
    ['offsets that end before they begin', `{${entry('a', [1], 0, 4)},${entry('b', [0], 4, 2)}}`, 4, 'safetensors: entry "b" [4, 2]: data_offsets end before they begin'],
    ['a shape that needs more bytes than its offsets', `{${entry('a', [2], 0, 4)}}`, 4, 'safetensors: entry "a" [0, 4]: shape [2] of F32 needs 8 bytes, data_offsets give 4'],
    ['a shape whose element count overflows u64', `{${entry('a', [2 ** 60, 2 ** 60], 0, 4)}}`, 4, 'safetensors: entry "a" [0, 4]: shape [1152921504606847000, 1152921504606847000] of F32: its element count overflows u64'],
    ['trailing bytes', `{${entry('a', [1], 0, 4)}}`, 6, 'safetensors: 2 trailing bytes after the last tensor are indexed by no tensor (holes are not allowed)'],
    ['a shape whose bits are not a whole number of bytes (F4 × 3)', '{"q":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}', 1, 'safetensors: entry "q" [0, 1]: shape [3] of F4: 3 elements of 4 bits are not a whole number of bytes'],
    ['a shape of exactly 2^64 − 1 elements: the count fits u64, its size in bits does not', '{"a":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,4]}}', 4, 'safetensors: entry "a" [0, 4]: shape [18446744073709551615] of F32: its size in bits overflows u64'],
    ['an odd element count above 2^53 of F4 is not a whole number of bytes either (exact u64 arithmetic)', '{"q":{"dtype":"F4","shape":[9007199254740993],"data_offsets":[0,1]}}', 1, 'safetensors: entry "q" [0, 1]: shape [9007199254740993] of F4: 9007199254740993 elements of 4 bits are not a whole number of bytes'],
  ])('%s is a LoraFormatError saying where', (_, header, data, msg) => {
    expect(() => parseSafetensors(file(header, data))).toThrow(new LoraFormatError(msg));
  });

  test('an empty tensor between two others owns no bytes; the next starts where the last non-empty one ended', () => {
    const t = parseSafetensors(file(`{${entry('a', [1], 0, 4)},${entry('e', [0], 4, 4)},${entry('b', [1], 4, 8)}}`, 8));
    expect(Object.keys(t).sort()).toEqual(['a', 'b', 'e']);
  });

  test('the layout is checked in offset order, whatever order the header lists the entries in; entries keep the header order', () => {
    // Names in another order than offsets (as a writer that sorts its keys by name writes them); at offset 4 an empty
    // tensor and a non-empty one, listed either way round; an empty tensor at 4 listed before the one that ends there.
    for (const keys of [['c', 'b', 'a'], ['e', 'a', 'c', 'b'], ['a', 'c', 'e', 'b'], ['b', 'e', 'a', 'c']]) {
      const all: Record<string, string> = { a: entry('a', [1], 0, 4), e: entry('e', [0], 4, 4), c: entry('c', [1], 4, 8), b: entry('b', [2], 8, 16) };
      const h = parseSafetensorsHeader(file(`{${keys.map((k) => all[k]).join(',')}}`, 16));
      expect(h.entries.map((e) => [e.name, e.begin, e.end])).toEqual(keys.map((k) => [k, ...({ a: [0, 4], e: [4, 4], c: [4, 8], b: [8, 16] } as Record<string, number[]>)[k]]));
    }
  });

  test('two tensors with the same bytes: the one listed second is named as overlapping the first', () => {
    expect(() => parseSafetensors(file(`{${entry('x', [1], 0, 4)},${entry('y', [1], 0, 4)}}`, 4))).toThrow(new LoraFormatError('safetensors: entry "y" [0, 4] overlaps "x" [0, 4]'));
    expect(() => parseSafetensors(file(`{${entry('y', [1], 0, 4)},${entry('x', [1], 0, 4)}}`, 4))).toThrow(new LoraFormatError('safetensors: entry "x" [0, 4] overlaps "y" [0, 4]'));
  });
});

describe('the header is strict JSON: refusals name what and where', () => {
  test.each([
    ['a key that is not a string', '{1:2}', 'expected a string key at character 1'],
    ["no ':' after a key", '{"a" 1}', "expected ':' at character 5"],
    ["no ',' between members", '{"a":1 "b":2}', "expected ',' or '}' at character 7"],
    ['a lone low surrogate', '{"\\udc00":1}', 'lone low surrogate in a \\u escape at character 2'],
    ['a high surrogate alone', '{"\\ud800":1}', 'lone high surrogate in a \\u escape at character 2'],
    ['a high surrogate before a non-surrogate escape', '{"\\ud800\\u0041":1}', 'lone high surrogate in a \\u escape at character 2'],
    ['a high surrogate before one past the low range', '{"\\ud800\\ue000":1}', 'lone high surrogate in a \\u escape at character 2'],
    ['an invalid \\u escape', '{"\\uzzzz":1}', 'invalid \\u escape at character 2'],
    ['an escape JSON does not have', '{"a\\x":1}', 'invalid escape at character 3'],
    ['a high surrogate before another escape whose text goes on like a \\u escape', '{"\\ud800\\ndc00":1}', 'lone high surrogate in a \\u escape at character 2'],
    ['a high surrogate before a plain character and a u', '{"\\ud800xudc00":1}', 'lone high surrogate in a \\u escape at character 2'],
    ["no ',' between array elements", '{"a":[1 2]}', "expected ',' or ']' at character 8"],
    ['an array that never ends', '{"a":[1', "expected ',' or ']' at character 7"],
    ['a minus sign with no digits', '{"a":-}', 'invalid number at character 5'],
    ['a number beyond a double, shown in full up to 40 characters', '{"a":1e400}', 'number out of range (1e400) at character 5'],
    ['a number beyond a double of exactly 40 characters, shown in full', `{"a":1.${'0'.repeat(34)}e400}`, `number out of range (1.${'0'.repeat(34)}e400) at character 5`],
    ['a number beyond a double of more than 40 characters, cut to its first 40', `{"a":1${'0'.repeat(400)}}`, `number out of range (1${'0'.repeat(39)}…) at character 5`],
    ['characters after the top-level object', '{} x', 'trailing characters after the value at character 3'],
    ['a member repeated after the eighth (duplicates are then found through an index; at 1 + 10·7)', `{${Array.from({ length: 10 }, (_, i) => `"k${i}":${i}`).join(',')},"k3":0}`, 'duplicate key "k3" at character 71'],
  ])('%s', (_, header, msg) => {
    expect(() => parseSafetensors(file(header, 0))).toThrow(new LoraFormatError(`safetensors: header is not valid JSON: ${msg}`));
  });

  test('a header that is JSON but not an object is refused as such', () => {
    for (const header of ['[]', '"x"', '1', 'null']) expect(() => parseSafetensors(file(header, 0))).toThrow(new LoraFormatError('safetensors: header must be a JSON object'));
  });

  test('__metadata__ that is not an object of strings is refused saying what is wrong, and for which key', () => {
    for (const header of ['{"__metadata__":[]}', '{"__metadata__":"pt"}', '{"__metadata__":1}']) {
      expect(() => parseSafetensors(file(header, 0))).toThrow(new LoraFormatError('safetensors: __metadata__ must be an object of strings'));
    }
    expect(() => parseSafetensors(file('{"__metadata__":{"format":"pt","n":3}}', 0))).toThrow(new LoraFormatError('safetensors: __metadata__["n"] must be a string'));
  });

  test('every short escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t) decodes to the character it stands for', () => {
    const t = parseSafetensors(file(`{"<\\"\\\\\\/\\b\\f\\n\\r\\t>":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4));
    expect(Object.keys(t)).toEqual(['<"\\/\b\f\n\r\t>']);
  });

  test('\\u escapes of the characters above the surrogates (U+E000 to U+FFFF) are those characters', () => {
    const t = parseSafetensors(file(`{"\\ue000\\uFFFF\\uabcd":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4));
    expect(Object.keys(t)).toEqual(['\ue000\uffff\uabcd']);
  });

  test('surrogate pairs at both ends of the low range decode to one character each', () => {
    for (const [esc, ch] of [['\\ud800\\udc00', '\u{10000}'], ['\\udbff\\udfff', '\u{10ffff}']]) {
      const t = parseSafetensors(file(`{"${esc}":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4));
      expect(Object.keys(t)).toEqual([ch]);
    }
  });
});

test('what is not bytes is a LoraValueError naming what it is', () => {
  expect(() => parseSafetensors([1, 2] as never)).toThrow(new LoraValueError('parseSafetensors: expected a Buffer, Uint8Array or ArrayBuffer, got Array'));
  expect(() => parseSafetensors(new Uint16Array(4) as never)).toThrow(new LoraValueError('parseSafetensors: expected a Buffer, Uint8Array or ArrayBuffer, got Uint16Array'));
});

test('an ArrayBuffer, or a SharedArrayBuffer, is read as the bytes it holds', () => {
  const bytes = file(`{${entry('x', [2], 0, 8)}}`, 8);
  bytes.writeFloatLE(1, bytes.length - 8);
  bytes.writeFloatLE(2, bytes.length - 4);
  const ab = new ArrayBuffer(bytes.length), sab = new SharedArrayBuffer(bytes.length);
  new Uint8Array(ab).set(bytes);
  new Uint8Array(sab).set(bytes);
  expect(Array.from(parseSafetensors(ab).x.data)).toEqual([1, 2]);
  for (const b of [ab, sab]) expect(parseSafetensorsHeader(b as ArrayBuffer).entries).toEqual([{ name: 'x', dtype: 'f32', shape: [2], begin: 0, end: 8 }]);
});

test('bytes in a SharedArrayBuffer are read into copies, aligned or not: no tensor views shared memory', () => {
  // Header padding of 0–3 spaces puts the f32 data at each offset mod 4: one aligned, three not.
  for (const pad of ['', ' ', '  ', '   ']) {
    const body = Buffer.from(`{${entry('x', [2], 0, 8)}}${pad}`);
    const bytes = Buffer.concat([Buffer.alloc(8), body, Buffer.alloc(8)]);
    bytes.writeBigUInt64LE(BigInt(body.length), 0);
    bytes.writeFloatLE(1, bytes.length - 8);
    bytes.writeFloatLE(2, bytes.length - 4);
    const sab = new SharedArrayBuffer(bytes.length);
    new Uint8Array(sab).set(bytes);
    for (const src of [sab, new Uint8Array(sab)]) {
      const x = parseSafetensors(src as ArrayBuffer).x;
      expect(Object.prototype.toString.call(x.data.buffer)).toBe('[object ArrayBuffer]');
      new Uint8Array(sab).fill(0xff, bytes.length - 8); // the source changes (to NaNs): x keeps its own values
      expect(Array.from(x.data)).toEqual([1, 2]);
      new Uint8Array(sab).set(bytes);
    }
  }
});

test('a Uint8Array from another realm (vm context, a worker) is bytes too: instanceof fails there, its tag does not', () => {
  const bytes = file(`{${entry('x', [2], 0, 8)}}`, 8);
  bytes.writeFloatLE(1, bytes.length - 8);
  bytes.writeFloatLE(2, bytes.length - 4);
  const foreign = vm.runInNewContext('new Uint8Array(n)', { n: bytes.length }) as Uint8Array;
  expect(foreign instanceof Uint8Array).toBe(false);
  foreign.set(bytes);
  expect(Array.from(parseSafetensors(foreign).x.data)).toEqual([1, 2]);
});
