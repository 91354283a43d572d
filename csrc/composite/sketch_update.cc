// sketchUpdate as a composite: one batch folded into a streaming sketch of G = Σ dyᵀ·x (lib/init/sketch.ts holds the
// sketches and the math of the reconstruction). Each product of a batch with a test matrix, M·Ω for M = x or dy, is
// formed transposed, (M·Ω)ᵀ = Ωᵀ·Mᵀ [c, T], a block of Ω's columns at a time: a block of rows of the result is
// contiguous, and the block of Ω is drawn where it is used (fillGaussianAt), so no [in, c] or [out, c] test matrix
// is ever whole. What the op allocates is the batch in the sketch dtype (when it is another), one [c, T] product at
// a time and one block of at most kPanelBytes (256 KiB), all freed when it returns: a sketch's memory between and
// during batches stays O((in + out)·k + T·s) instead of the accumulator's out·in (the streaming mode's reason to
// exist).
#include <algorithm>
#include "../backend.h"

namespace loraga {

namespace {
constexpr int64_t kPanelBytes = int64_t(256) << 10;  // a block of Ω: 16 of its columns for in = 4096 (f32)
}  // namespace

void Backend::sketchUpdate(const View& x, const View& dy, uint64_t seed, const View& y, const View& e, const View& w,
                           const View& z) {
  const DType ct = y.dtype;
  const int64_t tokens = x.rows, k = y.cols, t = e.cols, s = z.data ? z.cols : 0;
  // The batch in the sketch's dtype once, rather than widened again by every product below.
  BufferPtr xc, dyc;
  const auto as = [&](const View& v, BufferPtr& keep) {
    if (v.dtype == ct) return v;
    keep = alloc(ct, v.rows, v.cols);
    copy(v, keep->view);
    return keep->view;
  };
  const View xv = as(x, xc), dv = as(dy, dyc);
  // (M·Ω)ᵀ for M [T, n] and Ω [n, c] = randn(seed·8 + which), by blocks of Ω's columns.
  const auto sketchT = [&](const View& m, int which, int64_t c) {
    const int64_t n = m.cols;
    BufferPtr pt = alloc(ct, c, tokens);
    const int64_t width = std::clamp<int64_t>(kPanelBytes / std::max<int64_t>(1, n * int64_t(dtypeSize(ct))), 1, c);
    BufferPtr panel = alloc(ct, n, width);
    for (int64_t j0 = 0; j0 < c; j0 += width) {
      View block = panel->view;
      block.cols = std::min(width, c - j0);
      fillGaussianAt(block, seed * 8 + uint64_t(which), uint64_t(j0), c);
      matmul(true, true, 1.0, block, m, 0.0, pt->view.rowBlock(j0, block.cols));  // Ω_blockᵀ·Mᵀ
    }
    return pt;
  };
  {
    BufferPtr xo = sketchT(xv, 1, k);
    matmul(true, true, 1.0, dv, xo->view, 1.0, y);  // y += dyᵀ·(x·Ω)
  }
  {
    BufferPtr xt = sketchT(xv, 5, t);
    matmul(true, true, 1.0, dv, xt->view, 1.0, e);  // e += dyᵀ·(x·Θ)
  }
  if (w.data) {
    BufferPtr du = sketchT(dv, 2, k);
    matmul(false, false, 1.0, du->view, xv, 1.0, w);  // w += (dy·Υ)ᵀ·x
  }
  if (z.data) {
    BufferPtr dp = sketchT(dv, 3, s), xp = sketchT(xv, 4, s);
    matmul(false, true, 1.0, dp->view, xp->view, 1.0, z);  // z += (dy·Φ)ᵀ·(x·Ψ)
  }
}

}  // namespace loraga
