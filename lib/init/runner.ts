/**
 * One algorithm, two drivers: an init is written once as a generator that yields each heavy op as a pair
 * (sync form, async form); `runSync` calls the sync forms, `runAsync` awaits the async ones (off the main thread).
 */
export type Step<T> = { sync: () => T; async: () => Promise<T> };
export type Plan<R> = Generator<Step<unknown>, R, unknown>;

export function step<T>(sync: () => T, async: () => Promise<T>): Step<T> {
  return { sync, async };
}

export function runSync<R>(plan: Plan<R>): R {
  let next = plan.next();
  while (!next.done) next = plan.next(next.value.sync());
  return next.value;
}

export async function runAsync<R>(plan: Plan<R>, signal?: AbortSignal, onAbort?: () => Error): Promise<R> {
  let next = plan.next();
  while (!next.done) {
    if (signal?.aborted && onAbort) {
      plan.return(undefined as R);
      throw onAbort();
    }
    next = plan.next(await next.value.async());
  }
  return next.value;
}
