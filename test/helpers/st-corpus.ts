/**
 * A seeded corpus of safetensors files for the differential test against the reference: valid files of random
 * tensors, dtypes, names and metadata, each then mutated by one of the kinds issue 18 lists (byte flips, header
 * length, holes, zero-size entries, duplicate keys, number forms, u64 overflow, invalid UTF-8, surrogate escapes,
 * nesting depth, dtype names, unknown fields, text around the header). Files are made from header *text* so that a
 * mutation can write what JSON.stringify never would.
 */
import { rng } from './ref';

export interface CorpusFile {
  /** The mutation applied, for messages. */
  label: string;
  bytes: Buffer;
}

/** Safetensors dtypes with their sizes in bits (the reference's list). */
const BITS: Record<string, number> = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, C64: 64, F64: 64, I64: 64, U64: 64,
};
const OURS = ['F32', 'F64', 'BF16', 'F16'];
const OTHERS = ['I64', 'U8', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'BOOL', 'F4', 'I32', 'C64'];
const NAMES = ['w', 'layer.0.weight', 'b', '__proto__', 'constructor', 'toString', 'ü', '😀', 'a"b', 'tab\t', '', 'x/y'];
/** U+E000 (EE 80 80) marks where invalid UTF-8 bytes go in a name. */
const MARK = '\ue000';

interface Entry {
  key: string; // raw JSON text of the key, quotes included
  dtype: string; // raw JSON text
  shape: string[]; // raw JSON number texts
  offs: [string, string];
  extra: string; // raw text of further members, each starting with ','
  dupField: boolean;
}
interface Model {
  members: ({ entry: Entry } | { raw: string })[]; // raw: `"key":value` text of a non-entry member
  data: Buffer;
  before: string; // text before the object
  after: string; // text after it (inside the header length)
  lengthDelta: number;
  tail: Buffer | number; // bytes appended, or how many to cut off the end
  badUtf8?: Buffer; // replaces MARK's bytes
}

function renderEntry(e: Entry): string {
  const dup = e.dupField ? `"dtype":${e.dtype},` : '';
  return `{${dup}"dtype":${e.dtype},"shape":[${e.shape.join(',')}],"data_offsets":[${e.offs.join(',')}]${e.extra}}`;
}

function render(m: Model, pad: number): Buffer {
  const body = m.members.map((x) => ('raw' in x ? x.raw : `${x.entry.key}:${renderEntry(x.entry)}`)).join(',');
  let header = Buffer.from(`${m.before}{${body}}${m.after}${' '.repeat(pad)}`, 'utf8');
  if (m.badUtf8) {
    const at = header.indexOf(Buffer.from(MARK, 'utf8'));
    if (at >= 0) header = Buffer.concat([header.subarray(0, at), m.badUtf8, header.subarray(at + 3)]);
  }
  const pre = Buffer.alloc(8);
  pre.writeBigUInt64LE(BigInt(Math.max(0, header.length + m.lengthDelta)));
  let out = Buffer.concat([pre, header, m.data]);
  if (typeof m.tail === 'number') out = out.subarray(0, Math.max(0, out.length - m.tail));
  else out = Buffer.concat([out, m.tail]);
  return out;
}

