export interface NativeBackendInfo {
    name: string;
    available: boolean;
    reason: string;
    deviceName: string;
    details: string;
}
export interface Native {
    matmul(a: unknown, b: unknown, c: unknown, ta: boolean, tb: boolean, alpha: number, beta: number, async: boolean): any;
    gradAccumulate(g: unknown, dy: unknown, x: unknown, scale: number, async: boolean): any;
    svd(m: unknown, u: unknown, s: unknown, vt: unknown, randomized: boolean, oversample: number, powerIters: number, seed: number, async: boolean): any;
    orthonormalize(a: unknown, async: boolean): any;
    loraForward(x: unknown, w: unknown, a: unknown, b: unknown, s: number, y: unknown, h: unknown, async: boolean): any;
    loraBackward(dy: unknown, x: unknown, w: unknown, a: unknown, b: unknown, s: number, h: unknown, dx: unknown, da: unknown, db: unknown, async: boolean): any;
    copy(src: unknown, dst: unknown, async?: boolean): any;
    deviceAlloc(dtype: string, shape: readonly number[]): unknown;
    deviceFree(handle: unknown): void;
    setAllowTf32(on: boolean): void;
    allFinite(a: unknown): boolean;
    fillGaussian(a: unknown, seed: number): void;
    detach(buf: ArrayBuffer): void;
    backends(): NativeBackendInfo[];
    noop(): void;
    [extra: string]: any;
}
export declare const native: Native;
