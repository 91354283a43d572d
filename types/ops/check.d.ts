/** Argument checks shared by the op wrappers: every problem becomes a typed error naming the offending shapes. */
import { DType } from '../dtype';
import { Tensor } from '../tensor';
export declare function fmt(t: Tensor): string;
/** `t` is a live Tensor (not disposed) of one of `dtypes`. */
export declare function live(t: unknown, what: string, dtypes?: readonly DType[]): Tensor;
/** [rows, cols] as the kernels see it: N-D flattens leading dimensions, 1-D is a column. */
export declare function dims2(t: Tensor): [number, number];
export declare function matrix(t: unknown, what: string, dtypes?: readonly DType[]): Tensor;
export declare function finiteNumber(x: unknown, what: string): number;
export declare function intInRange(x: unknown, what: string, lo: number, hi: number): number;
/** An output tensor supplied by the caller must have exactly this shape. */
export declare function checkOut(out: Tensor | undefined, what: string, rows: number, cols: number): void;
/** Outputs must not share memory with inputs (the kernels read inputs while writing outputs). */
export declare function noAlias(outs: (Tensor | undefined | null)[], ins: Tensor[], what: string): void;
/** Runs a native async op, keeping its tensors from being disposed until it settles. */
export declare function pending<T>(tensors: (Tensor | undefined | null)[], start: () => Promise<unknown>, result: T): Promise<T>;
