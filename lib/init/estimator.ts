/**
 * GradientEstimator (declared in types/init-model.d.ts): per module, a lazily allocated accumulator of Σ dYᵀ·X
 * (gradAccumulate) and its batch count, or a ready gradient. A module registered with fanInFanOut (a Conv1D-style
 * W stored [in, out]) gives and takes its gradient in that layout, so G always matches its W.
 */
import type * as api from '../../types/init-model';
import { LoraDisposedError, LoraShapeError, LoraValueError } from '../errors';
import { dims2, fmt, live } from '../ops/check';
import { gradAccumulate, gradAccumulateAsync } from '../ops/grad-accumulate';
import { Tensor } from '../tensor';
import { posInt } from './common';
import { transpose2d } from './layout';
import { runAsync, runSync } from './runner';
import { GradientSketch, resolveSketchOptions } from './sketch';
import { str } from '../show';

interface Slot {
  out: number;
  inF: number;
  sum: Tensor | null;
  batches: number;
  ready: Tensor | null;
  /** W (and so G as given and returned) is stored [in, out]. The accumulator is always [out, in]. */
  fanInFanOut: boolean;
  /** Async accumulations of one module run one after another (they write the same accumulator). */
  chain: Promise<unknown>;
  /** Registered with a sketch: no accumulator, G is never formed. */
  sketch: GradientSketch | null;
}

