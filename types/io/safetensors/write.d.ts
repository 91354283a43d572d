import { DType } from '../../dtype';
import { Tensor } from '../../tensor';
/** Writes to `path` (via a temporary file renamed into place, so a reader never sees a half-written file). */
export declare function writeSafetensorsSync(p: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void;
export declare function writeSafetensors(p: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void>;
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
