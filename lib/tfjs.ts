/**
 * loraga/tfjs, the TensorFlow.js entry (declared in types/tfjs.d.ts): tf.Tensor ↔ Tensor conversion, the LoraDense
 * layer, a tf.Optimizer running the fused AdamW step, one-step gradient estimation of a model's Dense layers, whole-model LoRA-GA / LoRA-One / PiSSA / LoRA, merge
 * and PEFT export / import. It loads `@tensorflow/tfjs` (an optional peer dependency); the main entry never does.
 */
export type * from '../types/tfjs';
export { fromTf, toTf, isTfTensor, zeroCopyBackend } from './tfjs/convert';
export { LoraDense, loraDenseOp } from './tfjs/lora-dense';
export { NativeAdamW, adamw } from './tfjs/optimizer';
export { estimateGradients } from './tfjs/estimate';
export { loraModel, mergeLora } from './tfjs/model';
export { loraLayers, exportPeft } from './tfjs/export';
export { importPeft } from './tfjs/import';