export function makeCorpus(seed: number, count: number): CorpusFile[] {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)];
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

  function validModel(): Model {
    const n = 1 + int(4);
    const names = new Set<string>();
    while (names.size < n) names.add(pick(NAMES));
    const entries: Entry[] = [];
    let offset = 0;
    for (const name of names) {
      const dtype = r() < 0.8 ? pick(OURS) : pick(OTHERS);
      const shape = Array.from({ length: int(4) }, () => (r() < 0.1 ? 0 : 1 + int(4)));
      let count = shape.reduce((a, b) => a * b, 1);
      if ((count * BITS[dtype]) % 8 !== 0) { shape.push(4); count *= 4; } // sub-byte dtypes: whole bytes
      const size = (count * BITS[dtype]) / 8;
      entries.push({ key: JSON.stringify(name), dtype: JSON.stringify(dtype), shape: shape.map(String), offs: [String(offset), String(offset + size)], extra: '', dupField: false });
      offset += size;
    }
    // Header order independent of data order.
    const members: Model['members'] = entries.map((entry) => ({ entry })).sort(() => r() - 0.5);
    const md = pick([null, 'null', '{}', '{"format":"pt"}', '{"__proto__":"x","k":"ü"}']);
    if (md !== null) members.splice(int(members.length + 1), 0, { raw: `"__metadata__":${md}` });
    return { members, data: bytes(offset), before: '', after: '', lengthDelta: 0, tail: Buffer.alloc(0) };
  }

  /** Replaces the metadata member (one __metadata__ only: a second one is its own mutation). */
  const setMetadata = (m: Model, md: string) => {
    m.members = m.members.filter((x) => !('raw' in x));
    m.members.splice(int(m.members.length + 1), 0, { raw: `"__metadata__":${md}` });
  };
  const entriesOf = (m: Model) => m.members.flatMap((x) => ('entry' in x ? [x.entry] : []));
  const someEntry = (m: Model) => pick(entriesOf(m));

  const mutations: [string, (m: Model) => string | void][] = [
    ['valid', () => undefined],
    ['length field', (m) => { m.lengthDelta = pick([-9, -8, -3, -1, 1, 2, 8, 9]); }],
    ['trailing bytes', (m) => { m.tail = bytes(1 + int(8)); }],
    ['truncated', (m) => { m.tail = 1 + int(8); }],
    ['offset shifted', (m) => {
      const e = someEntry(m), i = int(2), d = pick([-8, -4, -2, -1, 1, 2, 4, 8]);
      e.offs[i] = String(Math.max(0, Number(e.offs[i]) + d));
      if (r() < 0.5) e.offs[1 - i] = String(Math.max(0, Number(e.offs[1 - i]) + d));
    }],
    ['zero-size entry', (m) => {
      // Half at a tensor boundary (where the reference allows one), half anywhere up to past the end.
      const bounds = entriesOf(m).flatMap((e) => e.offs);
      const at = r() < 0.5 ? pick(bounds) : String(int(m.data.length + 9));
      const shape = pick([['0'], ['0', '3'], ['2', '0']]);
      m.members.push({ entry: { key: '"zz"', dtype: JSON.stringify(pick([...OURS, 'I64'])), shape, offs: [at, at], extra: '', dupField: false } });
      return `at ${at} of ${m.data.length}`;
    }],
    ['duplicate field', (m) => { someEntry(m).dupField = true; }],
    ['duplicate __metadata__', (m) => { m.members.push({ raw: '"__metadata__":{"a":"b"}' }, { raw: '"__metadata__":{"a":"b"}' }); }],
    ['duplicate tensor name', (m) => {
      const e = someEntry(m);
      const copy = r() < 0.5 ? { ...e, offs: [...e.offs] as [string, string] } : { ...e, shape: ['0'], offs: ['0', '0'] as [string, string] };
      m.members.splice(int(m.members.length + 1), 0, { entry: copy });
    }],
    ['duplicate metadata key', (m) => { setMetadata(m, '{"k":"1","k":"2"}'); }],
    ['duplicate key in an unknown field', (m) => { someEntry(m).extra = ',"x":{"q":1,"q":2}'; }],
    ['number form', (m) => {
      const e = someEntry(m);
      const inShape = e.shape.length > 0 && r() < 0.5;
      const i = inShape ? int(e.shape.length) : int(2);
      const v = inShape ? e.shape[i] : e.offs[i];
      const form = pick([`${v}.0`, `${v}e0`, `${v}E0`, '-0', `0${v}`, `${v}.5`, `+${v}`, '18446744073709551616', `-${v}`, ` ${v} `]);
      if (inShape) e.shape[i] = form; else e.offs[i] = form;
      return form;
    }],
    ['u64 overflow', (m) => {
      // A further, empty entry at the end of the data whose element count is 0 or overflows u64 on the way.
      const [dt, shape] = pick([
        ['"F32"', ['4294967296', '4294967296', '0']], ['"F32"', ['0', '4294967296', '4294967296']],
        ['"F64"', ['2305843009213693952']], ['"F32"', ['0', '1152921504606846976']], ['"F32"', ['0', '18446744073709551615']],
        ['"I64"', ['0', '18446744073709551615', '2']], ['"F16"', ['3', '0', '6148914691236517205', '4']],
      ] as [string, string[]][]);
      const end = String(m.data.length);
      m.members.push({ entry: { key: '"zz"', dtype: dt, shape, offs: [end, end], extra: '', dupField: false } });
      return shape.join(',');
    }],
    ['invalid UTF-8', (m) => {
      const e = someEntry(m);
      e.key = JSON.stringify(JSON.parse(e.key) + MARK);
      m.badUtf8 = pick([Buffer.from([0xff]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from('é', 'utf8')]);
      return m.badUtf8.toString('hex');
    }],
    ['escape', (m) => {
      const esc = pick(['\\ud800', '\\udc00', '\\ud800\\u0041', '\\ud800\\ud800', '\\ud83d\\ude00', '\\u0061', '\\/', '\\x', '\\u00e9', '\\uD83D\\uDE00']);
      const where = int(3);
      if (where === 0) { const e = someEntry(m); e.key = `${e.key.slice(0, -1)}${esc}"`; } else if (where === 1) setMetadata(m, `{"k":"${esc}"}`); else someEntry(m).extra = `,"x":"${esc}"`;
      return esc;
    }],
    ['nesting', (m) => { const k = 122 + int(8); someEntry(m).extra = `,"x":${'['.repeat(k)}${']'.repeat(k)}`; return String(k + 2); }],
    ['dtype name', (m) => {
      const dt = pick([...Object.keys(BITS), 'constructor', 'toString', '__proto__', 'valueOf', 'f32', 'F32 ', '']);
      someEntry(m).dtype = JSON.stringify(dt);
      return dt;
    }],
    ['unknown field', (m) => {
      const v = pick(['1e400', '-1e400', '1e-400', '1180591620717411303424', '-0', '1.5', '9'.repeat(400), '0e99999', 'NaN', '01', 'null', '[1,{"a":[]}]', '"s"', 'true']);
      someEntry(m).extra = `,"x":${v}`;
      return v;
    }],
    ['text around the header', (m) => {
      const [before, after] = pick([['\ufeff', ''], [' \n\t\r', ''], ['', '\u0000'], ['', 'x'], ['', ' \t\n\r'], ['', '{}'], ['', ',']]);
      m.before = before; m.after = after;
      return JSON.stringify(before + after);
    }],
    ['__metadata__ value', (m) => {
      const md = pick(['null', '[]', '{"n":1}', '{"a":{"b":"c"}}', '"s"', '{"a":null}', '{}']);
      setMetadata(m, md);
      return md;
    }],
    ['header byte flip', () => 'flip'],
    ['data byte flip', () => 'flip'],
  ];

  const out: CorpusFile[] = [];
  for (let k = 0; k < count; k++) {
    const m = validModel();
    const [kind, mutate] = mutations[k % mutations.length];
    const note = mutate(m);
    let bytes = render(m, r() < 0.7 ? int(8) : 0);
    if (kind.endsWith('byte flip') && bytes.length > 8) {
      const n = Number(bytes.readBigUInt64LE(0));
      const [lo, hi] = kind === 'header byte flip' ? [8, 8 + n] : [8 + n, bytes.length];
      if (hi > lo) {
        bytes = Buffer.from(bytes);
        bytes[lo + int(hi - lo)] ^= 1 << int(8);
      }
    }
    out.push({ label: `#${k} ${kind}${note ? ` (${note})` : ''}`, bytes });
  }
  return out;
}
