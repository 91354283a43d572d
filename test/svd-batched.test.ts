// svdBatched: many SVDs in one call must give exactly what one svd per matrix gives (seed + i for matrix i).
import { LoraShapeError, Tensor, svd, svdBatched, svdBatchedAsync } from '../lib';
import { randTensor } from './helpers/ref';

const shapes: [number, number][] = [[40, 30], [25, 60], [50, 50]];

describe('svdBatched', () => {
  test.each(['exact', 'randomized'] as const)('%s: each result equals the single-matrix svd (seed + i)', (method) => {
    const Ms = shapes.map(([m, n], i) => randTensor([m, n], 50 + i).t);
    const batch = svdBatched(Ms, { k: 6, method, seed: 9 });
    Ms.forEach((M, i) => {
      const one = svd(M, { k: 6, method, seed: 9 + i });
      expect(Array.from(batch[i].S.data)).toEqual(Array.from(one.S.data));
      expect(Array.from(batch[i].U.data)).toEqual(Array.from(one.U.data));
      expect(Array.from(batch[i].Vt.data)).toEqual(Array.from(one.Vt.data));
    });
  });

  test('async form resolves with the sync results', async () => {
    const Ms = shapes.map(([m, n], i) => randTensor([m, n], 60 + i).t);
    const a = svdBatched(Ms, { k: 4, method: 'randomized' }), b = await svdBatchedAsync(Ms, { k: 4, method: 'randomized' });
    b.forEach((r, i) => expect(Array.from(r.S.data)).toEqual(Array.from(a[i].S.data)));
  });

  test('an empty list, or a k too large for one matrix, is a LoraShapeError naming it', () => {
    expect(() => svdBatched([])).toThrow(LoraShapeError);
    const Ms = [Tensor.zeros([10, 10]), Tensor.zeros([3, 10])];
    expect(() => svdBatched(Ms, { k: 5 })).toThrow(/M\[1\]/);
  });
});
