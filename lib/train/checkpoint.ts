/**
 * Checkpoint and resume (declared and documented in types/train.d.ts): DIR/training_state.safetensors holds the
 * optimizer's params (`param.<i>`) and moments (`optimizer.<i>.<name>`), DIR/training_state.json the rest and the
 * tensors file's SHA-256, so a JSON that does not belong to its tensors is refused. A save goes to a sibling
 * temporary directory, synced, then renamed over DIR.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { LrScheduleState, OptimizerState } from '../../types/optimizers';
import type { LoadedCheckpoint, Param, TrainingState } from '../../types/train';
import { LoraFormatError, LoraShapeError, LoraValueError } from '../errors';
import { fmt, knownKeys, live } from '../ops/check';
import { ensureDir, ioError, withIO } from '../io/fs-errors';
import { parseSafetensors, writeSafetensorsSync } from '../io/safetensors';
import { Tensor } from '../tensor';
import { assign } from './host';
import { Optimizer } from './optim';
import { LrSchedule } from './schedule';
import { showJson } from '../show';

export const CHECKPOINT_TENSORS = 'training_state.safetensors';
export const CHECKPOINT_JSON = 'training_state.json';
const FORMAT = 'loraga-training-state', VERSION = 1;

interface StateJson {
  format: string;
  version: number;
  step: number;
  params: { name: string | null; shape: number[]; dtype: string }[];
  optimizer: Omit<OptimizerState, 'state'>;
  schedule: LrScheduleState | null;
  layers: Record<string, { seed: number; draws: number }>;
  rngs: Record<string, number>;
  extra: unknown;
  tensors: { file: string; bytes: number; sha256: string };
}

function check(state: TrainingState, what: string): void {
  knownKeys(state, ['optimizer', 'schedule', 'layers', 'rngs', 'extra'], what);
  if (!state || !(state.optimizer instanceof Optimizer)) throw new LoraValueError(`${what}: state.optimizer must be an Optimizer`);
  if (state.schedule != null && !(state.schedule instanceof LrSchedule)) throw new LoraValueError(`${what}: state.schedule must be an LrSchedule`);
  if (state.schedule && state.schedule.optimizer !== state.optimizer) throw new LoraValueError(`${what}: the schedule drives another optimizer`);
  const names = (state.layers ?? []).map((l) => l.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new LoraValueError(`${what}: two layers are named '${dup}'`);
}


function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
}

/**
 * A save replaces DIR whole (the previous checkpoint is removed), so DIR may only be missing, an empty directory or a
 * previous checkpoint: a directory holding anything else — `saveCheckpoint('.')`, a run's output folder — is refused
 * before anything is written, not emptied.
 */
function refuseForeign(abs: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw ioError(e, abs, 'save a checkpoint to');
  }
  if (!st.isDirectory()) throw new LoraValueError(`saveCheckpoint: ${abs} is not a directory: refusing to replace it`);
  const foreign = withIO(abs, 'save a checkpoint to', () => fs.readdirSync(abs)).filter((f) => f !== CHECKPOINT_JSON && f !== CHECKPOINT_TENSORS).sort();
  if (foreign.length > 0)
    throw new LoraValueError(`saveCheckpoint: ${abs} holds files it did not write (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}): refusing to replace it; save into a new or empty directory, or over a previous checkpoint`);
}

