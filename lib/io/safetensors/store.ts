/** openSafetensors: tensors by name from one file or a sharded checkpoint, read on demand (a TensorStore). */
import * as path from 'path';
import { Tensor } from '../../tensor';
import { SafetensorsFile } from './file';
import { SafetensorsEntry, fail } from './header';
import { isIndex, readShardIndex } from './read';

/**
 * Tensors by name from a single file or a sharded checkpoint (…index.json), read on demand one at a time.
 * For whole-model work with bounded memory: only the tensor being used is resident.
 */
export interface TensorStore {
  readonly names: string[];
  has(name: string): boolean;
  /** Header entry (dtype, shape) without reading the data. */
  entry(name: string): SafetensorsEntry;
  get(name: string): Tensor;
  close(): void;
}

export function openSafetensors(p: string): TensorStore {
  if (!isIndex(p)) {
    const f = SafetensorsFile.open(p);
    return { names: f.names, has: (n) => f.has(n), entry: (n) => f.entry(n), get: (n) => f.get(n), close: () => f.close() };
  }
  const map = readShardIndex(p);
  const dir = path.dirname(p);
  const open = new Map<string, SafetensorsFile>();
  const file = (n: string) => {
    const shard = map[n] ?? fail(p, `no tensor named '${n}' in weight_map`);
    let f = open.get(shard);
    if (!f) { f = SafetensorsFile.open(path.join(dir, shard)); open.set(shard, f); }
    return f;
  };
  return {
    names: Object.keys(map),
    has: (n) => n in map,
    entry: (n) => file(n).entry(n),
    get: (n) => file(n).get(n),
    close: () => { for (const f of open.values()) f.close(); open.clear(); },
  };
}
