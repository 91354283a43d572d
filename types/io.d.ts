/*
 * safetensors: read and write f32/f64/bf16/f16 tensors (https://github.com/huggingface/safetensors format:
 * u64 little-endian header length N, N bytes of JSON header, then the raw little-endian data).
 *
 * Readers accept exactly the files the reference implementation (the `safetensors` package) accepts, except that
 * duplicate JSON keys, which the format disallows, are always refused (README, "safetensors"). Every header field
 * is checked before any data is touched: a corrupt, truncated or ambiguous file gives a LoraFormatError naming the
 * file and the problem, never a crash and never a read past the end of the data. Results keyed by tensor name are
 * null-prototype objects, so every name (`__proto__`, `constructor`) is an ordinary key. Tensors parsed from an
 * in-memory buffer are zero-copy views where the data offset is aligned to the element size (else copied); tensors
 * read from a file are read straight into their own storage, one tensor at a time, so a caller can load only the
 * names it needs (bounded memory for large checkpoints). Sharded checkpoints: model.safetensors.index.json.
 */
import type { DType } from './dtype';
import type { Tensor } from './tensor';

/** One tensor of a safetensors header. */
export interface SafetensorsEntry {
  name: string;
  dtype: DType;
  /** As stored; [] for a scalar (read as a tensor of shape [1]). */
  shape: number[];
  /** Byte range relative to the start of the data section (after the header). */
  begin: number;
  end: number;
}

/**
 * A tensor a valid file holds that loraga cannot load: its dtype is not one of F32, F64, BF16, F16 (I64, U8,
 * F8_E4M3FNUZ, …), or a dimension is above 2^53 − 1 (possible only in an empty tensor). Asking for it is a
 * LoraDTypeError (dtype) or LoraShapeError (shape) saying `reason`; the file's other tensors read normally.
 */
export interface SafetensorsUnsupported {
  name: string;
  /** The safetensors dtype as stored, e.g. 'I64'. */
  dtype: string;
  reason: string;
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** The tensors loraga can read, in header order. */
  entries: SafetensorsEntry[];
  /** The file's other tensors (valid, but not loadable here), in header order. */
  unsupported: SafetensorsUnsupported[];
  /** The __metadata__ strings (e.g. {format: 'pt'}); a null-prototype object, so any key (`__proto__`) is data. */
  metadata: Record<string, string>;
  /** Absolute byte offset of the data section: 8 + N. */
  dataStart: number;
}

/** Options of parseSafetensors. */
export interface ParseOptions {
  /** Always copy the data (the result then does not keep `bytes` alive). Default false: view where aligned. */
  copy?: boolean;
  /**
   * Only these tensor names (a missing name is a LoraFormatError). Without it every tensor is read, so a file
   * holding an unsupported tensor (SafetensorsHeader.unsupported) is refused; with it, only the asked-for ones count.
   */
  names?: string[];
}

/** Validated header of an in-memory safetensors file (`what` names it in errors). */
export declare function parseSafetensorsHeader(bytes: Uint8Array | ArrayBuffer, what?: string): SafetensorsHeader;
/**
 * Tensors of an in-memory safetensors file. Zero-copy where each tensor's absolute offset is a multiple of its
 * element size (the tensors then share memory with `bytes`), otherwise copied into aligned storage.
 */
export declare function parseSafetensors(bytes: Uint8Array | ArrayBuffer, options?: ParseOptions): Record<string, Tensor>;

/**
 * An open safetensors file: header validated against the file size; tensors read on demand, each into its own
 * (aligned) storage. Use for large checkpoints where only some tensors are needed at a time. close() when done.
 */
