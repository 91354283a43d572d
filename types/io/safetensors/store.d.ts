import { Tensor } from '../../tensor';
import { SafetensorsEntry } from './header';
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
