/**
 * The safetensors format (u64 little-endian header length N, N bytes of JSON header, then the raw little-endian
 * data) and the validation of its header: every field is checked before any data is touched, so a corrupt or
 * truncated file gives a LoraFormatError naming the file and the problem, never a crash or a read past the end.
 */
import { DType } from '../../dtype';
export declare const TO_ST: Record<DType, string>;
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
export declare function fail(what: string, msg: string): never;
/** Parses and validates the JSON header (given the header bytes and the size of the data section that follows). */
export declare function parseHeaderJson(json: Uint8Array, headerLen: number, dataLen: number, what: string): SafetensorsHeader;
/** Reads the u64 header length and checks it against the total size. */
export declare function headerLength(first8: Uint8Array, total: number, what: string): number;
export declare function asBytes(bytes: Uint8Array | ArrayBuffer | SharedArrayBuffer): Uint8Array;
/** Validated header of an in-memory safetensors file. */
export declare function parseSafetensorsHeader(bytes: Uint8Array | ArrayBuffer, what?: string): SafetensorsHeader;
export declare function pick(h: SafetensorsHeader, names: string[] | undefined, what: string): SafetensorsEntry[];
/** Tensor shape for an entry: safetensors scalars (shape []) become [1], since our tensors have rank ≥ 1. */
export declare function tensorShape(e: SafetensorsEntry): number[];
