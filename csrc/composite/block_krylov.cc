// Randomized block Krylov SVD (Musco & Musco 2015, Alg. 2): the basis Q = [Q₀ … Q_p] of
// K = [M·Ω, (M·Mᵀ)·M·Ω, …, (M·Mᵀ)ᵖ·M·Ω], then a Rayleigh–Ritz step (an exact SVD of B = Qᵀ·M). The power iterations of
// the randomized SVD keep only the last block of this space; keeping all of it captures more of the top-k energy from
// the same products of M, which is where the time goes. Each block's Qᵢᵀ·M is both the next step's Mᵀ·Qᵢ (transposed)
// and block row i of B, so B costs nothing extra: 2·(p + 1) products of M with a b-column block in all, against the
// randomized SVD's 2·(p + 1) + 1 with its l columns. Written only in primitives, so every backend runs it.
#include <algorithm>
#include <cmath>
#include <vector>
#include "../backend.h"

namespace loraga {

namespace {
// "Twice is enough" (Kahan–Parlett; Giraud et al.): a unit vector that keeps at least this much of its length through
// the second projection is numerically independent of the basis, and its normalised remainder orthogonal to it.
constexpr double kKeptLength = 0.5;

// max |entry| of v, read on the host (one small download and a wait on a GPU).
template <class T>
double maxAbsOnHost(Backend& be, const View& v) {
  std::vector<T> h(size_t(v.numel()));
  be.copy(v, View{h.data(), v.dtype, v.rows, v.cols, Device::Host});
  be.synchronize();
  double mx = 0;
  for (T x : h) mx = std::max(mx, std::fabs(double(x)));
  return mx;
}
}  // namespace

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
    // Unlike the randomized SVD's, these products are not normalised in between: M·Bᵢᵀ = M·Mᵀ·Qᵢ has M's scale
    // squared. In f32, M with entries ~1e-30 underflowed it to zero (and the iteration stopped at Q₀, σ 18 % low),
    // ~1e25 overflowed it. Bᵢ has M's scale: past 2^±40, f64 holds the squares (a copy of M, only then).
    if (i == 0 && ct == DType::F32) {
      const double mx = maxAbsOnHost<float>(*this, bi);
      if (mx > 0 && (mx < 0x1p-40 || mx > 0x1p40)) {
        BufferPtr m64 = alloc(DType::F64, rows, cols);
        copy(m, m64->view);
        mc.reset();
        return blockKrylovSvd(m64->view, opt, u, s, vt);
      }
    }
    if (i + 1 == depth) break;
    BufferPtr y = alloc(ct, rows, b);
    matmul(false, true, 1.0, mv, bi, 0.0, y->view);  // M·Mᵀ·Qᵢ
    // Block Gram–Schmidt twice, normalising in between (BCGS2): the second pass removes what rounding left along the
    // earlier blocks once the block is of unit size. When that second block is ill-conditioned, or a direction lost
    // more than half its (unit) length to the second pass, part of it lay in the space already found: M's numerical
    // rank is used up, and the blocks so far are the whole basis. The absolute test matters when the space runs out
    // at a block boundary (e.g. G with 32 non-zero rows, blocks of 8): then the whole block is rounding noise inside
    // the old space, as well conditioned as any random block, and normalising it would break Q's orthogonality
    // (singular values above σ₁ came out before this test).
    project(y->view);
    orthonormalizeCholQr(y->view, 1);
    project(y->view);
    if (!orthonormalizeCholQr(y->view, 2, kKeptLength)) {
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
