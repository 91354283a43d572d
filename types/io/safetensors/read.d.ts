import { Tensor } from '../../tensor';
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
export declare function isIndex(p: string): boolean;
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
