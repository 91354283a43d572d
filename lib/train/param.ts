/** param(): a Param (declared in types/train.d.ts) with no gradient yet. */
import type { Param } from '../../types/train';
import { Tensor } from '../tensor';

export function param(value: Tensor, name?: string): Param {
  return { value, grad: null, name };
}
