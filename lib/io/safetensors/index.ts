/**
 * safetensors: read and write f32/f64/bf16/f16 tensors (https://github.com/huggingface/safetensors format:
 * u64 little-endian header length N, N bytes of JSON header, then the raw little-endian data).
 *
 * Every header field is checked before any data is touched: a corrupt or truncated file gives a LoraFormatError
 * naming the file and the problem, never a crash and never a read past the end of the data. Tensors parsed from an
 * in-memory buffer are zero-copy views where the data offset is aligned to the element size (else copied); tensors
 * read from a file are read straight into their own storage, one tensor at a time, so a caller can load only the
 * names it needs (bounded memory for large checkpoints). Sharded checkpoints: model.safetensors.index.json.
 */
export { parseSafetensorsHeader } from './header';
export type { SafetensorsEntry, SafetensorsHeader } from './header';
export { SafetensorsFile } from './file';
export {
  parseSafetensors, readSafetensors, readSafetensorsSync, readSafetensorsSharded, readSafetensorsShardedSync, readShardIndex,
} from './read';
export type { ParseOptions } from './read';
export { openSafetensors } from './store';
export type { TensorStore } from './store';
export { writeSafetensors, writeSafetensorsSync, SafetensorsWriter } from './write';
