import { Tensor } from '../../tensor';
import { SafetensorsEntry, SafetensorsHeader } from './header';
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