export type GradientEstimator = api.GradientEstimator;
export const GradientEstimator: typeof api.GradientEstimator = class GradientEstimator {
  private readonly slots = new Map<string, Slot>();
  private readonly dtype: 'f32' | 'f64';

  constructor(options: { dtype?: 'f32' | 'f64' } = {}) {
    this.dtype = options.dtype ?? 'f32';
    if (this.dtype !== 'f32' && this.dtype !== 'f64') throw new LoraValueError(`GradientEstimator: dtype must be f32 or f64, got ${str(options.dtype)}`);
  }

  register(name: string, out: number, inF: number, options: { fanInFanOut?: boolean; sketch?: api.SketchOptions } = {}): this {
    if (typeof name !== 'string' || !name) throw new LoraValueError('GradientEstimator.register: name must be a non-empty string');
    if (this.slots.has(name)) throw new LoraValueError(`GradientEstimator.register: '${name}' is already registered`);
    const ffo = options?.fanInFanOut ?? false;
    if (typeof ffo !== 'boolean') throw new LoraValueError(`GradientEstimator.register '${name}': fanInFanOut must be a boolean`);
    for (const k of Object.keys(options ?? {})) if (k !== 'fanInFanOut' && k !== 'sketch') throw new LoraValueError(`GradientEstimator.register '${name}': unknown option ${JSON.stringify(k)}`);
    const o = posInt(out, `register '${name}' out`), i = posInt(inF, `register '${name}' in`);
    const sk = options?.sketch === undefined ? null
      : new GradientSketch(o, i, resolveSketchOptions(options.sketch, o, i, `GradientEstimator.register '${name}'`), this.dtype);
    this.slots.set(name, { out: o, inF: i, sum: null, batches: 0, ready: null, fanInFanOut: ffo, chain: Promise.resolve(), sketch: sk });
    return this;
  }

  nextPass(): number {
    const open = [...this.slots.entries()].filter(([, s]) => s.sketch && !s.sketch.disposed && !s.sketch.done);
    if (open.length === 0) throw new LoraValueError('GradientEstimator.nextPass: no sketched module has a pass left');
    // Every module checked before any advances: a refused call leaves all of them in the pass they were in.
    for (const [n, s] of open) s.sketch!.checkNextPass(`GradientEstimator.nextPass '${n}'`);
    for (const [n, s] of open) s.sketch!.nextPass(`GradientEstimator.nextPass '${n}'`);
    return Math.max(...open.map(([, s]) => s.sketch!.pass));
  }

  pass(name: string): number {
    return this.slot(name).sketch?.pass ?? 0;
  }

  bytes(name: string): number {
    const s = this.slot(name);
    if (s.sketch) return s.sketch.bytes;
    const t = s.sum ?? s.ready;
    return t ? t.size * (t.dtype === 'f64' ? 8 : t.dtype === 'f32' ? 4 : 2) : 0;
  }

  sketch(name: string, used?: number): api.SketchFactors {
    const s = this.slot(name);
    if (!s.sketch) throw new LoraValueError(`GradientEstimator.sketch: '${name}' was registered without a sketch`);
    if (s.sketch.disposed) throw new LoraDisposedError(`GradientEstimator.sketch: '${name}' was released`);
    return s.sketch.factors(used === undefined ? s.sketch.o.size : posInt(used, `GradientEstimator.sketch '${name}' used`));
  }

  /** The sketch of `name` (initAdapters' svd 'sketch'), or null. */
  sketchOf(name: string): GradientSketch | null {
    return this.slot(name).sketch;
  }

  fanInFanOut(name: string): boolean {
    return this.slot(name).fanInFanOut;
  }

  get modules(): string[] {
    return [...this.slots.keys()];
  }

  shape(name: string): [number, number] {
    const s = this.slot(name);
    return [s.out, s.inF];
  }

  batches(name: string): number {
    return this.slot(name).batches;
  }

  private slot(name: string): Slot {
    const s = this.slots.get(name);
    if (!s) throw new LoraValueError(`GradientEstimator: unknown module '${name}' (registered: ${this.modules.join(', ') || 'none'})`);
    return s;
  }

  private prepare(name: string, X: Tensor, dY: Tensor): Slot {
    const s = this.slot(name);
    if (s.ready) throw new LoraValueError(`GradientEstimator: '${name}' was given a ready gradient; it cannot also accumulate batches`);
    live(X, `accumulate '${name}' X`);
    live(dY, `accumulate '${name}' dY`);
    const [tx, inF] = dims2(X), [ty, out] = dims2(dY);
    if (X.rank < 2 || dY.rank < 2 || inF !== s.inF || out !== s.out || tx !== ty)
      throw new LoraShapeError(`GradientEstimator '${name}' (W [${s.out}, ${s.inF}]): X ${fmt(X)} must be [tokens, ${s.inF}] and dY ${fmt(dY)} [tokens, ${s.out}] with the same tokens`);
    if (s.sketch?.disposed) throw new LoraDisposedError(`GradientEstimator.accumulate '${name}': its sketch was released`);
    if (!s.sum && !s.sketch) s.sum = Tensor.zeros([s.out, s.inF], this.dtype);
    return s;
  }

  accumulate(name: string, X: Tensor, dY: Tensor): this {
    const s = this.prepare(name, X, dY);
    if (s.sketch) runSync(s.sketch.update(as2d(X), as2d(dY)));
    else gradAccumulate(s.sum!, dY, X);
    s.batches++;
    return this;
  }

  async accumulateAsync(name: string, X: Tensor, dY: Tensor): Promise<this> {
    const s = this.prepare(name, X, dY);
    s.batches++; // counted now so gradient() after awaiting every call sees them all
    const run = s.chain.then((): Promise<unknown> => (s.sketch ? runAsync(s.sketch.update(as2d(X), as2d(dY))) : gradAccumulateAsync(s.sum!, dY, X)));
    s.chain = run.catch(() => undefined);
    try {
      await run;
    } catch (e) {
      s.batches--;
      throw e;
    }
    return this;
  }

  setGradient(name: string, G: Tensor): this {
    const s = this.slot(name);
    live(G, `setGradient '${name}' G`);
    const [r0, r1] = s.fanInFanOut ? [s.inF, s.out] : [s.out, s.inF];
    if (G.rank !== 2 || G.shape[0] !== r0 || G.shape[1] !== r1)
      throw new LoraShapeError(`GradientEstimator.setGradient '${name}': G ${fmt(G)} must be [${r0}, ${r1}]${s.fanInFanOut ? ' (fanInFanOut: [in, out], as its W)' : ''}`);
    if (s.batches > 0) throw new LoraValueError(`GradientEstimator.setGradient '${name}': batches were already accumulated`);
    if (s.sketch) throw new LoraValueError(`GradientEstimator.setGradient '${name}': registered with a sketch (G is never formed)`);
    s.ready = G;
    return this;
  }

  gradient(name: string): Tensor {
    const s = this.slot(name);
    if (s.ready) return s.ready;
    if (s.sketch) throw new LoraValueError(`GradientEstimator.gradient: '${name}' is sketched, G is never formed: use sketch('${name}') or initAdapters with svd 'sketch'`);
    if (!s.sum || s.batches === 0) throw new LoraValueError(`GradientEstimator: no batches accumulated for '${name}'`);
    const G = s.fanInFanOut ? transpose2d(s.sum) : s.sum.clone();
    const d = G.data, k = 1 / s.batches;
    for (let i = 0; i < d.length; i++) d[i] *= k;
    return G;
  }

  release(name: string): void {
    const s = this.slot(name);
    s.sum?.dispose();
    s.sum = null;
    s.ready = null;
    s.sketch?.dispose();
  }
};

/** X [tokens…, in] as the 2-D [tokens, in] the sketch's products take (a view, no copy). */
function as2d(t: Tensor): Tensor {
  return t.rank === 2 ? t : t.reshape(dims2(t));
}

/** The sketch of a module of `est` (initAdapters' svd 'sketch'), or null: internal, not on the public type. */
export function sketchOf(est: GradientEstimator, name: string): GradientSketch | null {
  return (est as unknown as { sketchOf(n: string): GradientSketch | null }).sketchOf(name);
}
