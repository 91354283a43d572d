/**
 * Weight layouts. PyTorch's nn.Linear stores W as [out, in]; transformers' Conv1D (GPT-2 and kin) stores it as
 * [in, out] (PEFT's `fan_in_fan_out: true`). The inits work on [out, in]; a fan-in-fan-out W (and a gradient in
 * its layout) is transposed on the way in and W' back on the way out. A/B are [r, in] / [out, r] in both layouts,
 * as PEFT stores lora_A / lora_B.
 */
import { LoraValueError } from '../errors';
import { allocStorage } from '../dtype';
import { Tensor } from '../tensor';
import { showJson } from '../show';

/** A row-major copy of a host 2-D tensor transposed. Exact for every dtype: storage elements are moved, not converted. */
export function transpose2d(t: Tensor): Tensor {
  if (t.device !== 'cpu') throw new LoraValueError(`transpose: ${t.device} tensors are not supported here (the inits take host tensors)`);
  const [m, n] = t.shape, src = t.data, dst = allocStorage(t.dtype, m * n);
  // Blocked so both sides stay in cache on large weights.
  const bs = 64;
  for (let i0 = 0; i0 < m; i0 += bs)
    for (let j0 = 0; j0 < n; j0 += bs)
      for (let i = i0; i < Math.min(i0 + bs, m); i++)
        for (let j = j0; j < Math.min(j0 + bs, n); j++) dst[j * m + i] = src[i * n + j];
  return new Tensor(dst, [n, m], t.dtype, true);  // the library's own allocation: owned, writable
}

/** `fanInFanOut` of a config: undefined → false (PEFT's default); anything but a boolean is a typed error. */
export function fanInFanOutOption(x: unknown, what: string): boolean {
  if (x === undefined) return false;
  if (typeof x !== 'boolean') throw new LoraValueError(`${what} fanInFanOut: expected a boolean, got ${showJson(x)}`);
  return x;
}

