import { Tensor } from '../tensor';
export interface SolveOptions {
    /** Overwrite a (with its LU factors) and b (with x) instead of copying them. Default false. */
    inPlace?: boolean;
}
/** Returns x with a·x = b (a new tensor unless `inPlace`, in which case it is b). Singular a: LoraValueError. */
export declare function solve(a: Tensor, b: Tensor, options?: SolveOptions): Tensor;
export declare function solveAsync(a: Tensor, b: Tensor, options?: SolveOptions): Promise<Tensor>;
