/**
 * The implementation (lib/, what dist/ is built from) satisfies the hand-kept contract (types/, what users import).
 * `npm run test:types` compiles this; nothing runs. A lib export with the wrong type, a missing export or an export
 * the contract does not declare fails the compile.
 */
import * as impl from '../../lib';
import type * as api from '../../types';

/** `true` when A and B are the same type, else `false`; Assert<false> does not compile. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

// TypeScript relates classes with protected members only through `extends`, so the optimizers (protected update(),
// hyper(), slots(), state) — and loraPlus, which returns an AdamW, and LrSchedule, which takes an Optimizer — are
// compared member by member below instead.
type Nominal = 'Optimizer' | 'SGD' | 'AdamW' | 'loraPlus' | 'LoraProAdamW' | 'LoraOneOptimizer' | 'LoraOneAdamW' | 'LrSchedule';

// Every value the contract declares is exported by the implementation with a type assignable to the declared one:
// functions (parameters and results), constants, and classes (constructor, statics and instance side).
export const values: Omit<typeof api, Nominal> = impl;
// ... and the implementation exports no value the contract does not declare.
export type NoUndeclaredExports = Assert<Same<keyof typeof impl, keyof typeof api>>;

/** The public members of a class type (keyof skips private and protected ones). */
type Public<T> = { [K in keyof T]: T[K] };
declare const params: api.Param[];
declare const groups: api.ParamGroup[];

// SGD and AdamW: the contract's constructor arguments are accepted, and the instances have the declared public side.
export const sgd: (...a: ConstructorParameters<typeof api.SGD>) => Public<api.SGD> = (...a) => new impl.SGD(...a);
export const adamw: (...a: ConstructorParameters<typeof api.AdamW>) => Public<api.AdamW> = (...a) => new impl.AdamW(...a);
export const loraPlus: (...a: Parameters<typeof api.loraPlus>) => Public<api.AdamW> = impl.loraPlus;
export type SgdMembers = Assert<Same<keyof impl.SGD, keyof api.SGD>>;
export type AdamWMembers = Assert<Same<keyof impl.AdamW, keyof api.AdamW>>;
export type OptimizerMembers = Assert<Same<keyof impl.Optimizer, keyof api.Optimizer>>;
declare const proPairs: api.LoraProPair[];
declare const abPairs: { A: api.Param; B: api.Param }[];
export const loraPro: (...a: ConstructorParameters<typeof api.LoraProAdamW>) => Public<api.LoraProAdamW> = (...a) => new impl.LoraProAdamW(...a);
export const loraOne: (...a: ConstructorParameters<typeof api.LoraOneOptimizer>) => Public<api.LoraOneOptimizer> = (...a) => new impl.LoraOneOptimizer(...a);
export const loraOneAdamW: (...a: ConstructorParameters<typeof api.LoraOneAdamW>) => Public<api.LoraOneAdamW> = (...a) => new impl.LoraOneAdamW(...a);
export type LoraProMembers = Assert<Same<keyof impl.LoraProAdamW, keyof api.LoraProAdamW>>;
export type LoraOneMembers = Assert<Same<keyof impl.LoraOneOptimizer, keyof api.LoraOneOptimizer>>;
export type LoraOneAdamWMembers = Assert<Same<keyof impl.LoraOneAdamW, keyof api.LoraOneAdamW>>;
// Every optimizer is an Optimizer (the one interface a trainer codes against), in both the contract and lib.
export const asOptimizers: api.Optimizer[] = [
  new (null! as typeof api.LoraProAdamW)(proPairs, { lr: 1 }), new (null! as typeof api.LoraOneOptimizer)(abPairs, { lr: 1 }),
  new (null! as typeof api.LoraOneAdamW)(abPairs, { lr: 1 }), (null! as typeof api.loraPlus)(abPairs, { lr: 1 }),
];
export const implOptimizers: impl.Optimizer[] = [new impl.LoraProAdamW(proPairs, { lr: 1 }), new impl.LoraOneOptimizer(abPairs, { lr: 1 }), new impl.LoraOneAdamW(abPairs, { lr: 1 })];
// LrSchedule: constructed over the implementation's optimizers, the declared public side.
export const schedule: (o: impl.Optimizer, s: api.LrScheduleOptions) => Omit<Public<api.LrSchedule>, 'optimizer'> = (o, s) => new impl.LrSchedule(o, s);
export type LrScheduleMembers = Assert<Same<keyof impl.LrSchedule, keyof api.LrSchedule>>;

// Optimizer: a subclass written against the contract's protected API (constructor and update) extends the
// implementation, and has the declared public side.
class ViaImpl extends impl.Optimizer {
  constructor(p: api.Param[] | api.ParamGroup[], lr: number, weightDecay: number) {
    super(p, lr, weightDecay);
  }
  protected update(p: api.Param, grad: api.Tensor, g: api.OptimizerGroup): void {
    void p; void grad; void g;
  }
}
export const viaImpl: Public<api.Optimizer> = new ViaImpl(groups, 1e-3, 0);
// The implementation's groups are the declared OptimizerGroup.
export type OptimizerGroups = Assert<Same<impl.Optimizer['groups'], api.Optimizer['groups']>>;

// The same subclass against the contract compiles too (the contract's protected API is what users extend).
export class ViaContract extends (null! as typeof api.Optimizer) {
  constructor() {
    super(params, 1e-3, 0);
  }
  protected update(p: api.Param, grad: api.Tensor, g: api.OptimizerGroup): void {
    void p; void grad; void g;
  }
}
