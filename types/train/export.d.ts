import { DType } from '../dtype';
import { Tensor } from '../tensor';
import { LoraLinear } from './lora-linear';
export interface ExportLayer {
    /** Module path in the base model, e.g. "model.layers.0.self_attn.q_proj". */
    name: string;
    layer: LoraLinear;
}
export interface ExportOptions {
    /** Write rsLoRA scaling (α/√r) into the config. Must match how the layers' scale was chosen. Default false. */
    rsLora?: boolean;
    /** dtype of the written tensors (default f32). */
    dtype?: DType;
    baseModelName?: string | null;
}
export interface ExportedAdapter {
    tensors: Record<string, Tensor>;
    config: Record<string, unknown>;
    /** Per module: the rank and alpha written. */
    modules: Record<string, {
        r: number;
        alpha: number;
        converted: boolean;
    }>;
}
/** The adapter's tensors (PEFT key names) and config, in memory. */
export declare function peftAdapter(layers: ExportLayer[], options?: ExportOptions): ExportedAdapter;
/** Writes dir/adapter_model.safetensors and dir/adapter_config.json; returns what was written. */
export declare function exportPeftAdapter(dir: string, layers: ExportLayer[], options?: ExportOptions): ExportedAdapter;
