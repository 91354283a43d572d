/**
 * Hostile safetensors without the python reference (issue 13, "Files"): the seeded mutation corpus of
 * test/helpers/st-corpus.ts (header lengths past EOF, overlapping and out-of-range offsets, huge shapes, invalid
 * UTF-8, deep nesting, …) plus random byte flips, truncations and insertions over valid files written by loraga,
 * through every reader (in memory zero-copy and copying, header only, whole file sync and async, on demand). The
 * property: each reader accepts the file or throws a LoraError subclass — never a RangeError/TypeError from a
 * read out of bounds, never a crash; what it accepts has exactly the bytes its shape needs, and a zero-copy tensor
 * lies inside the caller's buffer. (safetensors-reference.test.ts checks *which* files are accepted, against the
 * reference implementation, where python is available.) Set LORAGA_ST_REPORT=1 to print the counts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  LoraError, Tensor, bytesPerElement, openSafetensors, parseSafetensors, parseSafetensorsHeader, readSafetensors,
  readSafetensorsSync, SafetensorsFile, writeSafetensorsSync,
} from '../lib';
import { makeCorpus } from './helpers/st-corpus';
import { rng } from './helpers/ref';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-stfuzz-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Valid files of a few tensors each (every dtype, zero-size and scalar-like shapes), as loraga writes them. */
function validFiles(seed: number, count: number): Buffer[] {
  const r = rng(seed), out: Buffer[] = [];
  const dts = ['f32', 'f64', 'bf16', 'f16'] as const;
  for (let i = 0; i < count; i++) {
    const tensors: Record<string, Tensor> = {};
    for (let j = Math.floor(r() * 4); j >= 0; j--) {
      const shape = [Math.floor(r() * 4), Math.floor(r() * 5) + 1].slice(r() < 0.3 ? 1 : 0);
      tensors[`t${j}.weight`] = Tensor.randn(shape, dts[Math.floor(r() * 4)], 'cpu', i * 10 + j);
    }
    const p = path.join(tmp, `valid-${seed}-${i}.safetensors`);
    writeSafetensorsSync(p, tensors, r() < 0.5 ? { format: 'pt' } : undefined);
    out.push(fs.readFileSync(p));
  }
  return out;
}

/** One random corruption of a valid file: flipped bytes, a truncation, inserted or deleted bytes. */
function corrupt(b: Buffer, r: () => number): { label: string; bytes: Buffer } {
  const at = (n: number) => Math.floor(r() * n);
  const kind = ['flip', 'flip', 'flip-header', 'truncate', 'insert', 'delete', 'length'][at(7)];
  const x = Buffer.from(b);
  const headerEnd = 8 + Number(b.readBigUInt64LE(0));
  switch (kind) {
    case 'flip': for (let k = 1 + at(4); k > 0; k--) x[at(x.length)] ^= 1 << at(8); return { label: kind, bytes: x };
    case 'flip-header': for (let k = 1 + at(3); k > 0; k--) x[8 + at(headerEnd - 8)] = at(256); return { label: kind, bytes: x };
    case 'truncate': return { label: kind, bytes: x.subarray(0, at(x.length)) };
    case 'insert': { const p = at(x.length); return { label: kind, bytes: Buffer.concat([x.subarray(0, p), Buffer.from([at(256), at(256)]), x.subarray(p)]) }; }
    case 'delete': { const p = at(x.length); return { label: kind, bytes: Buffer.concat([x.subarray(0, p), x.subarray(p + 1 + at(3))]) }; }
    default: x.writeBigUInt64LE(BigInt([0, headerEnd - 9, headerEnd - 7, x.length, x.length + 1, 2 ** 53, 2 ** 62][at(7)]), 0); return { label: 'header length', bytes: x };
  }
}

