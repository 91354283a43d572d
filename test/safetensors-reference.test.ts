/**
 * loraga's safetensors I/O side by side with the reference implementation (python `safetensors`, Rust core), run
 * as one python process per batch (test/helpers/st_reference.py): valid files both ways bit-exact, and a seeded
 * corpus of mutated files (test/helpers/st-corpus.ts) on which loraga accepts exactly what the reference accepts,
 * with the same tensors. The one deliberate difference: a header with a repeated JSON key, which the format
 * disallows and the reference reads (keeping the last tensor or metadata value of that name), is refused here.
 * Skipped, with the reason printed, where no python has safetensors and numpy (scripts/build/python-deps.sh).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  DType, LoraFormatError, SafetensorsFile, SafetensorsWriter, Tensor, parseSafetensors, parseSafetensorsHeader, readSafetensorsSync,
  writeSafetensorsSync,
} from '../lib';
import { describeWithPython } from './helpers/python';
import { randTensor, rng } from './helpers/ref';
import { makeCorpus } from './helpers/st-corpus';

const { describe: withPython, python } = describeWithPython(['safetensors', 'numpy']);
const SCRIPT = path.join(__dirname, 'helpers', 'st_reference.py');
const ST: Record<DType, string> = { f32: 'F32', f64: 'F64', bf16: 'BF16', f16: 'F16' };

interface RefTensor { name: string; dtype: string; shape: string[]; data: string }
type RefLoad = { ok: true; tensors: RefTensor[]; metadata: Record<string, string> | null; dup_keys: boolean } | { ok: false; error: string; dup_keys: boolean };

/** Runs st_reference.py `mode` on `job` (written to a file: the corpus is too big for argv). */
function reference<T>(mode: 'load' | 'write', job: unknown, dir: string): T {
  const jobPath = path.join(dir, `${mode}-job.json`);
  fs.writeFileSync(jobPath, JSON.stringify(job));
  const r = spawnSync(python, [SCRIPT, mode, jobPath], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`st_reference.py ${mode} failed (${r.status}): ${r.error?.message ?? ''}${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

function hex(t: Tensor): string {
  const d = t.data;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
}

type Verdict = { ok: true; tensors: Map<string, { dtype: string; shape: string[]; data: string | null }>; metadata: [string, string][] } | { ok: false; error: string };

/** What loraga makes of a file: in memory and from disk (both must agree), with every error a LoraFormatError. */
function loragaRead(bytes: Buffer, p: string): Verdict {
  let fromFile: boolean;
  try {
    SafetensorsFile.open(p).close();
    fromFile = true;
  } catch (e) {
    if (!(e instanceof LoraFormatError)) throw e;
    fromFile = false;
  }
  try {
    const h = parseSafetensorsHeader(bytes);
    if (!fromFile) throw new Error(`${p}: parseSafetensorsHeader accepts what SafetensorsFile.open refuses`);
    const read = parseSafetensors(bytes, { names: h.entries.map((e) => e.name) });
    const tensors = new Map<string, { dtype: string; shape: string[]; data: string | null }>();
    for (const e of h.entries) tensors.set(e.name, { dtype: ST[e.dtype], shape: e.shape.map(String), data: hex(read[e.name]) });
    for (const u of h.unsupported ?? []) tensors.set(u.name, { dtype: u.dtype, shape: [], data: null });
    return { ok: true, tensors, metadata: Object.entries(h.metadata) };
  } catch (e) {
    if (!(e instanceof LoraFormatError)) throw e;
    if (fromFile) throw new Error(`${p}: SafetensorsFile.open accepts what parseSafetensorsHeader refuses (${e.message})`, { cause: e });
    return { ok: false, error: e.message };
  }
}

/** Differences between the two readings of one accepted file (empty when they agree). */
function compare(ref: Extract<RefLoad, { ok: true }>, got: Extract<Verdict, { ok: true }>): string[] {
  const diffs: string[] = [];
  const refNames = ref.tensors.map((t) => t.name).sort();
  const ourNames = [...got.tensors.keys()].sort();
  if (JSON.stringify(refNames) !== JSON.stringify(ourNames)) diffs.push(`names ${JSON.stringify(refNames)} vs ${JSON.stringify(ourNames)}`);
  for (const t of ref.tensors) {
    const g = got.tensors.get(t.name);
    if (!g) continue;
    if (g.dtype !== t.dtype) diffs.push(`${t.name}: dtype ${t.dtype} vs ${g.dtype}`);
    if (g.data === null) {
      // Unsupported here: a dtype we do not hold, or a dimension beyond 2^53 (an empty tensor).
      if (Object.values(ST).includes(t.dtype) && !t.shape.some((d) => BigInt(d) > BigInt(Number.MAX_SAFE_INTEGER))) diffs.push(`${t.name}: reported unsupported`);
      continue;
    }
    if (JSON.stringify(g.shape) !== JSON.stringify(t.shape)) diffs.push(`${t.name}: shape ${t.shape} vs ${g.shape}`);
    if (g.data !== t.data) diffs.push(`${t.name}: data differs`);
  }
  const refMd = Object.entries(ref.metadata ?? {}).sort();
  if (JSON.stringify(refMd) !== JSON.stringify(got.metadata.slice().sort())) diffs.push(`metadata ${JSON.stringify(refMd)} vs ${JSON.stringify(got.metadata)}`);
  return diffs;
}

withPython('safetensors: loraga and the reference implementation read the same files the same way', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-stref-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** Tensors for the valid-file tests: every dtype, odd sizes, an empty one, names whose UTF-8 and UTF-16 orders differ. */
  function sampleTensors(seed: number): Record<string, Tensor> {
    const r = rng(seed);
    const ts: Record<string, Tensor> = Object.create(null);
    const names = ['w', 'layer.0.q_proj.weight', '__proto__', 'ü', '\uff61', '\u{1F600}', 'constructor', 'e'];
    names.forEach((name, i) => {
      const dt = (['f32', 'f64', 'bf16', 'f16'] as DType[])[Math.floor(r() * 4)];
      const shape = name === 'e' ? [0, 3] : [1 + Math.floor(r() * 5), 1 + Math.floor(r() * 3)];
      ts[name] = randTensor(shape, seed * 100 + i, dt).t;
    });
    return ts;
  }

  test('files the reference writes are read bit-exact (tensors, shapes, dtypes, metadata); loraga writes the same bytes', () => {
    const sets = [0, 1, 2, 3].map((s) => ({ tensors: sampleTensors(s + 1), metadata: s === 0 ? null : s === 3 ? { format: 'pt', '__proto__': 'p', note: 'ü' } : { format: 'pt' } }));
    const files = sets.map((set, i) => ({
      path: path.join(tmp, `ref-${i}.safetensors`),
      metadata: set.metadata,
      tensors: Object.entries(set.tensors).map(([name, t]) => ({ name, dtype: ST[t.dtype], shape: t.shape, data: hex(t) })),
    }));
    // A scalar (shape []): loraga reads it as shape [1].
    files.push({ path: path.join(tmp, 'ref-scalar.safetensors'), metadata: null, tensors: [{ name: 's', dtype: 'F64', shape: [], data: Buffer.from(new Float64Array([2.5]).buffer).toString('hex') }] });
    expect(reference<(string | null)[]>('write', { files }, tmp)).toEqual(files.map(() => null));
    files.forEach((f, i) => {
      const bytes = fs.readFileSync(f.path);
      for (const back of [readSafetensorsSync(f.path), parseSafetensors(bytes)]) {
        expect(Object.keys(back).sort()).toEqual(f.tensors.map((t) => t.name).sort());
        for (const t of f.tensors) {
          expect(ST[back[t.name].dtype]).toBe(t.dtype);
          expect(back[t.name].shape).toEqual(t.shape.length ? t.shape : [1]);
          expect(hex(back[t.name])).toBe(t.data);
        }
      }
      expect(Object.entries(parseSafetensorsHeader(bytes).metadata).sort()).toEqual(Object.entries(f.metadata ?? {}).sort());
      // Same layout and header text; with 2+ metadata keys the reference's order is its hash map's, so not compared.
      if (i < sets.length && Object.keys(f.metadata ?? {}).length <= 1) {
        const ours = path.join(tmp, `ours-${i}.safetensors`);
        writeSafetensorsSync(ours, sets[i].tensors, sets[i].metadata ?? undefined);
        expect(fs.readFileSync(ours).equals(bytes)).toBe(true);
      }
    });
  });

  test('files loraga writes (writeSafetensorsSync, SafetensorsWriter) are read by the reference bit-exact', () => {
    const cases = [0, 1, 2].map((s) => ({ tensors: sampleTensors(10 + s), metadata: s === 0 ? undefined : { format: 'pt', '__proto__': 'p', 'ü': 'v\u0001"' } }));
    const paths: string[] = [];
    cases.forEach((c, i) => {
      const a = path.join(tmp, `ours-sync-${i}.safetensors`);
      writeSafetensorsSync(a, c.tensors, c.metadata);
      const b = path.join(tmp, `ours-writer-${i}.safetensors`);
      const w = new SafetensorsWriter(b, Object.entries(c.tensors).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape.slice() })), c.metadata);
      for (const [k, t] of Object.entries(c.tensors).reverse()) w.write(k, t);
      w.close();
      paths.push(a, b);
    });
    const got = reference<RefLoad[]>('load', { files: paths }, tmp);
    got.forEach((g, j) => {
      const c = cases[Math.floor(j / 2)];
      if (!g.ok) throw new Error(`the reference refuses ${paths[j]}: ${g.error}`);
      expect(g.tensors.map((t) => t.name).sort()).toEqual(Object.keys(c.tensors).sort());
      for (const t of g.tensors) {
        const want = c.tensors[t.name];
        expect([t.dtype, t.shape, t.data]).toEqual([ST[want.dtype], want.shape.map(String), hex(want)]);
      }
      expect(g.metadata ?? {}).toEqual({ ...Object.fromEntries(Object.entries(c.metadata ?? {})) });
    });
  });

  test('on a seeded corpus of mutated files, loraga accepts exactly what the reference accepts, and reads the same tensors', () => {
    const corpus = makeCorpus(18, 440);
    const paths = corpus.map((_, i) => path.join(tmp, `c${i}.safetensors`));
    corpus.forEach((c, i) => fs.writeFileSync(paths[i], c.bytes));
    const ref = reference<RefLoad[]>('load', { files: paths }, tmp);
    const disagreements: string[] = [];
    let refAccepts = 0, dupExcused = 0, bothAccept = 0;
    corpus.forEach((c, i) => {
      const r = ref[i];
      const ours = loragaRead(c.bytes, paths[i]);
      if (r.ok) refAccepts++;
      // The one deliberate difference: duplicate keys (disallowed by the format) are refused here.
      const expectOk = r.ok && !r.dup_keys;
      if (r.ok && r.dup_keys && !ours.ok) dupExcused++;
      if (ours.ok !== expectOk) {
        disagreements.push(`${c.label}: reference ${r.ok ? 'accepts' : `refuses (${r.error})`}, loraga ${ours.ok ? 'accepts' : `refuses (${ours.error})`}`);
      } else if (r.ok && ours.ok) {
        bothAccept++;
        const diffs = compare(r, ours);
        if (diffs.length) disagreements.push(`${c.label}: read differently: ${diffs.join('; ')}`);
      }
    });
    if (process.env.LORAGA_ST_REPORT)
      console.info(`corpus ${corpus.length}: reference accepts ${refAccepts}, refuses ${corpus.length - refAccepts}; both accept ${bothAccept}; duplicate-key files refused here only ${dupExcused}; disagreements ${disagreements.length}`);
    expect(disagreements).toEqual([]);
    // The corpus is not degenerate: both verdicts are common, so a reader that accepts or refuses everything fails.
    expect(refAccepts).toBeGreaterThan(corpus.length * 0.25);
    expect(corpus.length - refAccepts).toBeGreaterThan(corpus.length * 0.25);
  });
});
