import { Tensor } from '../tensor';
/** Replaces A (m×n, m ≥ n) by the Q of its thin QR, in place. */
export declare function orthonormalize(A: Tensor): Tensor;
