import { DType } from '../dtype';
import { Tensor } from '../tensor';
export interface SafetensorsEntry {
    name: string;
    dtype: DType;
    shape: number[];
    /** Byte range relative to the start of the data section (after the header). */
    begin: number;
    end: number;
}
export interface SafetensorsHeader {
    entries: SafetensorsEntry[];
    metadata: Record<string, string>;
    /** Absolute byte offset of the data section: 8 + N. */
    dataStart: number;
}
/** Parses and validates the JSON header (given the header bytes and the size of the data section that follows). */
export declare function parseHeaderJson(json: Uint8Array, headerLen: number, dataLen: number, what: string): SafetensorsHeader;
/** Validated header of an in-memory safetensors file. */
export declare function parseSafetensorsHeader(bytes: Uint8Array | ArrayBuffer, what?: string): SafetensorsHeader;
export interface ParseOptions {
    /** Always copy the data (the result then does not keep `bytes` alive). Default false: view where aligned. */
    copy?: boolean;
    /** Only these tensor names (missing names are an error). */
    names?: string[];
}
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
    readonly path: string;
    readonly header: SafetensorsHeader;
    private fd;
    private readonly byName;
    private constructor();
    static open(p: string): SafetensorsFile;
    get names(): string[];
    get metadata(): Record<string, string>;
    has(name: string): boolean;
    entry(name: string): SafetensorsEntry;
    /** Reads one tensor into new storage. */
    get(name: string): Tensor;
    close(): void;
}
/** Reads every tensor (or `names`) of a file; a path ending in .index.json is read as a sharded checkpoint. */
export declare function readSafetensorsSync(p: string, options?: {
    names?: string[];
}): Record<string, Tensor>;
export declare function readSafetensors(p: string, options?: {
    names?: string[];
}): Promise<Record<string, Tensor>>;
/** Shard index: tensor name → shard file (relative to the index's directory). */
export declare function readShardIndex(indexPath: string): Record<string, string>;
export declare function readSafetensorsShardedSync(indexPath: string, options?: {
    names?: string[];
}): Record<string, Tensor>;
export declare function readSafetensorsSharded(indexPath: string, options?: {
    names?: string[];
}): Promise<Record<string, Tensor>>;
/** Writes to `path` (via a temporary file renamed into place, so a reader never sees a half-written file). */
export declare function writeSafetensorsSync(p: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void;
export declare function writeSafetensors(p: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void>;
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
export declare function openSafetensors(p: string): TensorStore;
/**
 * Streams tensors into a safetensors file whose layout (names, dtypes, shapes) is known up front: the header is
 * written first, each tensor as it becomes available (any order), so only one tensor need be in memory.
 * close() checks every tensor was written and renames the file into place.
 */
export declare class SafetensorsWriter {
    readonly path: string;
    private fd;
    private readonly tmp;
    private readonly slots;
    constructor(path: string, layoutOf: {
        name: string;
        dtype: DType;
        shape: number[];
    }[], metadata?: Record<string, string>);
    write(name: string, t: Tensor): void;
    /** Finishes the file; throws (and removes it) if a declared tensor was never written. */
    close(): void;
    /** Abandons the file. */
    abort(): void;
}
