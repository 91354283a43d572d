/** openSafetensors: tensors by name from one file or a sharded checkpoint, read on demand (a TensorStore). */
import * as path from 'path';
import type { TensorStore } from '../../../types/io';
import { SafetensorsFile } from './file';
import { fail } from './header';
import { isIndex, shardMap } from './read';

export function openSafetensors(p: string): TensorStore {
  if (!isIndex(p)) {
    const f = SafetensorsFile.open(p);
    return { names: f.names, has: (n) => f.has(n), entry: (n) => f.entry(n), get: (n) => f.get(n), close: () => f.close() };
  }
  const map = shardMap(p);
  const dir = path.dirname(p);
  const open = new Map<string, SafetensorsFile>();
  const file = (n: string) => {
    const shard = map.get(n) ?? fail(p, `no tensor named ${JSON.stringify(n)} in weight_map`);
    let f = open.get(shard);
    if (!f) { f = SafetensorsFile.open(path.join(dir, shard)); open.set(shard, f); }
    return f;
  };
  return {
    names: [...map.keys()],
    has: (n) => map.has(n),
    entry: (n) => file(n).entry(n),
    get: (n) => file(n).get(n),
    close: () => { for (const f of open.values()) f.close(); open.clear(); },
  };
}
