/** Argument checks shared by the op wrappers: every problem becomes a typed error naming the offending shapes. */
import type { DType } from '../../types/dtype';
import { LoraDTypeError, LoraDisposedError, LoraShapeError, LoraValueError } from '../errors';
import { Tensor, tfTensorHint } from '../tensor';
import { str } from '../show';

export function fmt(t: Tensor): string {
  return `[${t.shape.join(', ')}] ${t.dtype}`;
}

/** `t` is a live Tensor (not disposed) of one of `dtypes`. */
export function live(t: unknown, what: string, dtypes?: readonly DType[]): Tensor {
  if (!(t instanceof Tensor)) throw new LoraShapeError(`${what}: expected a Tensor, got ${t === null ? 'null' : typeof t}${tfTensorHint(t)}`);
  if (t.disposed) throw new LoraDisposedError(`${what}: tensor ${fmt(t)} was disposed`);
  if (dtypes && !dtypes.includes(t.dtype))
    throw new LoraDTypeError(`${what}: dtype ${t.dtype} not accepted here (expected ${dtypes.join(' or ')})`);
  return t;
}

/**
 * An options argument: undefined is {}; anything but a plain object, or a key not in `keys`, is a LoraValueError
 * (a misspelt option silently ignored would run with a default the caller did not ask for).
 */
export function options<T extends object>(o: unknown, what: string, keys: readonly (keyof T & string)[]): Partial<T> {
  return (knownKeys(o, keys, what) ?? {}) as Partial<T>;
}

/** [rows, cols] as the kernels see it: N-D flattens leading dimensions, 1-D is a column. */
export function dims2(t: Tensor): [number, number] {
  if (t.rank === 1) return [t.shape[0], 1];
  const cols = t.shape[t.rank - 1];
  return [t.size / (cols || 1), cols];
}

export function matrix(t: unknown, what: string, dtypes?: readonly DType[]): Tensor {
  const m = live(t, what, dtypes);
  if (m.rank !== 2) throw new LoraShapeError(`${what}: expected a 2-D matrix, got ${fmt(m)}`);
  return m;
}

export function finiteNumber(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new LoraValueError(`${what}: expected a finite number, got ${str(x)}`);
  return x;
}

/** A finite number in [0, 1) (a β or a momentum), else LoraValueError. */
export function unitInterval(x: unknown, what: string): number {
  finiteNumber(x, what);
  if ((x as number) < 0 || (x as number) >= 1) throw new LoraValueError(`${what}: expected a value in [0, 1), got ${str(x)}`);
  return x as number;
}

export function intInRange(x: unknown, what: string, lo: number, hi: number): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi)
    throw new LoraValueError(`${what}: expected an integer in [${lo}, ${hi}], got ${str(x)}`);
  return x;
}

/** An output tensor supplied by the caller must have exactly this shape. */
export function checkOut(out: Tensor | undefined, what: string, rows: number, cols: number): void {
  if (!out) return;
  live(out, what);
  const [r, c] = dims2(out);
  if (r !== rows || c !== cols) throw new LoraShapeError(`${what}: has shape [${out.shape.join(', ')}], expected [${rows}, ${cols}]`);
}

/** Outputs must not share memory with inputs (the kernels read inputs while writing outputs). */
export function noAlias(outs: (Tensor | undefined | null)[], ins: Tensor[], what: string): void {
  for (const o of outs) {
    if (!o) continue;
    for (const i of ins) {
      if (o.device !== i.device) continue;  // the native side rejects mixed devices with LoraBackendError
      if (o.device !== 'cpu') {
        if (o._deviceHandle === i._deviceHandle) throw new LoraValueError(`${what}: an output overlaps an input in memory`);
        continue;
      }
      const a = o.data, b = i.data;
      if (a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength)
        throw new LoraValueError(`${what}: an output overlaps an input in memory`);
    }
  }
}

/**
 * Runs a native async op and resolves to `result` once it settled. The addon itself keeps what the op uses safe
 * meanwhile (csrc/binding/hold.h): private copies of host memory, pinned device memory.
 */
export async function pending<T>(start: () => Promise<unknown>, result: T): Promise<T> {
  await start();
  return result;
}

/** An options object (or undefined) with no key outside `allowed`: a misspelt option is an error, not ignored. */
export function knownKeys<T>(o: T, allowed: readonly string[], what: string): T {
  if (o === undefined) return o;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new LoraValueError(`${what}: options must be an object`);
  const bad = Object.keys(o).filter((k) => !allowed.includes(k));
  if (bad.length) {
    // PEFT's and PyTorch's snake_case names (fan_in_fan_out, weight_decay) are the likeliest slips: name ours.
    const named = bad.map((k) => {
      const camel = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      return camel !== k && allowed.includes(camel) ? `${k} (did you mean ${camel}?)` : k;
    });
    throw new LoraValueError(`${what}: unknown option${bad.length > 1 ? 's' : ''} ${named.join(', ')} (known: ${allowed.join(', ')})`);
  }
  return o;
}
