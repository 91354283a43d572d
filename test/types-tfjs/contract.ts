/**
 * loraga/tfjs: the implementation (lib/tfjs.ts) satisfies the hand-kept contract (types/tfjs.d.ts), and documented
 * misuse fails to compile. `npm run test:types` compiles this; nothing runs. A separate program from test/types
 * because TF.js's own declarations need the DOM lib and do not pass skipLibCheck: false (so this file is a .ts, which
 * skipLibCheck never skips).
 */
import * as tf from '@tensorflow/tfjs';
import * as impl from '../../lib/tfjs';
import type * as api from '../../types/tfjs';
import { Tensor } from '../../types';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

// Every declared value is exported with an assignable type, and nothing undeclared is exported.
export const values: typeof api = impl;
export type NoUndeclaredExports = Assert<Same<keyof typeof impl, keyof typeof api>>;
export type LoraDenseMembers = Assert<Same<keyof impl.LoraDense, keyof api.LoraDense>>;
export type NativeAdamWMembers = Assert<Same<keyof impl.NativeAdamW, keyof api.NativeAdamW>>;

export async function use(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor, t: Tensor): Promise<void> {
  // Conversions: fromTf gives an f32 tensor whose data is a Float32Array (no cast), toTf a tf.Tensor.
  const lt = impl.fromTf(xs);
  const f: Float32Array = lt.data;
  const back: tf.Tensor = impl.toTf(t, { copy: false });
  // A Tensor<'f32'>'s data goes straight into TF.js.
  tf.tensor2d(impl.fromTf(xs, { copy: true }).data, [2, 2]);
  // @ts-expect-error fromTf takes a tf.Tensor, not a loraga Tensor
  impl.fromTf(t);
  // @ts-expect-error unknown option (copy)
  impl.toTf(t, { share: true });
  // @ts-expect-error a plain Tensor's data is the union: not a Float32Array without narrowing
  const u: Float32Array = t.data;
  if (t.isF32()) { const n: Float32Array = t.data; void n; }

  // The model helpers.
  const est = await impl.estimateGradients(model, [{ xs, ys }], { targets: ['fc1'] });
  const { model: lora, modules } = await impl.loraModel(model, { rank: 4, alpha: 8, data: [{ xs, ys }], targets: /fc\d/ });
  await impl.loraModel(model, { rank: 4, alpha: 8, gradients: est, method: 'lora-one' });
  // @ts-expect-error rank is required
  await impl.loraModel(model, { alpha: 8, data: [{ xs, ys }] });
  // @ts-expect-error fanInFanOut is not an option of loraModel (Dense kernels are [in, out] by definition)
  await impl.loraModel(model, { rank: 4, alpha: 8, method: 'pissa', fanInFanOut: true });
  // @ts-expect-error 'svd' is not a method
  await impl.loraModel(model, { rank: 4, alpha: 8, method: 'svd' });
  const merged: tf.LayersModel = await impl.mergeLora(lora);
  const layer = new impl.LoraDense({ units: 4, rank: 2, scale: 2, activation: 'relu' });
  const asLayer: tf.layers.Layer = layer;
  // @ts-expect-error units is required
  new impl.LoraDense({ rank: 2, scale: 2 });
  await impl.exportPeft('/tmp/x', lora, { names: { fc1: 'model.fc1' }, taskType: 'CAUSAL_LM' });
  const imported: tf.LayersModel = await impl.importPeft('/tmp/x', model, { names: { fc1: 'model.fc1' } });
  // @ts-expect-error importPeft takes names only
  await impl.importPeft('/tmp/x', model, { rank: 2 });
  // The optimizer is a tf.Optimizer, for model.compile.
  const opt: tf.Optimizer = impl.adamw({ lr: 1e-3, betas: [0.9, 0.99], weightDecay: 0.01 });
  lora.compile({ optimizer: opt, loss: 'meanSquaredError' });
  // @ts-expect-error the core AdamW's names: betas, not beta1
  impl.adamw({ lr: 1e-3, beta1: 0.9 });
  // @ts-expect-error lr is required
  new impl.NativeAdamW({ eps: 1e-8 });
  void [f, back, u, modules, merged, asLayer, imported];
}
