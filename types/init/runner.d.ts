/**
 * One algorithm, two drivers: an init is written once as a generator that yields each heavy op as a pair
 * (sync form, async form); `runSync` calls the sync forms, `runAsync` awaits the async ones (off the main thread).
 */
export type Step<T> = {
    sync: () => T;
    async: () => Promise<T>;
};
export type Plan<R> = Generator<Step<unknown>, R, unknown>;
export declare function step<T>(sync: () => T, async: () => Promise<T>): Step<T>;
export declare function runSync<R>(plan: Plan<R>): R;
export declare function runAsync<R>(plan: Plan<R>, signal?: AbortSignal, onAbort?: () => Error): Promise<R>;
