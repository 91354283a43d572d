/**
 * Export of trained LoRA layers as a PEFT adapter (adapter_model.safetensors + adapter_config.json) that applies to
 * the ORIGINAL base weights. An init that offset W (LoRA-GA, PiSSA trained on W' = W − s·B₀·A₀) is converted to a
 * plain LoRA of rank 2r, as PEFT's save_pretrained(path_initial_model_mutation=…) does:
 *   W' + s·B·A = W + s·(B·A − B₀·A₀) = W + s·[B, −B₀]·[A; A₀]
 * keeping s by doubling lora_alpha (α/r) or multiplying it by √2 (α/√r with rsLoRA). Layers whose init left W alone
 * (plain LoRA, LoRA-One) are written as they are; differing ranks/alphas go to rank_pattern / alpha_pattern.
 */
import { DType } from '../dtype';
import { PeftAdapter } from '../peft/adapter';
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
    /** What writePeftAdapter writes: per module [A; A₀] / [B, −B₀] (or A / B), and the LoraConfig fields. */
    adapter: PeftAdapter;
    /** adapter_config.json as written. */
    config: Record<string, unknown>;
    /** Per module: the rank and alpha written, and whether the offset init was folded in (rank 2r). */
    modules: Record<string, {
        r: number;
        alpha: number;
        converted: boolean;
    }>;
}
/** The adapter (tensors in `dtype`, PEFT config) for these layers, in memory. */
export declare function peftAdapter(layers: ExportLayer[], options?: ExportOptions): ExportedAdapter;
/** Writes dir/adapter_model.safetensors and dir/adapter_config.json (via writePeftAdapter); returns what was written. */
export declare function exportPeftAdapter(dir: string, layers: ExportLayer[], options?: ExportOptions): Promise<ExportedAdapter>;
