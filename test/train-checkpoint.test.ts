/** Checkpoint and resume: a resumed run is bit-identical to an uninterrupted one; a torn save never loads. */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  AdamW, LoraDisposedError, LoraFormatError, LoraIOError, LoraLinear, LoraShapeError, LoraValueError, LrSchedule, Rng, Tensor, initLoraGA, loadCheckpoint, loraPlus, param,
  readSafetensorsSync, saveCheckpoint, writeSafetensorsSync,
} from '../lib';
import { randTensor } from './helpers/ref';

const out = 12, inF = 10, rank = 2, N = 10, K = 4;
const W = randTensor([out, inF], 1).t, G = randTensor([out, inF], 2).t, target = randTensor([out, inF], 3).v;
const data = Array.from({ length: 6 }, (_, i) => randTensor([8, inF], 100 + i).t);

/** A fresh run: layer from the (deterministic) init with dropout and a trained bias, LoRA+, cosine schedule, Rng. */
function setup() {
  const layer = LoraLinear.fromInit(W, initLoraGA(W, G, { rank, alpha: 4, svd: 'exact' }), { dropout: 0.2, seed: 7, name: 'fc', bias: Tensor.zeros([out]), trainBias: true });
  const opt = loraPlus([layer], { lr: 1e-2, ratio: 4 });
  const schedule = new LrSchedule(opt, { kind: 'cosine', warmupSteps: 3, totalSteps: N });
  return { layer, opt, schedule, rng: new Rng(5) };
}

/** Training steps from..to-1: a random batch (Rng), loss ‖y − x·targetᵀ‖², clipping, step, schedule. */
function train(run: ReturnType<typeof setup>, from: number, to: number): void {
  for (let t = from; t < to; t++) {
    const x = data[run.rng.int(data.length)];
    const y = run.layer.forward(x), yd = y.toFloat64(), xd = x.toFloat64();
    const dY = new Float32Array(yd.length);
    for (let i = 0; i < 8; i++) for (let o = 0; o < out; o++) {
      let ty = 0;
      for (let j = 0; j < inF; j++) ty += xd[i * inF + j] * target[o * inF + j];
      dY[i * out + o] = 2 * (yd[i * out + o] - ty) / yd.length;
    }
    run.layer.backward(Tensor.from(dY, [8, out]));
    run.opt.clipGradNorm(0.05);
    run.opt.step();
    run.schedule.step();
  }
}

