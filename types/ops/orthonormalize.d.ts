/* orthonormalize: the Q of a thin QR, in place. */
import type { Tensor } from '../tensor';

/** Replaces A (m×n, m ≥ n) by the Q of its thin QR, in place; returns A. */
export declare function orthonormalize(A: Tensor): Tensor;
