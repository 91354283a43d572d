/**
 * Learning-rate schedules (declared in types/optimizers.d.ts) as PyTorch's LambdaLR applies them: group g's rate at
 * step t is baseLr_g × factor(t). The factors are Hugging Face transformers' get_constant_schedule(_with_warmup),
 * get_linear_schedule_with_warmup and get_cosine_schedule_with_warmup, written with the same float operations in
 * the same order, so the rates are the same doubles.
 */
import type { LrScheduleOptions, LrScheduleState } from '../../types/optimizers';
import { LoraValueError } from '../errors';
import { finiteNumber, knownKeys } from '../ops/check';
import { nonNegInt } from '../init/common';
import { Optimizer } from './optim';
import { showJson } from '../show';

const KINDS = ['constant', 'linear', 'cosine'] as const;

export class LrSchedule {
  readonly optimizer: Optimizer;
  readonly options: Readonly<Required<LrScheduleOptions>>;
  private _step = 0;

  constructor(optimizer: Optimizer, options: LrScheduleOptions) {
    if (!(optimizer instanceof Optimizer)) throw new LoraValueError('LrSchedule: expected an Optimizer');
    knownKeys(options, ['kind', 'warmupSteps', 'totalSteps', 'numCycles'], 'LrSchedule');
    if (!options || !(KINDS as readonly string[]).includes(options.kind)) throw new LoraValueError(`LrSchedule kind: expected one of ${KINDS.join(', ')}, got ${showJson(options?.kind)}`);
    const warmupSteps = nonNegInt(options.warmupSteps, 'LrSchedule warmupSteps', 0);
    const totalSteps = options.kind === 'constant' ? nonNegInt(options.totalSteps, 'LrSchedule totalSteps', 0) : nonNegInt(options.totalSteps, 'LrSchedule totalSteps (required for a decay)');
    if (options.kind !== 'cosine' && options.numCycles !== undefined) throw new LoraValueError('LrSchedule numCycles: only the cosine schedule has cycles');
    const numCycles = finiteNumber(options.numCycles ?? 0.5, 'LrSchedule numCycles');
    this.optimizer = optimizer;
    this.options = Object.freeze({ kind: options.kind, warmupSteps, totalSteps, numCycles });
    optimizer.setLrScale(this.factor(0));  // as LambdaLR's constructor: the first step already runs at factor(0)
  }

  /** Steps taken (scheduler.step() calls so far): the rates now are baseLr × factor(lastStep). */
  get lastStep(): number {
    return this._step;
  }

  factor(step: number): number {
    const t = nonNegInt(step, 'LrSchedule.factor step');
    const { kind, warmupSteps: w, totalSteps: n, numCycles } = this.options;
    if (t < w) return t / Math.max(1, w);
    if (kind === 'constant') return 1.0;
    if (kind === 'linear') return Math.max(0.0, (n - t) / Math.max(1, n - w));
    const progress = (t - w) / Math.max(1, n - w);
    return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * numCycles * 2.0 * progress)));
  }

  step(): void {
    this._step++;
    this.optimizer.setLrScale(this.factor(this._step));
  }

  lrs(): number[] {
    return this.optimizer.groups.map((g) => g.lr);
  }

  stateDict(): LrScheduleState {
    return { ...this.options, lastStep: this._step };
  }

  loadStateDict(s: LrScheduleState): void {
    if (!s || typeof s !== 'object') throw new LoraValueError('LrSchedule.loadStateDict: expected an LrScheduleState');
    for (const k of ['kind', 'warmupSteps', 'totalSteps', 'numCycles'] as const)
      if (s[k] !== this.options[k]) throw new LoraValueError(`LrSchedule.loadStateDict: ${k} is ${showJson(s[k])} in the state but ${showJson(this.options[k])} here`);
    this._step = nonNegInt(s.lastStep, 'LrSchedule.loadStateDict lastStep');
    this.optimizer.setLrScale(this.factor(this._step));
  }
}