export async function saveCheckpoint(dir: string, state: TrainingState): Promise<void> {
  check(state, 'saveCheckpoint');
  if (typeof dir !== 'string' || dir.length === 0) throw new LoraValueError('saveCheckpoint: dir must be a non-empty path');
  const abs = path.resolve(dir), parent = path.dirname(abs);
  refuseForeign(abs);
  const opt = state.optimizer, params = opt.params;
  // Every tensor live before anything is made on disk (a missing parent included), each named as the file names it.
  params.forEach((p, i) => live(p.value, `saveCheckpoint param.${i}${p.name ? ` ('${p.name}')` : ''}`));
  const sd = opt.stateDict();
  for (const [k, t] of Object.entries(sd.state)) live(t, `saveCheckpoint optimizer.${k}`);
  const copies: Tensor[] = [];  // host copies of device tensors, freed once written
  const host = (t: Tensor) => (t.device === 'cpu' ? t : (copies.push(t.toHost()), copies[copies.length - 1]));
  const tensors: Record<string, Tensor> = {};
  params.forEach((p, i) => { tensors[`param.${i}`] = host(p.value); });
  for (const [k, t] of Object.entries(sd.state)) tensors[`optimizer.${k}`] = host(t);
  const layers: StateJson['layers'] = {};
  for (const l of state.layers ?? []) if ('dropoutState' in l) layers[l.name] = l.dropoutState;
  const rngs: StateJson['rngs'] = {};
  for (const [k, r] of Object.entries(state.rngs ?? {})) rngs[k] = r.state;
  const { state: _moments, ...optimizer } = sd;
  void _moments;

  ensureDir(parent);
  const tag = `${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const tmp = `${abs}.tmp-${tag}`, old = `${abs}.old-${tag}`;
  // Made before the try: the cleanup below removes recursively, so only a directory this call made.
  withIO(tmp, 'create directory', () => fs.mkdirSync(tmp));
  try {
    const tfile = path.join(tmp, CHECKPOINT_TENSORS);
    writeSafetensorsSync(tfile, tensors, { format: 'pt' });
    const bytes = fs.readFileSync(tfile);
    const json: StateJson = {
      format: FORMAT, version: VERSION, step: opt.stepCount,
      params: params.map((p: Param) => ({ name: p.name ?? null, shape: p.value.shape.slice(), dtype: p.value.dtype })),
      optimizer, schedule: state.schedule ? state.schedule.stateDict() : null, layers, rngs,
      extra: state.extra === undefined ? null : state.extra,
      tensors: { file: CHECKPOINT_TENSORS, bytes: bytes.byteLength, sha256: crypto.createHash('sha256').update(bytes).digest('hex') },
    };
    fs.writeFileSync(path.join(tmp, CHECKPOINT_JSON), JSON.stringify(json, null, 1) + '\n');
    fsyncPath(tfile);
    fsyncPath(path.join(tmp, CHECKPOINT_JSON));
    // A directory cannot be renamed over a non-empty one: move the previous checkpoint aside first.
    const had = fs.existsSync(abs);
    if (had) fs.renameSync(abs, old);
    fs.renameSync(tmp, abs);
    fsyncPath(parent);
    if (had) fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw ioError(e, abs, 'save a checkpoint to');
  } finally {
    for (const t of copies) t.dispose();
  }
}

/**
 * The first field of a training_state.json (format and version already checked) that is not what saveCheckpoint
 * writes, or null: the SHA-256 covers the tensors file, not this one, so a hand-edited field is refused by name here
 * instead of surfacing as a TypeError later. The optimizer and schedule states are checked in full by their own
 * loadStateDict; the tensors file must be a name in the checkpoint directory, not a path out of it nor the
 * directory itself ('' and '.', which would surface as Node's raw EISDIR).
 */
function malformedField(j: Record<string, unknown>): string | null {
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const int = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const t = j.tensors;
  if (!obj(t) || typeof t.file !== 'string' || t.file !== path.basename(t.file) || ['', '.', '..'].includes(t.file) || !int(t.bytes) || typeof t.sha256 !== 'string') return 'tensors';
  if (!int(j.step)) return 'step';
  if (!Array.isArray(j.params) || !j.params.every((p) => obj(p) && (p.name === null || typeof p.name === 'string') && Array.isArray(p.shape) && p.shape.every(int))) return 'params';
  if (!obj(j.optimizer)) return 'optimizer';
  if (j.schedule !== null && !obj(j.schedule)) return 'schedule';
  if (!obj(j.layers) || !Object.values(j.layers).every((l) => obj(l) && int(l.seed) && int(l.draws))) return 'layers';
  if (!obj(j.rngs) || !Object.values(j.rngs).every((x) => typeof x === 'number')) return 'rngs';
  return null;
}

function bad(file: string, why: string): never {
  throw new LoraFormatError(`loadCheckpoint: ${file}: ${why}`);
}

export async function loadCheckpoint(dir: string, state: TrainingState): Promise<LoadedCheckpoint> {
  check(state, 'loadCheckpoint');
  const jfile = path.join(dir, CHECKPOINT_JSON);
  let json: StateJson;
  try {
    json = JSON.parse(await fs.promises.readFile(jfile, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw ioError(e, jfile, 'read');
    bad(jfile, `not valid JSON (${(e as Error).message})`);
  }
  if (json?.format !== FORMAT || json.version !== VERSION) bad(jfile, `not a ${FORMAT} v${VERSION} file`);
  const field = malformedField(json as unknown as Record<string, unknown>);
  if (field) bad(jfile, `its '${field}' is not what saveCheckpoint writes (the file was edited or damaged)`);
  const tfile = path.join(dir, json.tensors.file);
  const bytes = await fs.promises.readFile(tfile).catch((e: unknown) => { throw ioError(e, tfile, 'read'); });
  const sha = crypto.createHash('sha256').update(bytes).digest('hex');
  if (bytes.byteLength !== json.tensors.bytes || sha !== json.tensors.sha256) bad(tfile, 'does not match the SHA-256 its training_state.json recorded (a torn or mixed checkpoint)');
  const tensors = parseSafetensors(bytes, { copy: true });

  // Everything is checked before anything changes.
  const opt = state.optimizer, params = opt.params;
  if (json.params.length !== params.length) throw new LoraValueError(`loadCheckpoint: the checkpoint has ${json.params.length} params, the optimizer ${params.length}`);
  params.forEach((p, i) => {
    const t = tensors[`param.${i}`], want = json.params[i];
    if (!t) bad(tfile, `param.${i} is missing`);
    // The file against its own JSON first (a damaged pair), then the checkpoint against this run.
    if (t.shape.join() !== want.shape.join()) bad(tfile, `param.${i} is ${fmt(t)}, training_state.json records ${JSON.stringify(want.shape)}`);
    if (want.shape.join() !== p.value.shape.join())
      throw new LoraShapeError(`loadCheckpoint: param ${i} (${want.name ?? 'unnamed'}) was ${JSON.stringify(want.shape)}, here it is ${p.name ?? 'unnamed'} ${fmt(p.value)}`);
    if ((want.name ?? undefined) !== p.name) throw new LoraValueError(`loadCheckpoint: param ${i} was '${want.name}', here it is '${p.name}'`);
  });
  const sched = state.schedule ?? null;
  if (!!sched !== !!json.schedule) throw new LoraValueError(`loadCheckpoint: the checkpoint has ${json.schedule ? 'a' : 'no'} schedule, the state ${sched ? 'has one' : 'none'}`);
  if (sched && json.schedule)
    for (const k of ['kind', 'warmupSteps', 'totalSteps', 'numCycles'] as const)
      if (json.schedule[k] !== sched.options[k]) throw new LoraValueError(`loadCheckpoint: schedule ${k} was ${showJson(json.schedule[k])}, here ${showJson(sched.options[k])}`);
  const layers = (state.layers ?? []).filter((l) => 'dropoutState' in l);
  const missing = layers.filter((l) => !(l.name in json.layers)).map((l) => l.name);
  if (missing.length || Object.keys(json.layers).length !== layers.length)
    throw new LoraValueError(`loadCheckpoint: the checkpoint has dropout states of [${Object.keys(json.layers).join(', ')}], the state's layers are [${layers.map((l) => l.name).join(', ')}]`);
  const rngKeys = Object.keys(state.rngs ?? {});
  if (rngKeys.sort().join() !== Object.keys(json.rngs).sort().join())
    throw new LoraValueError(`loadCheckpoint: the checkpoint has rngs [${Object.keys(json.rngs).join(', ')}], the state [${rngKeys.join(', ')}]`);

  const moments: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) if (k.startsWith('optimizer.')) moments[k.slice('optimizer.'.length)] = t;
  opt.loadStateDict({ ...json.optimizer, state: moments });  // validates fully before changing the optimizer
  params.forEach((p, i) => { assign(p.value, tensors[`param.${i}`]); });
  if (sched && json.schedule) sched.loadStateDict(json.schedule);
  for (const l of layers) if ('seedDropout' in l) l.seedDropout(json.layers[l.name].seed, json.layers[l.name].draws);
  for (const [k, r] of Object.entries(state.rngs ?? {})) r.state = json.rngs[k];
  for (const t of Object.values(tensors)) t.dispose();
  return { step: json.step, extra: json.extra };
}
