// The Rayleigh–Ritz step of the randomized and Krylov SVDs: the top k triplets of the short-wide B = Qᵀ·M (l×n,
// l ≤ n) from the eigendecomposition of B·Bᵀ instead of an exact SVD of B. gesdd on B bidiagonalises all of it
// (BLAS-2 bound, O(l²·n)) and returns all l triplets, when only k are used: at l = 325, n = 1024 (Krylov, r = 32) it
// took more time than the ten products with M. Here the l×l Gram is one SYRK (half a GEMM), its eigensolve is O(l³)
// on a small matrix, and Vᵀ = Λ^-½·Wᵀ·B is one GEMM. Squaring B squares its condition, so the Gram and everything
// after it are f64 (B is f32 here: its products in f64 are exact to rounding). When σₖ/σ₁ < 1e-5, B is close enough
// to rank-deficient that the rows Bᵀ·wᵢ/σᵢ would no longer be orthonormal to f32 accuracy (and are undefined at
// σᵢ = 0): then the exact SVD of B, which completes V with an orthonormal basis. Written in primitives only.
#include <cmath>
#include <vector>
#include "../backend.h"

namespace loraga {

namespace {
// λₖ/λ₁ below this (σₖ/σ₁ < 1e-5) falls back to the exact SVD. Measured on f32 M (test/svd-gram.test.ts): the Gram
// path's Vᵀ is orthonormal to ≈ 1e-8 down to σₖ/σ₁ = 1e-5 (an f32 SVD of B: ≈ 5e-7), then loses it fast: 5e-7 at
// 1e-6, 7e-4 at 1e-7, nothing by 1e-8, where λₖ is below the Gram's rounding (ε₆₄·λ₁).
constexpr double kMinEigRatio = 1e-10;

// A k×k diagonal matrix on the backend (host values copied over): a row scaling and a transposition are then
// products with it, so this composite needs no kernel of its own.
BufferPtr diagonal(Backend& be, const std::vector<double>& d) {
  const int64_t k = int64_t(d.size());
  std::vector<double> host(size_t(k * k), 0.0);
  for (int64_t i = 0; i < k; ++i) host[size_t(i * k + i)] = d[size_t(i)];
  BufferPtr out = be.alloc(DType::F64, k, k);
  be.copy(View{host.data(), DType::F64, k, k, Device::Host}, out->view);
  return out;
}
}  // namespace

void Backend::svdByGram(const View& b, const View& ub, const View& s, const View& vt) {
  const int64_t l = b.rows, n = b.cols, k = ub.cols;
  if (k == 0) return;
  // An f64 B (precision 'f64') keeps the exact SVD: squaring costs what f64 was asked for (ε₆₄·l·κ² against
  // gesdd's ε₆₄·κ), while for f32 storage the f64 Gram is the more accurate of the two (ε₆₄·l·κ² ≪ ε₃₂·κ).
  if (b.dtype == DType::F64) return svdExact(b, ub, s, vt);
  BufferPtr b64buf = alloc(DType::F64, l, n);
  copy(b, b64buf->view);
  const View b64 = b64buf->view;
  // Eigenvectors of −B·Bᵀ in ascending order are those of B·Bᵀ in descending order: the top k are rows 0…k−1.
  BufferPtr c = alloc(DType::F64, l, l);
  gram(b64, c->view, true, -1.0);  // SYRK: the upper triangle, all the eigensolver reads
  std::vector<double> w(static_cast<size_t>(l));
  symmetricEigen(c->view, w.data());
  const double top = -w[0], kth = -w[size_t(k - 1)];
  if (!(std::isfinite(top) && top > 0 && kth >= kMinEigRatio * top)) return svdExact(b, ub, s, vt);
  std::vector<double> sigma(static_cast<size_t>(k)), inv(sigma), one(sigma.size(), 1.0);
  for (int64_t i = 0; i < k; ++i) {
    sigma[size_t(i)] = std::sqrt(-w[size_t(i)]);
    inv[size_t(i)] = 1.0 / sigma[size_t(i)];
  }
  const View wk{c->view.data, DType::F64, k, l, c->view.device};  // rows 0…k−1: the top-k eigenvectors wᵢᵀ
  copy(View{sigma.data(), DType::F64, k, 1, Device::Host}, s);
  // Vᵀ = diag(1/σ)·Wₖᵀ·B (k×n), in f64 before the caller's dtype.
  BufferPtr scaled = alloc(DType::F64, k, l);
  matmul(false, false, 1.0, diagonal(*this, inv)->view, wk, 0.0, scaled->view);
  BufferPtr v64 = alloc(DType::F64, k, n);
  matmul(false, false, 1.0, scaled->view, b64, 0.0, v64->view);
  copy(v64->view, vt);
  matmul(true, false, 1.0, wk, diagonal(*this, one)->view, 0.0, ub);  // U_B = Wₖ (l×k): B = U_B·S·Vᵀ
}

}  // namespace loraga