export declare class SafetensorsFile {
  /** Use SafetensorsFile.open. */
  private constructor(p: string, fd: number, header: SafetensorsHeader);
  /** Opens `p` and validates its header (LoraFormatError naming the file and the problem). */
  static open(p: string): SafetensorsFile;
  /** The file's path as given to open(). */
  readonly path: string;
  /** The validated header. */
  readonly header: SafetensorsHeader;
  /** Every tensor name: the readable ones in header order, then the unsupported ones. */
  get names(): string[];
  /** The __metadata__ strings. */
  get metadata(): Record<string, string>;
  /** Whether the file holds a tensor `name` (also an unsupported one). */
  has(name: string): boolean;
  /** Header entry (dtype, shape, byte range) without reading the data; LoraDTypeError/LoraShapeError if unsupported. */
  entry(name: string): SafetensorsEntry;
  /** Reads one tensor into new storage. */
  get(name: string): Tensor;
  /** Closes the file (idempotent); get() then throws LoraValueError. */
  close(): void;
}

/** Reads every tensor (or `names`) of a file; a path ending in .index.json is read as a sharded checkpoint. */
export declare function readSafetensorsSync(p: string, options?: { names?: string[] }): Record<string, Tensor>;
/** readSafetensorsSync without blocking: files up to 1 GiB in one read, larger ones tensor by tensor. */
export declare function readSafetensors(p: string, options?: { names?: string[] }): Promise<Record<string, Tensor>>;
/** Shard index: tensor name → shard file (relative to the index's directory). */
export declare function readShardIndex(indexPath: string): Record<string, string>;
/** Every tensor (or `names`) of a sharded checkpoint, given its model.safetensors.index.json. */
export declare function readSafetensorsShardedSync(indexPath: string, options?: { names?: string[] }): Record<string, Tensor>;
/** readSafetensorsShardedSync, yielding to other work between shards. */
export declare function readSafetensorsSharded(indexPath: string, options?: { names?: string[] }): Promise<Record<string, Tensor>>;

/**
 * Tensors by name from a single file or a sharded checkpoint (…index.json), read on demand one at a time.
 * For whole-model work with bounded memory: only the tensor being used is resident.
 */
export interface TensorStore {
  /** Every tensor name (of all shards). */
  readonly names: string[];
  /** Whether a tensor `name` exists. */
  has(name: string): boolean;
  /** Header entry (dtype, shape) without reading the data. */
  entry(name: string): SafetensorsEntry;
  /** Reads one tensor into new storage. */
  get(name: string): Tensor;
  /** Closes every file opened. */
  close(): void;
}

/** A TensorStore over a .safetensors file or a sharded checkpoint's .index.json (shards opened on first use). */
export declare function openSafetensors(p: string): TensorStore;

/**
 * Writes to `p` (via a temporary file renamed into place, so a reader never sees a half-written file), laid out
 * as the reference lays it out: header padded with spaces to a multiple of 8, tensors by descending dtype size,
 * then by name (UTF-8 byte order), so each starts aligned to its element size. Names and metadata must be
 * well-formed Unicode (a lone surrogate is a LoraValueError: JSON cannot carry it), metadata values strings.
 */
export declare function writeSafetensorsSync(p: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void;
/** writeSafetensorsSync without blocking. */
export declare function writeSafetensors(p: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void>;

/**
 * Streams tensors into a safetensors file whose layout (names, dtypes, shapes) is known up front: the header is
 * written first, each tensor as it becomes available (any order), so only one tensor need be in memory.
 * close() checks every tensor was written and renames the file into place.
 */
export declare class SafetensorsWriter {
  /** The destination (written as `path.tmp-<pid>` until close()). */
  readonly path: string;
  /**
   * Creates `path`'s temporary file and writes the header for `layoutOf` (every tensor; laid out in the order
   * writeSafetensorsSync uses, whatever the order given). LoraValueError for a duplicate or invalid name, a lone
   * surrogate, or a non-string metadata value.
   */
  constructor(path: string, layoutOf: { name: string; dtype: DType; shape: number[] }[], metadata?: Record<string, string>);
  /** Writes tensor `name`, which must have the declared dtype and shape. */
  write(name: string, t: Tensor): void;
  /** Finishes the file; throws (and removes it) if a declared tensor was never written. */
  close(): void;
  /** Abandons the file. */
  abort(): void;
}
