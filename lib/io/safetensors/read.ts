/**
 * Reading whole safetensors files into tensors: from an in-memory buffer (zero-copy views where aligned), from a
 * file (sync, or async with one read for files up to 1 GiB), or from a sharded checkpoint (model.safetensors.index.json).
 */
import { ioError, withIO } from '../fs-errors';
import * as fs from 'fs';
import * as path from 'path';
import type { ParseOptions } from '../../../types/io';
import { allocStorage, bytesPerElement, tagOf, viewStorage } from '../../dtype';
import { Tensor } from '../../tensor';
import { SafetensorsFile } from './file';
import { asBytes, fail, parseSafetensorsHeader, pick, tensorShape } from './header';

/** Files up to this size are read whole (one read, then a copy per tensor); larger ones tensor by tensor. */
const WHOLE_FILE_LIMIT = 1 << 30;

/** Results keyed by tensor name have no prototype: `__proto__` or `toString` is then a name like any other. */
function byName<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

export function parseSafetensors(bytes: Uint8Array | ArrayBuffer, options: ParseOptions = {}): Record<string, Tensor> {
  return parseInto(bytes, options, false, 'safetensors');
}

/**
 * `ownBuffer`: the bytes are the library's own allocation (readSafetensors), so views of them are owned too. `what`
 * starts every error: the file's path when the bytes are a file's, so that its errors read as readSafetensorsSync's.
 */
function parseInto(bytes: Uint8Array | ArrayBuffer, options: ParseOptions, ownBuffer: boolean, what: string): Record<string, Tensor> {
  const b = asBytes(bytes);
  const h = parseSafetensorsHeader(b, what);
  const out = byName<Tensor>();
  // Tensors never view shared memory (another thread could change it under an op): bytes in a SharedArrayBuffer are
  // copied, aligned or not, as options.copy would.
  const copy = !!options.copy || tagOf(b.buffer) === 'SharedArrayBuffer';
  for (const e of pick(h, options.names, what)) {
    const bpe = bytesPerElement(e.dtype);
    const n = (e.end - e.begin) / bpe;
    const abs = b.byteOffset + h.dataStart + e.begin;
    let storage, owned = true;
    if (!copy && abs % bpe === 0) {
      storage = viewStorage(e.dtype, b.buffer, abs, n);
      owned = ownBuffer;  // zero-copy views of a caller's bytes are borrowed (read-only)
    } else {
      storage = allocStorage(e.dtype, n);
      new Uint8Array(storage.buffer).set(b.subarray(h.dataStart + e.begin, h.dataStart + e.end));
    }
    out[e.name] = new Tensor(storage, tensorShape(e), e.dtype, owned);
  }
  return out;
}

export function isIndex(p: string): boolean {
  return p.endsWith('.index.json');
}

export function readSafetensorsSync(p: string, options: { names?: string[] } = {}): Record<string, Tensor> {
  if (isIndex(p)) return readSafetensorsShardedSync(p, options);
  const f = SafetensorsFile.open(p);
  try {
    const out = byName<Tensor>();
    for (const nm of options.names ?? f.names) out[nm] = f.get(nm);
    return out;
  } finally {
    f.close();
  }
}

export async function readSafetensors(p: string, options: { names?: string[] } = {}): Promise<Record<string, Tensor>> {
  if (isIndex(p)) return readSafetensorsSharded(p, options);
  const size = (await fs.promises.stat(p).catch((e) => { throw ioError(e, p, 'read'); })).size;
  if (size > WHOLE_FILE_LIMIT) {
    // Large checkpoints: tensor by tensor into their own storage (readFile caps at 2 GiB and would double memory).
    const f = SafetensorsFile.open(p);
    try {
      const out = byName<Tensor>();
      for (const nm of options.names ?? f.names) {
        out[nm] = f.get(nm);
        await new Promise((r) => setImmediate(r));
      }
      return out;
    } finally {
      f.close();
    }
  }
  const buf = await fs.promises.readFile(p).catch((e) => { throw ioError(e, p, 'read'); });
  // Each tensor copied into storage of its own, never a view of the file buffer: a view would keep the whole file
  // alive for a subset (`names`), and transferring one tensor's memory would detach every other tensor of the file.
  return parseInto(buf, { names: options.names, copy: true }, true, p);
}

export function readShardIndex(indexPath: string): Record<string, string> {
  const out = byName<string>();
  for (const [k, v] of shardMap(indexPath)) out[k] = v;
  return out;
}

/** weight_map of a shard index as a Map (tensor name → shard file name, checked to stay in the index's folder). */
export function shardMap(indexPath: string): Map<string, string> {
  let obj: unknown;
  try {
    obj = JSON.parse(withIO(indexPath, 'read', () => fs.readFileSync(indexPath, 'utf8')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw e;
    fail(indexPath, `not valid JSON (${(e as Error).message})`);
  }
  const wm = (obj as { weight_map?: unknown } | null)?.weight_map;
  if (wm === null || typeof wm !== 'object' || Array.isArray(wm)) fail(indexPath, 'missing "weight_map" object');
  const out = new Map<string, string>();
  // JSON.parse makes every key, `__proto__` included, an own property, so Object.entries sees them all.
  for (const [k, v] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof v !== 'string' || v.includes('..') || path.isAbsolute(v)) fail(indexPath, `weight_map[${JSON.stringify(k)}] must be a shard file name, got ${JSON.stringify(v)}`);
    out.set(k, v);
  }
  return out;
}

function groupByShard(indexPath: string, names?: string[]): Map<string, string[]> {
  const map = shardMap(indexPath);
  const dir = path.dirname(indexPath);
  const groups = new Map<string, string[]>();
  for (const nm of names ?? map.keys()) {
    const shard = map.get(nm) ?? fail(indexPath, `no tensor named ${JSON.stringify(nm)} in weight_map`);
    const full = path.join(dir, shard);
    if (!groups.has(full)) groups.set(full, []);
    groups.get(full)!.push(nm);
  }
  return groups;
}

export function readSafetensorsShardedSync(indexPath: string, options: { names?: string[] } = {}): Record<string, Tensor> {
  const out = byName<Tensor>();
  for (const [file, names] of groupByShard(indexPath, options.names)) {
    const part = readSafetensorsSync(file, { names });
    for (const nm of names) out[nm] = part[nm];
  }
  return out;
}

export async function readSafetensorsSharded(indexPath: string, options: { names?: string[] } = {}): Promise<Record<string, Tensor>> {
  const out = byName<Tensor>();
  for (const [file, names] of groupByShard(indexPath, options.names)) {
    const f = SafetensorsFile.open(file);
    try {
      for (const nm of names) out[nm] = f.get(nm);
    } finally {
      f.close();
    }
    await new Promise((r) => setImmediate(r)); // let other work run between shards
  }
  return out;
}
