// The primitives of CholeskyQR on the CPU: Gram matrix by SYRK, Cholesky by LAPACK potrf, triangular solve by TRSM.
// Row-major n×n data is its column-major transpose, so the row-major upper triangle is LAPACK's lower one.
#include <cblas.h>
#include <algorithm>
#include <cmath>
#include <vector>
#include "backend.h"
#include "blas_threads.h"
#include "lapack.h"

namespace loraga {

namespace {
template <class T>
bool choleskyTyped(const View& g, double maxCond, double minDiag) {
  const int n = int(g.rows), ld = std::max(n, 1);
  int info = 0;
  lapack::potrf("L", &n, g.as<T>(), &ld, &info);
  if (info != 0) return false;  // info > 0: leading minor not positive definite
  if (maxCond < 0 || (maxCond == 0 && minDiag <= 0)) return true;
  const T* d = g.as<T>();
  double lo = INFINITY, hi = 0;
  for (int i = 0; i < n; ++i) {
    const double r = std::fabs(double(d[int64_t(i) * n + i]));
    lo = std::min(lo, r);
    hi = std::max(hi, r);
  }
  return std::isfinite(hi) && lo > 0 && (maxCond == 0 || hi <= maxCond * lo) && lo >= minDiag;
}

// g += p on the upper triangle of n×n row-major matrices (all a SYRK writes).
template <class T>
void addUpper(T* g, const T* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j) g[i * n + j] += p[i * n + j];
}
}  // namespace

void CpuBackend::gram(const View& a, const View& g, bool ofRows, double alpha) {
  const int m = int(a.rows), n = int(a.cols), lda = std::max(n, 1);
  const int size = ofRows ? m : n, depth = ofRows ? n : m, ldg = std::max(size, 1);
  const CBLAS_TRANSPOSE op = ofRows ? CblasNoTrans : CblasTrans;
  const size_t e = dtypeSize(a.dtype);
  // The Gram of the depth indices [lo, hi) (columns of a for ofRows, else rows) into out.
  const auto syrk = [&](int64_t lo, int64_t hi, void* out) {
    const char* ap = static_cast<const char*>(a.data) + size_t(ofRows ? lo : lo * lda) * e;
    if (a.dtype == DType::F64)
      cblas_dsyrk(CblasRowMajor, CblasUpper, op, size, int(hi - lo), alpha, reinterpret_cast<const double*>(ap), lda,
                  0.0, static_cast<double*>(out), ldg);
    else
      cblas_ssyrk(CblasRowMajor, CblasUpper, op, size, int(hi - lo), float(alpha), reinterpret_cast<const float*>(ap),
                  lda, 0.0f, static_cast<float*>(out), ldg);
  };
  // A Gram over a long depth (the Rayleigh–Ritz step's B·Bᵀ, 320×320 over 2816 columns at r = 32) is the same
  // reduction in pieces: each thread's share of the depth into a Gram of its own, summed after. Under the randomized
  // and Krylov SVDs OpenBLAS is single-threaded (blas_threads.h), so without this the f64 SYRK used one core.
  const int threads = ownThreads();
  if (threads < 2 || depth < 256 * threads || double(size) * size * depth < double(1 << 25))
    return syrk(0, depth, g.data);
  BlasThreads one(1);
  std::vector<BufferPtr> partial(static_cast<size_t>(threads));  // zero-filled: a piece that did not run adds nothing
  for (int t = 1; t < threads; ++t) partial[size_t(t)] = alloc(g.dtype, size, size);
  parallelParts(depth, threads, 16, [&](int part, int64_t lo, int64_t hi) {
    syrk(lo, hi, part == 0 ? g.data : partial[size_t(part)]->view.data);
  });
  for (int t = 1; t < threads; ++t) {
    if (g.dtype == DType::F64)
      addUpper(g.as<double>(), partial[size_t(t)]->view.as<double>(), size);
    else
      addUpper(g.as<float>(), partial[size_t(t)]->view.as<float>(), size);
  }
}

bool CpuBackend::cholesky(const View& g, double maxCond, double minDiag) {
  return g.dtype == DType::F64 ? choleskyTyped<double>(g, maxCond, minDiag) : choleskyTyped<float>(g, maxCond, minDiag);
}

void CpuBackend::triangularSolveRight(const View& r, const View& a) {
  const int m = int(a.rows), n = int(a.cols), ld = std::max(n, 1);
  if (a.dtype == DType::F64)
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, m, n, 1.0, r.as<double>(), ld,
                a.as<double>(), ld);
  else
    cblas_strsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, m, n, 1.0f, r.as<float>(), ld,
                a.as<float>(), ld);
}

}  // namespace loraga
