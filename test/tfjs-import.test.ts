/** importPeft: a PEFT adapter written by exportPeft, read back into the ORIGINAL TF.js model, computes what the LoRA model did. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LoraShapeError, LoraValueError } from '../lib';
import { LoraDense, exportPeft, importPeft, loraModel, mergeLora } from '../lib/tfjs';
import { tfBackend, rel, tf } from './helpers/tfjs';

beforeAll(tfBackend);

const IN = 12, H = 16, OUT = 8;
function base(): tf.Sequential {
  const m = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [IN], units: H, activation: 'tanh', name: 'fc1', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }), biasInitializer: tf.initializers.randomNormal({ seed: 4 }) }),
    tf.layers.dense({ units: H, activation: 'tanh', name: 'fc2', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
    tf.layers.dense({ units: OUT, name: 'head', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }),
  ] });
  m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  return m;
}
const xs = () => tf.randomNormal([64, IN], 0, 1, 'float32', 11);
const ys = () => tf.randomNormal([64, OUT], 0, 1, 'float32', 12);
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-tfjs-import-'));

/** A LoRA model of `m` trained a few steps (so A and B are no longer their init). */
async function trained(m: tf.LayersModel, options: Record<string, unknown>): Promise<tf.LayersModel> {
  const x = xs(), y = ys();
  const { model } = await loraModel(m, { rank: 3, alpha: 6, data: [{ xs: x, ys: y }], ...options });
  model.compile({ optimizer: tf.train.adam(1e-2), loss: 'meanSquaredError' });
  await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
  return model;
}

describe('importPeft round trip', () => {
  test.each([
    ['LoRA-GA (offset folded in: rank 2r, α/r)', { method: 'loraga' }, {}, 6],
    ['LoRA-One, written with use_rslora (α/√r)', { method: 'lora-one' }, { rsLora: true }, 3],
  ])('%s: the imported model\'s outputs equal the trained LoRA model\'s (1e-5 relative) and only the adapters train', async (_, options, exportOptions, rank) => {
    const m = base(), lora = await trained(m, options), dir = tmp();
    try {
      await exportPeft(dir, lora, exportOptions);
      const back = await importPeft(dir, m);
      const x = xs();
      const want = (lora.predict(x) as tf.Tensor).dataSync(), got = (back.predict(x) as tf.Tensor).dataSync();
      expect(rel(got, want)).toBeLessThan(1e-5);
      // A LoRA model's outputs moved away from the base model's (so the check above is not base == base).
      expect(rel((m.predict(x) as tf.Tensor).dataSync(), want)).toBeGreaterThan(1e-3);
      const loras = back.layers.filter((l): l is LoraDense => l instanceof LoraDense);
      expect(loras.map((l) => [l.name, l.rank])).toEqual([['fc1', rank], ['fc2', rank], ['head', rank]]);
      expect(back.trainableWeights.map((w) => w.name.split('/').pop()!.replace(/_\d+$/, '')).sort()).toEqual(['lora_A', 'lora_A', 'lora_A', 'lora_B', 'lora_B', 'lora_B']);
      // Merged, both give the same Dense kernels.
      const [ma, mb] = [await mergeLora(lora), await mergeLora(back)];
      for (let l = 0; l < 3; l++) expect(rel(mb.layers[l].getWeights()[0].dataSync(), ma.layers[l].getWeights()[0].dataSync())).toBeLessThan(1e-5);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a rank/alpha pattern key that ends a module's name but not at a dot ('c2' and 'fc2') reaches no module, as in PEFT: imported with the module's own rank", async () => {
    const m = base(), lora = await trained(m, { method: 'lora-one' }), dir = tmp();
    try {
      await exportPeft(dir, lora);
      const cfgPath = path.join(dir, 'adapter_config.json'), cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
      fs.writeFileSync(cfgPath, JSON.stringify({ ...cfg, rank_pattern: { ...cfg.rank_pattern, c2: 5 }, alpha_pattern: { ...cfg.alpha_pattern, c2: 1 } }));
      const back = await importPeft(dir, m);
      const x = xs();
      expect(rel((back.predict(x) as tf.Tensor).dataSync(), (lora.predict(x) as tf.Tensor).dataSync())).toBeLessThan(1e-5);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('module names mapped by `names` as exportPeft wrote them; layers outside the adapter stay Dense and frozen', async () => {
    const m = base(), dir = tmp();
    try {
      const { model: lora } = await loraModel(m, { rank: 2, alpha: 4, method: 'lora', targets: ['fc2'], seed: 3 });
      // Plain LoRA's B is 0: give it values so that the adapter matters.
      (lora.getLayer('fc2') as LoraDense).setNamed({ lora_B: tf.randomNormal([H, 2], 0, 0.5, 'float32', 5) });
      const names = { fc2: 'model.layers.1.mlp' };
      await exportPeft(dir, lora, { names });
      await expect(importPeft(dir, m)).rejects.toThrow(/module 'model\.layers\.1\.mlp' is no layer/);
      const back = await importPeft(dir, m, { names });
      expect(back.layers.map((l) => l.getClassName())).toEqual(['Dense', 'LoraDense', 'Dense']);
      expect([back.layers[0].trainable, back.layers[2].trainable]).toEqual([false, false]);
      const x = xs();
      expect(rel((back.predict(x) as tf.Tensor).dataSync(), (lora.predict(x) as tf.Tensor).dataSync())).toBeLessThan(1e-5);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('importPeft misuse: typed errors', () => {
  let dir = '';
  let lora: tf.LayersModel;
  beforeAll(async () => {
    dir = tmp();
    lora = (await loraModel(base(), { rank: 2, alpha: 4, method: 'lora' })).model;
    await exportPeft(dir, lora);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('into a model that is already LoRA: LoraValueError saying to use the original', async () => {
    await expect(importPeft(dir, lora)).rejects.toThrow(LoraValueError);
    await expect(importPeft(dir, lora)).rejects.toThrow(/already a LoraDense/);
  });

  test('into a model whose kernels have other shapes: LoraShapeError naming the module', async () => {
    const other = tf.sequential({ layers: [
      tf.layers.dense({ inputShape: [IN + 1], units: H, name: 'fc1' }), tf.layers.dense({ units: H, name: 'fc2' }), tf.layers.dense({ units: OUT, name: 'head' }),
    ] });
    await expect(importPeft(dir, other)).rejects.toThrow(LoraShapeError);
    await expect(importPeft(dir, other)).rejects.toThrow(/module 'fc1'/);
  });

  test('a module naming a layer that is not Dense, and an unknown option: LoraValueError', async () => {
    const m = tf.sequential({ layers: [
      tf.layers.dense({ inputShape: [IN], units: H, name: 'fc1' }), tf.layers.activation({ activation: 'relu', name: 'fc2' }),
      tf.layers.dense({ units: OUT, name: 'head' }),
    ] });
    await expect(importPeft(dir, m)).rejects.toThrow(/a Activation, not a Dense layer/);
    await expect(importPeft(dir, base(), { name: {} } as never)).rejects.toThrow(/unknown option name/);
  });
});
