// matmul through OpenBLAS (cblas_?gemm). bf16/f16 operands are widened into f32 scratch first (CPU BLAS has no
// half-precision GEMM); a half-precision output accumulates in f32 and is rounded once.
#include <cblas.h>
#include "backend.h"

namespace loraga {

namespace {
// Returns v itself when it already has dtype `ct`, else a converted copy kept alive in `hold`.
View asCompute(CpuBackend& be, const View& v, DType ct, BufferPtr& hold) {
  if (v.dtype == ct) return v;
  hold = be.alloc(ct, v.rows, v.cols);
  be.copy(v, hold->view);
  return hold->view;
}
}  // namespace

void CpuBackend::matmul(bool ta, bool tb, double alpha, const View& a, const View& b, double beta, const View& c) {
  const int64_t m = ta ? a.cols : a.rows, k = ta ? a.rows : a.cols, n = tb ? b.rows : b.cols;
  const DType ct = computeDType(c.dtype);
  BufferPtr ha, hb, hc;
  View av = asCompute(*this, a, ct, ha), bv = asCompute(*this, b, ct, hb);
  View cv = c;
  if (c.dtype != ct) {  // half-precision output: accumulate in f32, round once at the end
    hc = alloc(ct, c.rows, c.cols);
    if (beta != 0.0) copy(c, hc->view);
    cv = hc->view;
  }
  if (m > 0 && n > 0) {
    const auto tA = ta ? CblasTrans : CblasNoTrans, tB = tb ? CblasTrans : CblasNoTrans;
    const int lda = int(std::max<int64_t>(av.cols, 1)), ldb = int(std::max<int64_t>(bv.cols, 1));
    const int ldc = int(std::max<int64_t>(cv.cols, 1));
    if (ct == DType::F64) {
      cblas_dgemm(CblasRowMajor, tA, tB, int(m), int(n), int(k), alpha, av.as<double>(), lda, bv.as<double>(), ldb,
                  beta, cv.as<double>(), ldc);
    } else {
      cblas_sgemm(CblasRowMajor, tA, tB, int(m), int(n), int(k), float(alpha), av.as<float>(), lda, bv.as<float>(), ldb,
                  float(beta), cv.as<float>(), ldc);
    }
  }
  if (hc) copy(cv, c);
}

}  // namespace loraga