/** Every tensor a reader accepted holds exactly its shape's bytes; zero-copy ones lie inside `within`. */
function checkAccepted(ts: Record<string, Tensor>, within?: Uint8Array): string | null {
  for (const [name, t] of Object.entries(ts)) {
    const d = t.data;
    if (d.byteLength !== t.size * bytesPerElement(t.dtype)) return `${name}: ${d.byteLength} bytes for ${t.size} × ${t.dtype}`;
    if (within && d.buffer === within.buffer && !(d.byteOffset >= within.byteOffset && d.byteOffset + d.byteLength <= within.byteOffset + within.byteLength))
      return `${name}: a zero-copy view outside the caller's bytes`;
  }
  return null;
}

test('mutated and corrupted files: every reader accepts or throws a LoraError, and what it accepts is in bounds', async () => {
  const r = rng(1313);
  const files = [
    ...makeCorpus(77, 1500),
    ...validFiles(5, 150).flatMap((b) => Array.from({ length: 10 }, () => corrupt(b, r))),
  ];
  const outcomes = new Map<string, number>(), bad: string[] = [];
  const note = (reader: string, o: string) => outcomes.set(`${reader}: ${o}`, (outcomes.get(`${reader}: ${o}`) ?? 0) + 1);
  const attempt = async (reader: string, label: string, f: () => unknown): Promise<void> => {
    try {
      const res = await f();
      const err = res && typeof res === 'object' && 'bad' in res ? (res as { bad: string | null }).bad : null;
      if (err) bad.push(`${reader} on ${label}: ${err}`);
      note(reader, 'accepted');
    } catch (e) {
      if (e instanceof LoraError) note(reader, e.name);
      else { note(reader, `UNTYPED ${(e as Error).name}`); bad.push(`${reader} on ${label}: ${(e as Error).name}: ${(e as Error).message}`); }
    }
  };
  for (let i = 0; i < files.length; i++) {
    const { label, bytes } = files[i];
    // Zero-copy over a slice of a bigger buffer: a read past the file's end would land in the neighbours' bytes.
    const host = Buffer.alloc(bytes.length + 64, 0xee);
    bytes.copy(host, 32);
    const view = host.subarray(32, 32 + bytes.length);
    await attempt('parseSafetensors', label, () => ({ bad: checkAccepted(parseSafetensors(view), view) }));
    await attempt('parseSafetensors copy', label, () => ({ bad: checkAccepted(parseSafetensors(view, { copy: true })) }));
    await attempt('parseSafetensorsHeader', label, () => parseSafetensorsHeader(view));
    if (i % 4 === 0) {  // the file readers, on a quarter of them (disk I/O)
      const p = path.join(tmp, `m${i}.safetensors`);
      fs.writeFileSync(p, bytes);
      await attempt('readSafetensorsSync', label, () => ({ bad: checkAccepted(readSafetensorsSync(p)) }));
      await attempt('readSafetensors', label, async () => ({ bad: checkAccepted(await readSafetensors(p)) }));
      await attempt('SafetensorsFile', label, () => {
        const f = SafetensorsFile.open(p);
        try { return { bad: checkAccepted(Object.fromEntries(f.names.map((n) => [n, f.get(n)]))) }; } finally { f.close(); }
      });
      await attempt('openSafetensors', label, () => {
        const s = openSafetensors(p);
        try { return { bad: checkAccepted(Object.fromEntries(s.names.map((n) => [n, s.get(n)]))) }; } finally { s.close(); }
      });
      fs.rmSync(p);
    }
  }
  if (process.env.LORAGA_ST_REPORT) console.log(`safetensors fuzz: ${files.length} files\n${[...outcomes].map(([k, n]) => `  ${k}: ${n}`).join('\n')}`);
  expect(bad).toEqual([]);
  // not vacuous: the corpus has both files every reader accepts and files every reader refuses
  for (const reader of ['parseSafetensors', 'readSafetensorsSync', 'SafetensorsFile']) {
    expect([reader, (outcomes.get(`${reader}: accepted`) ?? 0) > 20]).toEqual([reader, true]);
    expect([reader, (outcomes.get(`${reader}: LoraFormatError`) ?? 0) > 100]).toEqual([reader, true]);
  }
}, 120_000);
