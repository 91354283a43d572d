/**
 * What a layer's forward passes leave for their backward passes, one record per forward, so that a layer used
 * several times before its backward (twice in one loss, an autodiff tape) gets each backward right or a typed error,
 * never the gradients of another forward in silence. A backward names its forward by the output it returned
 * (`{ output: y }`); without a name only while one forward is open (since the last step's backward).
 */
import type { Tensor } from '../../types/tensor';
import { LoraValueError } from '../errors';

interface Entry<C> { y: Tensor; ctx: C; used: boolean }

export class ForwardContexts<C> {
  private open: Entry<C>[] = [];

  constructor(private readonly what: string) {}

  /** Records forward `y`'s context. Forwards whose backward already ran are dropped now: that step is over. */
  push(y: Tensor, ctx: C): void {
    this.open = this.open.filter((e) => !e.used);
    this.open.push({ y, ctx, used: false });
  }

  /** The context of the forward that returned `output`, or of the only open forward when `output` is absent. */
  take(output: Tensor | undefined): C {
    let e: Entry<C> | undefined;
    if (output !== undefined) {
      e = this.open.find((o) => o.y === output);
      if (!e) throw new LoraValueError(`${this.what}.backward: { output } is not the result of a forward of this layer still open for backward (a forward with { grad: false }, another layer's output, or one from an earlier step)`);
    } else {
      if (this.open.length === 0) throw new LoraValueError(`${this.what}.backward: call forward() first`);
      if (this.open.length > 1)
        throw new LoraValueError(`${this.what}.backward: ${this.open.length} forward passes are open; say which one this dY belongs to with backward(dY, { output: y }) (y: what that forward returned), or run forwards that need no backward with forward(x, { grad: false })`);
      e = this.open[0];
    }
    e.used = true;
    return e.ctx;
  }

  /** Forgets every forward (merge, or a layer whose forwards no longer apply). */
  clear(): void {
    this.open = [];
  }
}
