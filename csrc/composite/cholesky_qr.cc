// CholeskyQR / CholeskyQR2 (Fukaya, Nakatsukasa, Yanagisawa & Yamamoto 2014): a tall block's basis from a Gram
// matrix (SYRK/GEMM), an n×n Cholesky and a triangular solve, so its cost is BLAS-3 work on the m×n block instead of
// Householder's latency-bound panel updates. Written only in primitives, so the CPU and CUDA backends run the same
// algorithm.
#include <cmath>
#include <limits>
#include "../backend.h"

namespace loraga {

namespace {
// One CholeskyQR pass leaves the columns orthonormal to about κ(a)²·ε, and the second pass restores ε only while
// that is well below 1. max rᵢᵢ / min rᵢᵢ is a cheap lower estimate of κ(a); past ~0.25/√ε (f32: ≈ 700) we take the
// Householder path rather than risk a basis that lost directions (measured in test/cholesky-qr.test.ts).
double maxCondFor(DType t) {
  const double eps =
      t == DType::F64 ? std::numeric_limits<double>::epsilon() : double(std::numeric_limits<float>::epsilon());
  return 0.25 / std::sqrt(eps);
}
}  // namespace

bool Backend::orthonormalizeCholQr(const View& a, int passes, double minDiag) {
  if (a.cols == 0 || a.rows == 0) return true;
  if (a.dtype != DType::F32 && a.dtype != DType::F64) {  // half storage: work in f32, round once
    BufferPtr f = alloc(DType::F32, a.rows, a.cols);
    copy(a, f->view);
    const bool ok = orthonormalizeCholQr(f->view, passes, minDiag);
    copy(f->view, a);
    return ok;
  }
  BufferPtr g = alloc(a.dtype, a.cols, a.cols);
  for (int p = 0; p < passes; ++p) {
    gram(a, g->view, false, 1.0);
    // The first pass decides (the one host sync on a GPU); a later pass sees a near-identity Gram matrix.
    if (!cholesky(g->view, p == 0 ? maxCondFor(a.dtype) : -1.0, p == 0 ? minDiag : 0.0)) {
      orthonormalize(a);  // a still spans the same columns: Householder gives their basis
      return false;
    }
    triangularSolveRight(g->view, a);
  }
  return true;
}

}  // namespace loraga