const bytes = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe('checkpoint and resume', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-ckpt-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const state = (r: ReturnType<typeof setup>, extra?: unknown) => ({ optimizer: r.opt, schedule: r.schedule, layers: [r.layer], rngs: { data: r.rng }, extra });

  test(`save at step ${K} of ${N}, resume in a fresh run: params, moments and rates bit-identical to the uninterrupted run`, async () => {
    const whole = setup();
    train(whole, 0, N);
    const first = setup();
    train(first, 0, K);
    await saveCheckpoint(path.join(dir, 'ck'), state(first, { epoch: 1 }));
    train(first, K, K + 2);  // the saving run goes on: the checkpoint must not change with it

    const resumed = setup();
    const info = await loadCheckpoint(path.join(dir, 'ck'), state(resumed));
    expect(info).toEqual({ step: K, extra: { epoch: 1 } });
    train(resumed, K, N);
    const names = ['A', 'B', 'bias'] as const;
    for (const n of names) {
      const a = n === 'bias' ? whole.layer.bias!.value : whole.layer[n].value, b = n === 'bias' ? resumed.layer.bias!.value : resumed.layer[n].value;
      expect(bytes(b).equals(bytes(a))).toBe(true);
    }
    const sa = whole.opt.stateDict(), sb = resumed.opt.stateDict();
    expect(Object.keys(sb.state)).toEqual(Object.keys(sa.state));
    for (const k of Object.keys(sa.state)) expect(bytes(sb.state[k]).equals(bytes(sa.state[k]))).toBe(true);
    expect(resumed.schedule.lrs()).toEqual(whole.schedule.lrs());
    expect(resumed.opt.stepCount).toBe(N);
    expect(resumed.rng.state).toBe(whole.rng.state);
    // Without the checkpoint the same continuation differs (the test can tell).
    const cold = setup();
    train(cold, K, N);
    expect(bytes(cold.layer.A.value).equals(bytes(whole.layer.A.value))).toBe(false);
  });

  test('killed (SIGKILL) at random moments while saving over and over: whatever loads is one whole save, never a mixture', async () => {
    // A child process saves checkpoint k (every param filled with k, stepCount k, extra k) for k = 1, 2, … until killed.
    const ck = path.join(dir, 'killed');
    const child = `
      const { AdamW, param, Tensor, saveCheckpoint } = require(${JSON.stringify(path.join(__dirname, '..', 'dist'))});
      const ps = [param(Tensor.zeros([64, 64]), 'a'), param(Tensor.zeros([256]), 'b')];
      const opt = new AdamW(ps, { lr: 1 });
      (async () => { for (let k = 1; ; k++) { for (const p of ps) p.value.data.fill(k); opt.stepCount = k; await saveCheckpoint(${JSON.stringify(ck)}, { optimizer: opt, extra: k }); if (k === 1) process.stdout.write('saved\\n'); } })();`;
    const { spawn } = await import('child_process');
    const { AdamW, param } = await import('../lib');
    let loaded = 0;
    for (let round = 0; round < 6; round++) {
      const proc = spawn(process.execPath, ['-e', child], { stdio: ['ignore', 'pipe', 'ignore'], env: process.env });
      // The kill lands inside the save loop whatever the start-up takes (seconds under the sanitizers): after the
      // child's first whole save, then 20–205 ms on, a different moment of the loop each round.
      await new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error('the child saved nothing in 30 s')), 30_000);
        proc.stdout!.once('data', () => { clearTimeout(t); res(undefined); });
      });
      await new Promise((res) => setTimeout(res, 20 + 37 * round));
      proc.kill('SIGKILL');
      await new Promise((res) => proc.once('exit', res));
      const ps = [param(Tensor.zeros([64, 64]), 'a'), param(Tensor.zeros([256]), 'b')];
      const opt = new AdamW(ps, { lr: 1 });
      let k: unknown;
      try {
        k = (await loadCheckpoint(ck, { optimizer: opt })).extra;
      } catch (e) {
        // Killed between moving the previous checkpoint aside and renaming the new one in: no checkpoint at ck.
        expect(e).toBeInstanceOf(LoraIOError);
        expect((e as InstanceType<typeof LoraIOError>).errno).toBe('ENOENT');
        continue;
      }
      loaded++;
      expect(typeof k).toBe('number');
      expect(opt.stepCount).toBe(k);
      for (const p of ps) expect(p.value.data.every((v) => v === k)).toBe(true);
    }
    expect(loaded).toBeGreaterThan(0);
  }, 60_000);

  test('a tensors file that does not match its JSON (torn or mixed) is LoraFormatError; nothing is changed', async () => {
    const ck = path.join(dir, 'torn');
    const run = setup();
    train(run, 0, 2);
    await saveCheckpoint(ck, state(run));
    const f = path.join(ck, 'training_state.safetensors');
    const b = fs.readFileSync(f);
    b[b.length - 1] ^= 1;                       // one flipped bit in the last moment
    fs.writeFileSync(f, b);
    const fresh = setup(), before = bytes(fresh.layer.A.value).slice();
    await expect(loadCheckpoint(ck, state(fresh))).rejects.toThrow(LoraFormatError);
    expect(bytes(fresh.layer.A.value).equals(before)).toBe(true);
    expect(fresh.opt.stepCount).toBe(0);
  });

  /**
   * A checkpoint of a run trained 2 steps, whose tensors `edit` changes; training_state.json's byte count and SHA-256
   * are then rewritten to match, so only the checks past the seal can refuse it.
   */
  async function savedThenResealed(ck: string, edit: (tensors: Record<string, Tensor>, json: Record<string, unknown>) => void): Promise<void> {
    const run = setup();
    train(run, 0, 2);
    await saveCheckpoint(ck, state(run));
    const f = path.join(ck, 'training_state.safetensors'), j = path.join(ck, 'training_state.json');
    const tensors = readSafetensorsSync(f), json = JSON.parse(fs.readFileSync(j, 'utf8'));
    edit(tensors, json);
    writeSafetensorsSync(f, tensors);
    const b = fs.readFileSync(f);
    json.tensors = { ...json.tensors, bytes: b.byteLength, sha256: crypto.createHash('sha256').update(b).digest('hex') };
    fs.writeFileSync(j, JSON.stringify(json));
  }

  test('a tensors file without a param tensor (its SHA-256 and size rewritten to match) is a LoraFormatError naming it', async () => {
    const ck = path.join(dir, 'noparam');
    await savedThenResealed(ck, (tensors) => { delete tensors['param.0']; });
    const fresh = setup();
    await expect(loadCheckpoint(ck, state(fresh))).rejects.toThrow(LoraFormatError);
    await expect(loadCheckpoint(ck, state(fresh))).rejects.toThrow(/param\.0 is missing/);
    expect(fresh.opt.stepCount).toBe(0);
  });

  test('a param tensor of another shape than training_state.json records (SHA-256 and size rewritten to match) is a LoraFormatError naming both, before anything changes', async () => {
    const ck = path.join(dir, 'param-size');
    let shape: number[] = [];
    await savedThenResealed(ck, (tensors, json) => {
      shape = (json.params as { shape: number[] }[])[0].shape;
      tensors['param.0'] = Tensor.zeros([shape[0], shape[1] + 1]); // the shape in training_state.json stays the optimizer's
    });
    const f = path.join(ck, 'training_state.safetensors');
    const fresh = setup(), p0 = fresh.opt.params[0];
    const before = Buffer.from(bytes(p0.value));
    await expect(loadCheckpoint(ck, state(fresh))).rejects.toThrow(new LoraFormatError(`loadCheckpoint: ${f}: param.0 is [${shape[0]}, ${shape[1] + 1}] f32, training_state.json records ${JSON.stringify(shape)}`));
    expect(fresh.opt.stepCount).toBe(0);
    expect(bytes(p0.value).equals(before)).toBe(true);
  });

  // Linux: the process's open file descriptors are the entries of /proc/self/fd.
  (fs.existsSync('/proc/self/fd') ? test : test.skip)('saveCheckpoint leaves no file open: saving over and over (a long run) does not run out of file descriptors', async () => {
    const ck = path.join(dir, 'fds');
    const run = setup();
    const openFds = () => fs.readdirSync('/proc/self/fd').length;
    await saveCheckpoint(ck, state(run));
    const before = openFds();
    for (let k = 0; k < 4; k++) {
      train(run, k, k + 1);
      await saveCheckpoint(ck, state(run));
    }
    expect(openFds()).toBe(before);
    expect((await loadCheckpoint(ck, state(setup()))).step).toBe(4);
  });

  test('another optimizer, schedule or set of layers is refused before anything changes; unknown state keys are errors', async () => {
    const ck = path.join(dir, 'other');
    const run = setup();
    train(run, 0, 2);
    await saveCheckpoint(ck, state(run));
    const fresh = setup();
    await expect(loadCheckpoint(ck, { ...state(fresh), schedule: new LrSchedule(fresh.opt, { kind: 'linear', totalSteps: N }) })).rejects.toThrow(/schedule kind/);
    await expect(loadCheckpoint(ck, { ...state(fresh), layers: [] })).rejects.toThrow(/dropout states/);
    await expect(loadCheckpoint(ck, { ...state(fresh), rngs: {} })).rejects.toThrow(/rngs/);
    const two = loraPlus([fresh.layer, setup().layer], { lr: 1e-2, ratio: 4 });
    await expect(loadCheckpoint(ck, { optimizer: two, layers: [fresh.layer], rngs: { data: fresh.rng } })).rejects.toThrow(LoraValueError);
    expect(fresh.opt.stepCount).toBe(0);
    await expect(saveCheckpoint(ck, { ...state(run), optimiser: run.opt } as never)).rejects.toThrow(/unknown option optimiser/);
  });
});

