// Randomized block Krylov SVD (Musco & Musco 2015, Alg. 2): the basis Q = [Q₀ … Q_p] of
// K = [M·Ω, (M·Mᵀ)·M·Ω, …, (M·Mᵀ)ᵖ·M·Ω], then a Rayleigh–Ritz step (an exact SVD of B = Qᵀ·M). The power iterations of
// the randomized SVD keep only the last block of this space; keeping all of it captures more of the top-k energy from
// the same products of M, which is where the time goes. Each block's Qᵢᵀ·M is both the next step's Mᵀ·Qᵢ (transposed)
// and block row i of B, so B costs nothing extra: 2·(p + 1) products of M with a b-column block in all, against the
// randomized SVD's 2·(p + 1) + 1 with its l columns. Written only in primitives, so every backend runs it.
#include <algorithm>
#include <vector>
#include "../backend.h"

namespace loraga {

void Backend::blockKrylovSvd(const View& m, const SvdOptions& opt, const View& u, const View& s, const View& vt) {
  const int64_t rows = m.rows, cols = m.cols, k = opt.k, p = std::min(rows, cols);
  // Block width b ≥ k; no more blocks than fit in min(m, n) dimensions (past that the space is exhausted).
  const int64_t b = std::min(p, k + std::max<int64_t>(opt.oversample, 0));
  const int64_t depth = std::max<int64_t>(1, std::min<int64_t>(int64_t(opt.powerIters) + 1, p / b));
  BufferPtr mc;
  const View mv = inComputeDType(m, mc);
  const DType ct = mv.dtype;
  BufferPtr bAll = alloc(ct, depth * b, cols);  // B = Qᵀ·M, block row i = Qᵢᵀ·M
  std::vector<BufferPtr> q;
  BufferPtr coef = alloc(ct, b, b);
  // y ← y − Σⱼ Qⱼ·(Qⱼᵀ·y): one block classical Gram–Schmidt pass against the blocks so far.
  const auto project = [&](const View& y) {
    for (const BufferPtr& qj : q) {
      matmul(true, false, 1.0, qj->view, y, 0.0, coef->view);
      matmul(false, false, -1.0, qj->view, coef->view, 1.0, y);
    }
  };
  {
    BufferPtr omega = alloc(ct, cols, b), y = alloc(ct, rows, b);
    fillGaussian(omega->view, opt.seed);
    matmul(false, false, 1.0, mv, omega->view, 0.0, y->view);  // Q₀ from M·Ω
    checkProduct(y->view, "krylov");
    orthonormalizeCholQr(y->view, 2);
    q.push_back(std::move(y));
  }
  int64_t used = depth;
  for (int64_t i = 0; i < depth; ++i) {
    const View bi = bAll->view.rowBlock(i * b, b);
    matmul(true, false, 1.0, q[size_t(i)]->view, mv, 0.0, bi);  // Bᵢ = Qᵢᵀ·M (= (Mᵀ·Qᵢ)ᵀ)
    checkProduct(bi, "krylov");
    if (i + 1 == depth) break;
    BufferPtr y = alloc(ct, rows, b);
    matmul(false, true, 1.0, mv, bi, 0.0, y->view);  // M·Mᵀ·Qᵢ
    // Block Gram–Schmidt twice, normalising in between (BCGS2): the second pass removes what rounding left along the
    // earlier blocks once the block is of unit size. When that second block is ill-conditioned, part of it lay in
    // the space already found: M's numerical rank is used up, and the blocks so far are the whole basis.
    project(y->view);
    orthonormalizeCholQr(y->view, 1);
    project(y->view);
    if (!orthonormalizeCholQr(y->view, 2)) {
      used = i + 1;
      break;
    }
    q.push_back(std::move(y));
  }
  // Rayleigh–Ritz: B = U_B·S·Vᵀ over the used blocks, U = Q·U_B (block row i of U_B meets Qᵢ).
  const View bUsed = bAll->view.rowBlock(0, used * b);
  BufferPtr ub = alloc(ct, used * b, k);
  svdByGram(bUsed, ub->view, s, vt);
  for (int64_t i = 0; i < used; ++i)
    matmul(false, false, 1.0, q[size_t(i)]->view, ub->view.rowBlock(i * b, b), i == 0 ? 0.0 : 1.0, u);
}

}  // namespace loraga
