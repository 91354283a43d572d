/**
 * safetensors I/O, declared and documented in types/io.d.ts: the format and header validation (header.ts, over the
 * strict JSON parser json.ts and the format's dtype table dtypes.ts), one file read on demand (file.ts), whole-file,
 * in-memory and sharded reads (read.ts), a store over a file or shards (store.ts), and writing (write.ts, in the
 * reference's layout: layout.ts).
 */
export { parseSafetensorsHeader } from './header';
export { SafetensorsFile } from './file';
export {
  parseSafetensors, readSafetensors, readSafetensorsSync, readSafetensorsSharded, readSafetensorsShardedSync, readShardIndex,
} from './read';
export { openSafetensors } from './store';
export { writeSafetensors, writeSafetensorsSync, SafetensorsWriter } from './write';