describe('a checkpoint loads only into the run it was saved from: each mismatch refused, saying what differs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-ckpt-refuse-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const mk = (names: (string | undefined)[] = ['w', 'b'], shapes: number[][] = [[3, 2], [3]]) => {
    const params = names.map((n, i) => param(Tensor.fromFloat64(randTensor(shapes[i], 60 + i).v, shapes[i]), n));
    const opt = new AdamW(params, { lr: 0.1 });
    return { params, opt };
  };

  test('the state must hold an Optimizer, an LrSchedule of that optimizer, and layers of distinct names; the dir a path', async () => {
    const { opt } = mk();
    const other = mk().opt;
    await expect(saveCheckpoint(path.join(dir, 'x'), { optimizer: {} as never })).rejects.toThrow(new LoraValueError('saveCheckpoint: state.optimizer must be an Optimizer'));
    await expect(loadCheckpoint(path.join(dir, 'x'), null as never)).rejects.toThrow(LoraValueError);
    await expect(saveCheckpoint(path.join(dir, 'x'), { optimizer: opt, schedule: {} as never })).rejects.toThrow(new LoraValueError('saveCheckpoint: state.schedule must be an LrSchedule'));
    await expect(saveCheckpoint(path.join(dir, 'x'), { optimizer: opt, schedule: new LrSchedule(other, { kind: 'constant' }) })).rejects.toThrow(new LoraValueError('saveCheckpoint: the schedule drives another optimizer'));
    const l = setup().layer;
    await expect(saveCheckpoint(path.join(dir, 'x'), { optimizer: opt, layers: [l, l] })).rejects.toThrow(new LoraValueError("saveCheckpoint: two layers are named 'fc'"));
    await expect(saveCheckpoint('', { optimizer: opt })).rejects.toThrow(new LoraValueError('saveCheckpoint: dir must be a non-empty path'));
    // Not a string at all (a JavaScript caller): the same LoraValueError, not a TypeError from path or .length.
    for (const notPath of [undefined, 42, ['x']])
      await expect(saveCheckpoint(notPath as never, { optimizer: opt })).rejects.toThrow(new LoraValueError('saveCheckpoint: dir must be a non-empty path'));
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('saving over a checkpoint replaces it whole and leaves no temporary or old directory; extra comes back (null when none)', async () => {
    const ck = path.join(dir, 'over');
    const a = mk();
    await saveCheckpoint(ck, { optimizer: a.opt, extra: { epoch: 3 } });
    await saveCheckpoint(ck, { optimizer: a.opt });
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('over'))).toEqual(['over']);
    expect(fs.readdirSync(ck).sort()).toEqual(['training_state.json', 'training_state.safetensors']);
    const text = fs.readFileSync(path.join(ck, 'training_state.json'), 'utf8');
    // A text file as every JSON file loraga writes (adapter_config.json too): ends with exactly one newline.
    expect(text.endsWith('}\n')).toBe(true);
    const json = JSON.parse(text);
    expect({ format: json.format, version: json.version, params: json.params, extra: json.extra, schedule: json.schedule })
      .toEqual({ format: 'loraga-training-state', version: 1, params: [{ name: 'w', shape: [3, 2], dtype: 'f32' }, { name: 'b', shape: [3], dtype: 'f32' }], extra: null, schedule: null });
    expect(await loadCheckpoint(ck, { optimizer: mk().opt })).toEqual({ step: 0, extra: null });
  });

  test('a save replaces only a previous checkpoint or an empty directory: a directory holding anything else, or a file, is refused and left as it was', async () => {
    const { opt } = mk();
    const home = fs.mkdtempSync(path.join(dir, 'replace-'));
    // A run's output folder (or the working directory, `saveCheckpoint('.')`): renaming over it would delete it.
    const busy = path.join(home, 'busy');
    fs.mkdirSync(path.join(busy, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(busy, 'adapter_config.json'), '{}');
    fs.writeFileSync(path.join(busy, 'training_state.json'), 'mine');
    for (const f of ['d.txt', 'c.txt', 'b.txt']) fs.writeFileSync(path.join(busy, f), f);
    await expect(saveCheckpoint(busy, { optimizer: opt })).rejects.toThrow(new LoraValueError(`saveCheckpoint: ${busy} holds files it did not write (adapter_config.json, b.txt, c.txt, …): refusing to replace it; save into a new or empty directory, or over a previous checkpoint`));
    const few = path.join(home, 'few');
    fs.mkdirSync(few);
    fs.writeFileSync(path.join(few, 'notes.md'), 'keep');
    await expect(saveCheckpoint(few, { optimizer: opt })).rejects.toThrow(new LoraValueError(`saveCheckpoint: ${few} holds files it did not write (notes.md): refusing to replace it; save into a new or empty directory, or over a previous checkpoint`));
    // Three are all named; past three, the first three (sorted) and an ellipsis.
    const three = path.join(home, 'three');
    fs.mkdirSync(three);
    for (const f of ['z', 'y', 'x']) fs.writeFileSync(path.join(three, f), f);
    await expect(saveCheckpoint(three, { optimizer: opt })).rejects.toThrow(new LoraValueError(`saveCheckpoint: ${three} holds files it did not write (x, y, z): refusing to replace it; save into a new or empty directory, or over a previous checkpoint`));
    const file = path.join(home, 'file');
    fs.writeFileSync(file, 'keep');
    await expect(saveCheckpoint(file, { optimizer: opt })).rejects.toThrow(new LoraValueError(`saveCheckpoint: ${file} is not a directory: refusing to replace it`));
    // Nothing was written or moved: no temporary or old sibling, every file as it was.
    expect(fs.readdirSync(home).sort()).toEqual(['busy', 'few', 'file', 'three']);
    expect(fs.readdirSync(busy).sort()).toEqual(['adapter_config.json', 'b.txt', 'c.txt', 'd.txt', 'logs', 'training_state.json']);
    expect(fs.readFileSync(path.join(busy, 'training_state.json'), 'utf8')).toBe('mine');
    expect(fs.readFileSync(path.join(few, 'notes.md'), 'utf8')).toBe('keep');
    expect(fs.readFileSync(file, 'utf8')).toBe('keep');
    // An empty directory, or one holding only a checkpoint's files, is replaced.
    const empty = path.join(home, 'empty');
    fs.mkdirSync(empty);
    await saveCheckpoint(empty, { optimizer: opt });
    expect(fs.readdirSync(empty).sort()).toEqual(['training_state.json', 'training_state.safetensors']);
    fs.rmSync(path.join(empty, 'training_state.safetensors'));
    await saveCheckpoint(empty, { optimizer: opt });
    expect(await loadCheckpoint(empty, { optimizer: mk().opt })).toEqual({ step: 0, extra: null });
  });

  test('an optimizer holding a disposed param is refused with a LoraDisposedError naming the param, and nothing is written, not even a missing parent', async () => {
    const { params, opt } = mk();
    const home = fs.mkdtempSync(path.join(dir, 'disposed-'));
    params[1].value.dispose();
    await expect(saveCheckpoint(path.join(home, 'runs', 'r1', 'ck'), { optimizer: opt })).rejects.toThrow(new LoraDisposedError("saveCheckpoint param.1 ('b'): tensor [3] f32 was disposed"));
    expect(fs.readdirSync(home)).toEqual([]);
    // An unnamed param is named by its index alone.
    const { params: unnamed, opt: opt2 } = mk([undefined, undefined]);
    unnamed[0].value.dispose();
    await expect(saveCheckpoint(path.join(home, 'ck'), { optimizer: opt2 })).rejects.toThrow(new LoraDisposedError('saveCheckpoint param.0: tensor [3, 2] f32 was disposed'));
    // A disposed optimizer moment is named by its state key.
    const { params: stepped, opt: opt3 } = mk();
    stepped.forEach((p, i) => { p.grad = randTensor([...p.value.shape], 90 + i).t; });
    opt3.step();
    opt3.stateDict().state['1.v'].dispose();
    await expect(saveCheckpoint(path.join(home, 'ck3'), { optimizer: opt3 })).rejects.toThrow(new LoraDisposedError('saveCheckpoint optimizer.1.v: tensor [3] f32 was disposed'));
    expect(fs.readdirSync(home)).toEqual([]);
  });

  test('the refusal lists the stray files in JavaScript string order, whatever order the file system lists them in', async () => {
    const { opt } = mk();
    const odd = fs.mkdtempSync(path.join(dir, 'order-'));
    // Linux lists names in byte (code point) order, U+FF01 before U+1F600; as UTF-16 strings the emoji (a surrogate
    // pair, 0xD83D…) sorts first. The message is the same on every platform only if it sorts the names itself.
    for (const f of ['\uFF01.txt', 'b.txt', '\u{1F600}.txt', 'a.txt']) fs.writeFileSync(path.join(odd, f), f);
    await expect(saveCheckpoint(odd, { optimizer: opt })).rejects.toThrow(new LoraValueError(`saveCheckpoint: ${odd} holds files it did not write (a.txt, b.txt, \u{1F600}.txt, …): refusing to replace it; save into a new or empty directory, or over a previous checkpoint`));
  });

  test('a dir below a regular file is refused with a LoraIOError (ENOTDIR, not a misleading EEXIST) naming it, and nothing is written', async () => {
    const { opt } = mk();
    const home = fs.mkdtempSync(path.join(dir, 'under-file-'));
    const file = path.join(home, 'file');
    fs.writeFileSync(file, 'keep');
    const err = await saveCheckpoint(path.join(file, 'ck'), { optimizer: opt }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoraIOError);
    expect(err).toMatchObject({ errno: 'ENOTDIR', path: path.join(file, 'ck') });
    expect((err as Error).message).toMatch(/ENOTDIR/);
    expect(fs.readdirSync(home)).toEqual(['file']);
    expect(fs.readFileSync(file, 'utf8')).toBe('keep');
  });

  test("each save stages under names of its own (pid and random tag): a stray '<dir>.tmp-' / '<dir>.old-' beside it changes nothing", async () => {
    const { opt } = mk();
    const home = fs.mkdtempSync(path.join(dir, 'stray-')), ck = path.join(home, 'ck');
    for (const s of ['.tmp-', '.old-']) fs.mkdirSync(`${ck}${s}`);
    await saveCheckpoint(ck, { optimizer: opt });
    expect(fs.readdirSync(home).sort()).toEqual(['ck', 'ck.old-', 'ck.tmp-']);
    expect(await loadCheckpoint(ck, { optimizer: mk().opt })).toEqual({ step: 0, extra: null });
  });

  test('a staging directory that cannot be made is a LoraIOError saying so (a name past the 255-byte limit: ENAMETOOLONG)', async () => {
    const { opt } = mk();
    // 240 bytes fit; with '.tmp-<pid>-<8 hex>' the staging name does not.
    const ck = path.join(dir, 'n'.repeat(240));
    const err = await saveCheckpoint(ck, { optimizer: opt }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoraIOError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot create directory ${ck.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.tmp-\\d+-[0-9a-f]{8}: .*\\(ENAMETOOLONG\\)$`));
  });

  test('a checkpoint whose tensors file is gone is a LoraIOError naming that file', async () => {
    const { opt } = mk();
    const ck = path.join(dir, 'no-tensors');
    await saveCheckpoint(ck, { optimizer: opt });
    fs.rmSync(path.join(ck, 'training_state.safetensors'));
    await expect(loadCheckpoint(ck, { optimizer: opt })).rejects.toThrow(expect.objectContaining({ code: 'LORA_IO', errno: 'ENOENT', path: path.join(ck, 'training_state.safetensors') }));
    await expect(loadCheckpoint(ck, { optimizer: opt })).rejects.toThrow(`cannot read ${path.join(ck, 'training_state.safetensors')}: no such file or directory (ENOENT)`);
  });

  test('not a checkpoint: missing, not JSON, another format or version', async () => {
    const { opt } = mk();
    await expect(loadCheckpoint(path.join(dir, 'none'), { optimizer: opt })).rejects.toThrow(new LoraIOError(`cannot read ${path.join(dir, 'none', 'training_state.json')}: no such file or directory (ENOENT)`));
    await expect(loadCheckpoint(path.join(dir, 'none'), { optimizer: opt })).rejects.toThrow(expect.objectContaining({ code: 'LORA_IO', errno: 'ENOENT', path: path.join(dir, 'none', 'training_state.json') }));
    const ck = path.join(dir, 'fmt');
    await saveCheckpoint(ck, { optimizer: opt });
    const jf = path.join(ck, 'training_state.json'), good = fs.readFileSync(jf, 'utf8');
    fs.writeFileSync(jf, '{"format": ');
    await expect(loadCheckpoint(ck, { optimizer: opt })).rejects.toThrow(new RegExp(`^loadCheckpoint: ${jf}: not valid JSON \\(`));
    for (const edit of [{ format: 'other' }, { version: 2 }]) {
      fs.writeFileSync(jf, JSON.stringify({ ...JSON.parse(good), ...edit }));
      await expect(loadCheckpoint(ck, { optimizer: opt })).rejects.toThrow(new LoraFormatError(`loadCheckpoint: ${jf}: not a loraga-training-state v1 file`));
    }
    fs.writeFileSync(jf, 'null');  // valid JSON, but no object
    await expect(loadCheckpoint(ck, { optimizer: opt })).rejects.toThrow(new LoraFormatError(`loadCheckpoint: ${jf}: not a loraga-training-state v1 file`));
  });

  test('the tensors file is the one training_state.json names, of the size and SHA-256 it records: else a torn or mixed checkpoint', async () => {
    const { opt } = mk();
    const ck = path.join(dir, 'record');
    await saveCheckpoint(ck, { optimizer: opt });
    const jf = path.join(ck, 'training_state.json'), tf = path.join(ck, 'training_state.safetensors'), good = JSON.parse(fs.readFileSync(jf, 'utf8'));
    const torn = new LoraFormatError(`loadCheckpoint: ${tf}: does not match the SHA-256 its training_state.json recorded (a torn or mixed checkpoint)`);
    // The right SHA-256 with a wrong size is refused like a wrong SHA-256.
    for (const tensors of [{ ...good.tensors, bytes: good.tensors.bytes + 1 }, { ...good.tensors, sha256: '0'.repeat(64) }]) {
      fs.writeFileSync(jf, JSON.stringify({ ...good, tensors }));
      await expect(loadCheckpoint(ck, { optimizer: opt })).rejects.toThrow(torn);
    }
    // No record at all, one naming a path out of the checkpoint directory or the directory itself, or one without a
    // SHA-256 string, is not a file saveCheckpoint wrote.
    const edited = new LoraFormatError(`loadCheckpoint: ${jf}: its 'tensors' is not what saveCheckpoint writes (the file was edited or damaged)`);
    for (const tensors of [undefined, { ...good.tensors, file: '../record/training_state.safetensors' }, { ...good.tensors, file: '..' }, { ...good.tensors, file: '.' }, { ...good.tensors, file: '' }, { ...good.tensors, file: undefined },
      { ...good.tensors, sha256: undefined }, { ...good.tensors, sha256: 0 }]) {
      fs.writeFileSync(jf, JSON.stringify({ ...good, tensors }));
      await expect(loadCheckpoint(ck, { optimizer: opt })).rejects.toThrow(edited);
    }
    // A record naming another file: that file is read.
    fs.renameSync(tf, path.join(ck, 'moved.safetensors'));
    fs.writeFileSync(jf, JSON.stringify({ ...good, tensors: { ...good.tensors, file: 'moved.safetensors' } }));
    await expect(loadCheckpoint(ck, { optimizer: opt })).resolves.toEqual({ step: 0, extra: null });
  });

  test('a hand-edited training_state.json: each field not as saveCheckpoint writes it is refused by name (a LoraFormatError, never a TypeError)', async () => {
    const ck = path.join(dir, 'edited');
    const { opt } = mk();
    await saveCheckpoint(ck, { optimizer: opt });
    const jf = path.join(ck, 'training_state.json');
    const good = JSON.parse(fs.readFileSync(jf, 'utf8'));
    await expect(loadCheckpoint(ck, { optimizer: opt })).resolves.toEqual({ step: 0, extra: null });
    const cases: [string, unknown][] = [
      ['step', -1], ['step', '0'], ['params', null], ['params', [{ name: 'w', shape: [3, 2] }, null]], ['params', [{ name: 'w', shape: [3, 2.5] }, { name: 'b', shape: [3] }]],
      ['params', [{ name: 7, shape: [3, 2] }, { name: 'b', shape: [3] }]], ['optimizer', null], ['optimizer', []], ['schedule', 5], ['layers', null],
      ['layers', { l: { seed: 1 } }], ['layers', { l: { seed: 1, draws: -2 } }], ['rngs', []], ['rngs', { r: '1' }],
    ];
    for (const [field, value] of cases) {
      fs.writeFileSync(jf, JSON.stringify({ ...good, [field]: value }));
      await expect(loadCheckpoint(ck, { optimizer: opt })).rejects.toThrow(
        new LoraFormatError(`loadCheckpoint: ${jf}: its '${field}' is not what saveCheckpoint writes (the file was edited or damaged)`));
    }
  });

  test('params: their number, shapes and names must be those saved', async () => {
    const ck = path.join(dir, 'params');
    await saveCheckpoint(ck, { optimizer: mk().opt });
    await expect(loadCheckpoint(ck, { optimizer: mk(['w']).opt })).rejects.toThrow(new LoraValueError('loadCheckpoint: the checkpoint has 2 params, the optimizer 1'));
    await expect(loadCheckpoint(ck, { optimizer: mk(['w', 'b'], [[2, 3], [3]]).opt })).rejects.toThrow(
      new LoraShapeError('loadCheckpoint: param 0 (w) was [3,2], here it is w [2, 3] f32'));
    await expect(loadCheckpoint(ck, { optimizer: mk(['w', 'b'], [[3, 2], [4]]).opt })).rejects.toThrow(LoraShapeError);
    await expect(loadCheckpoint(ck, { optimizer: mk(['v', 'b']).opt })).rejects.toThrow(new LoraValueError("loadCheckpoint: param 0 was 'w', here it is 'v'"));
    await expect(loadCheckpoint(ck, { optimizer: mk([undefined, 'b']).opt })).rejects.toThrow(new LoraValueError("loadCheckpoint: param 0 was 'w', here it is 'undefined'"));
    const unnamed = path.join(dir, 'unnamed');
    await saveCheckpoint(unnamed, { optimizer: mk([undefined, undefined]).opt });
    await expect(loadCheckpoint(unnamed, { optimizer: mk([undefined, undefined], [[2, 3], [3]]).opt })).rejects.toThrow(
      new LoraShapeError('loadCheckpoint: param 0 (unnamed) was [3,2], here it is unnamed [2, 3] f32'));
    await expect(loadCheckpoint(unnamed, { optimizer: mk([undefined, undefined]).opt })).resolves.toEqual({ step: 0, extra: null });
  });

  test('a schedule, dropout layers and rngs: present in both or in neither, and of the same kind and names', async () => {
    const a = mk();
    const ck = path.join(dir, 'sched');
    await saveCheckpoint(ck, { optimizer: a.opt, schedule: new LrSchedule(a.opt, { kind: 'linear', warmupSteps: 2, totalSteps: 10 }), rngs: { data: new Rng(1) } });
    const b = mk();
    await expect(loadCheckpoint(ck, { optimizer: b.opt, rngs: { data: new Rng(1) } })).rejects.toThrow(new LoraValueError('loadCheckpoint: the checkpoint has a schedule, the state none'));
    await expect(loadCheckpoint(ck, { optimizer: b.opt, schedule: new LrSchedule(b.opt, { kind: 'linear', warmupSteps: 3, totalSteps: 10 }), rngs: { data: new Rng(1) } }))
      .rejects.toThrow(new LoraValueError('loadCheckpoint: schedule warmupSteps was 2, here 3'));
    await expect(loadCheckpoint(ck, { optimizer: b.opt, schedule: new LrSchedule(b.opt, { kind: 'linear', warmupSteps: 2, totalSteps: 10 }), rngs: { other: new Rng(1) } }))
      .rejects.toThrow(new LoraValueError('loadCheckpoint: the checkpoint has rngs [data], the state [other]'));
    const none = path.join(dir, 'nosched');
    await saveCheckpoint(none, { optimizer: a.opt });
    await expect(loadCheckpoint(none, { optimizer: b.opt, schedule: new LrSchedule(b.opt, { kind: 'constant' }) })).rejects.toThrow(
      new LoraValueError('loadCheckpoint: the checkpoint has no schedule, the state has one'));
    const run = setup();
    const withLayer = path.join(dir, 'layer');
    await saveCheckpoint(withLayer, { optimizer: run.opt, layers: [run.layer] });
    const fresh = setup();
    await expect(loadCheckpoint(withLayer, { optimizer: fresh.opt, layers: [] })).rejects.toThrow(
      new LoraValueError('loadCheckpoint: the checkpoint has dropout states of [fc], the state\'s layers are []'));
    const renamed = LoraLinear.fromInit(W, initLoraGA(W, G, { rank, alpha: 4, svd: 'exact' }), { dropout: 0.2, seed: 7, name: 'other', bias: Tensor.zeros([out]), trainBias: true });
    await expect(loadCheckpoint(withLayer, { optimizer: fresh.opt, layers: [renamed] })).rejects.toThrow(/dropout states of \[fc\], the state's layers are \[other\]/);
    const none2 = path.join(dir, 'nolayer');
    await saveCheckpoint(none2, { optimizer: fresh.opt });
    await expect(loadCheckpoint(none2, { optimizer: fresh.opt, layers: [fresh.layer] })).rejects.toThrow(/the checkpoint has dropout states of \[\], the state's layers are \[fc\]/);
  });
});
