/**
 * A bad option's error message must not itself throw. JSON.stringify throws on a BigInt and on cycles, and so a
 * check that wrote the value with it turned `fanInFanOut: 1n` into a TypeError ("Do not know how to serialize a
 * BigInt") instead of the LoraValueError it documents (found by the N-API fuzz with new seeds: initLoraGA,
 * initPiSSA, loraForward and Tensor.from's dtype), and String() throws on an object without a prototype (initLoraGA
 * rank: {} from the fuzz). lib/show.ts writes such values; these are checks that used JSON.stringify or String().
 */
import {
  AdamW, LoraDTypeError, LoraError, LoraValueError, LrSchedule, Rng, Tensor, initAdapters, initLoraGA, initPiSSA, orthonormalize, param,
  svd,
} from '../lib';
import { show, showJson, str } from '../lib/show';
import { randTensor } from './helpers/ref';

const W = randTensor([12, 10], 1).t, G = randTensor([12, 10], 2).t;
const base = { rank: 2, alpha: 4 };
const cyclic: unknown[] = [1];
cyclic.push(cyclic);
// [what is written in the message, the value]
const unwritable: [string, unknown][] = [['1n', 1n], ['Symbol(x)', Symbol('x')], ['[1, [1, [1', cyclic]];
// String() throws on an object without a prototype ("Cannot convert object to primitive value"; the fuzz's
// initLoraGA rank: {}), and on a Symbol in a template literal.
const unprintable: [string, unknown][] = [['12345', 12345n], ['Symbol(x)', Symbol('x')], ['[object Object]', Object.create(null)]];

type Check = [string, (v: unknown) => unknown, new (...a: never[]) => LoraError, [string, unknown][]?];
const checks: Check[] = [
  ['initLoraGA fanInFanOut', (v) => initLoraGA(W, G, { ...base, fanInFanOut: v } as never), LoraValueError],
  ['initLoraGA svd', (v) => initLoraGA(W, G, { ...base, svd: v } as never), LoraValueError],
  ['initLoraGA dtype', (v) => initLoraGA(W, G, { ...base, dtype: v } as never), LoraDTypeError],
  ['initPiSSA dtype', (v) => initPiSSA(W, { ...base, dtype: v } as never), LoraDTypeError],
  ['Tensor.zeros dtype', (v) => Tensor.zeros([2], v as never), LoraDTypeError],
  ['orthonormalize method', (v) => orthonormalize(randTensor([4, 2], 3).t, { method: v } as never), LoraValueError],
  ['LrSchedule kind', (v) => new LrSchedule(new AdamW([param(Tensor.zeros([2]))], { lr: 0.1 }), { kind: v } as never), LoraValueError],
  ['AdamW.loadStateDict hyperparameter', (v) => {
    const sd = new AdamW([param(Tensor.zeros([2]))], { lr: 0.1 }).stateDict();
    new AdamW([param(Tensor.zeros([2]))], { lr: 0.1 }).loadStateDict({ ...sd, hyper: { ...sd.hyper, eps: v } } as never);
  }, LoraValueError],
  ['initLoraGA rank', (v) => initLoraGA(W, G, { ...base, rank: v } as never), LoraValueError, unprintable],
  ['svd method', (v) => svd(G, { k: 2, method: v } as never), LoraValueError, unprintable],
  ['Tensor.randn seed', (v) => Tensor.randn([2], 'f32', 'cpu', v as never), LoraValueError, unprintable],
  ['Rng seed', (v) => new Rng(v as never), LoraValueError, unprintable],
  ['AdamW.loadStateDict kind', (v) => {
    const sd = new AdamW([param(Tensor.zeros([2]))], { lr: 0.1 }).stateDict();
    new AdamW([param(Tensor.zeros([2]))], { lr: 0.1 }).loadStateDict({ ...sd, kind: v } as never);
  }, LoraValueError, unprintable],
];

describe('a value JSON or String() cannot write (BigInt, Symbol, a cyclic array, an object without a prototype) still gets the typed error, naming it', () => {
  test.each(checks)('%s', (_name, call, Cls, values = unwritable) => {
    for (const [written, v] of values) {
      let err: unknown;
      try {
        call(v);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Cls);
      expect((err as Error).message).toContain(written);
    }
  });

  test('initAdapters method (async): rejects with LoraValueError', async () => {
    for (const [written, v] of unwritable)
      await expect(initAdapters({ m: W }, { m: G }, { ...base, method: v } as never)).rejects.toThrow(new RegExp(`unknown method ${written.replace(/[[\]()]/g, '\\$&')}`));
  });

  test('show, showJson and str: JSON or String() where they can, never a throw', () => {
    expect(showJson({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
    expect(showJson('s')).toBe('"s"');
    expect(showJson(undefined)).toBe('undefined');
    expect(showJson(NaN)).toBe('null');  // JSON's own form, which the optimizer's state comparison relies on
    expect(showJson({ big: 1n })).toBe('[object Object]');
    expect(show([1n, 'a', null, Symbol('q')])).toBe('[1n, "a", null, Symbol(q)]');
    expect(show(cyclic)).toBe('[1, [1, [1, [1, […]]]]]');
    expect(str(Object.create(null))).toBe('[object Object]');
    expect(str({ toString: () => { throw new Error('no'); } })).toBe('[object Object]');
    expect(str('4')).toBe('4');  // as String(): the messages that used it read the same
  });
});
