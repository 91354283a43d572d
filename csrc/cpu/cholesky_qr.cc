// The primitives of CholeskyQR on the CPU: Gram matrix by SYRK, Cholesky by LAPACK potrf, triangular solve by TRSM.
// Row-major n×n data is its column-major transpose, so the row-major upper triangle is LAPACK's lower one.
#include <cblas.h>
#include <algorithm>
#include <cmath>
#include "backend.h"
#include "lapack.h"

namespace loraga {

namespace {
template <class T>
bool choleskyTyped(const View& g, double maxCond) {
  const int n = int(g.rows), ld = std::max(n, 1);
  int info = 0;
  lapack::potrf("L", &n, g.as<T>(), &ld, &info);
  if (info != 0) return false;  // info > 0: leading minor not positive definite
  if (maxCond <= 0) return true;
  const T* d = g.as<T>();
  double lo = INFINITY, hi = 0;
  for (int i = 0; i < n; ++i) {
    const double r = std::fabs(double(d[int64_t(i) * n + i]));
    lo = std::min(lo, r);
    hi = std::max(hi, r);
  }
  return std::isfinite(hi) && lo > 0 && hi <= maxCond * lo;
}
}  // namespace

void CpuBackend::gram(const View& a, const View& g, bool ofRows, double alpha) {
  const int m = int(a.rows), n = int(a.cols), lda = std::max(n, 1);
  const int size = ofRows ? m : n, depth = ofRows ? n : m, ldg = std::max(size, 1);
  const CBLAS_TRANSPOSE op = ofRows ? CblasNoTrans : CblasTrans;
  if (a.dtype == DType::F64)
    cblas_dsyrk(CblasRowMajor, CblasUpper, op, size, depth, alpha, a.as<double>(), lda, 0.0, g.as<double>(), ldg);
  else
    cblas_ssyrk(CblasRowMajor, CblasUpper, op, size, depth, float(alpha), a.as<float>(), lda, 0.0f, g.as<float>(), ldg);
}

bool CpuBackend::cholesky(const View& g, double maxCond) {
  return g.dtype == DType::F64 ? choleskyTyped<double>(g, maxCond) : choleskyTyped<float>(g, maxCond);
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
