// The primitives of CholeskyQR on the GPU: Gram matrix by cuBLAS SYRK, Cholesky by cuSOLVER potrf, triangular solve
// by cuBLAS TRSM. Row-major data is its column-major transpose: a row-major m×n block is column-major aᵀ (n×m), and
// the row-major upper triangle of an n×n matrix is the column-major lower one, so no transposing copies are needed.
#include <algorithm>
#include <cmath>
#include <vector>
#include "backend.h"

namespace loraga::cuda {

namespace {
template <class T>
bool choleskyTyped(CudaBackend& be, const View& g, double maxCond, double minDiag) {
  const auto& F = solverFns<T>(be.libs());
  const int n = int(g.rows);
  int lwork = 0;
  check(F.potrfBufferSize(be.solver(), CUBLAS_FILL_MODE_LOWER, n, g.as<T>(), n, &lwork), "potrf_bufferSize");
  BufferPtr work = be.alloc(g.dtype, std::max(lwork, 1), 1), info = be.alloc(DType::F32, 1, 1);
  int* dInfo = static_cast<int*>(info->view.data);
  check(F.potrf(be.solver(), CUBLAS_FILL_MODE_LOWER, n, g.as<T>(), n, work->view.as<T>(), lwork, dInfo), "potrf");
  if (maxCond < 0) return true;  // no answer wanted: the stream runs on without a host wait
  // The one wait of a CholeskyQR: info and the diagonal (strided by n + 1) in one round trip. Not through
  // readInfo's batch log, because the fallback decision must be made now.
  int h = 0;
  std::vector<T> diag(size_t(std::max(n, 1)));
  check(cudaMemcpyAsync(&h, dInfo, sizeof h, cudaMemcpyDeviceToHost, be.stream()), "potrf info");
  check(cudaMemcpy2DAsync(diag.data(), sizeof(T), g.data, size_t(n + 1) * sizeof(T), sizeof(T), size_t(n),
                          cudaMemcpyDeviceToHost, be.stream()),
        "potrf diagonal");
  check(cudaStreamSynchronize(be.stream()), "potrf");
  if (h != 0) return false;
  if (maxCond == 0 && minDiag <= 0) return true;
  double lo = INFINITY, hi = 0;
  for (int i = 0; i < n; ++i) {
    lo = std::min(lo, std::fabs(double(diag[size_t(i)])));
    hi = std::max(hi, std::fabs(double(diag[size_t(i)])));
  }
  return std::isfinite(hi) && lo > 0 && (maxCond == 0 || hi <= maxCond * lo) && lo >= minDiag;
}
}  // namespace

void CudaBackend::gram(const View& a, const View& g, bool ofRows, double alpha) {
  enter();
  const int m = int(a.rows), n = int(a.cols), ld = std::max(n, 1);
  // Column-major X = aᵀ (n×m): aᵀ·a = X·Xᵀ (OP_N) and a·aᵀ = Xᵀ·X (OP_T), written to the column-major lower
  // (row-major upper) triangle.
  const int size = ofRows ? m : n, depth = ofRows ? n : m, ldg = std::max(size, 1);
  const cublasOperation_t op = ofRows ? CUBLAS_OP_T : CUBLAS_OP_N;
  if (a.dtype == DType::F64) {
    const double zero = 0;
    check(libs_.blas.dsyrk(blas_, CUBLAS_FILL_MODE_LOWER, op, size, depth, &alpha, a.as<double>(), ld, &zero,
                           g.as<double>(), ldg),
          "cublasDsyrk");
  } else {
    const float al = float(alpha), zero = 0;
    check(libs_.blas.ssyrk(blas_, CUBLAS_FILL_MODE_LOWER, op, size, depth, &al, a.as<float>(), ld, &zero, g.as<float>(),
                           ldg),
          "cublasSsyrk");
  }
}

bool CudaBackend::cholesky(const View& g, double maxCond, double minDiag) {
  enter();
  return g.dtype == DType::F64 ? choleskyTyped<double>(*this, g, maxCond, minDiag)
                               : choleskyTyped<float>(*this, g, maxCond, minDiag);
}

void CudaBackend::triangularSolveRight(const View& r, const View& a) {
  enter();
  const int m = int(a.rows), n = int(a.cols), ld = std::max(n, 1);
  // Row-major a ← a·R⁻¹ is column-major aᵀ ← R⁻ᵀ·aᵀ, and R⁻ᵀ is the inverse of r's column-major lower triangle.
  if (a.dtype == DType::F64) {
    const double one = 1;
    check(libs_.blas.dtrsm(blas_, CUBLAS_SIDE_LEFT, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N, CUBLAS_DIAG_NON_UNIT, n, m,
                           &one, r.as<double>(), ld, a.as<double>(), ld),
          "cublasDtrsm");
  } else {
    const float one = 1;
    check(libs_.blas.strsm(blas_, CUBLAS_SIDE_LEFT, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N, CUBLAS_DIAG_NON_UNIT, n, m,
                           &one, r.as<float>(), ld, a.as<float>(), ld),
          "cublasStrsm");
  }
}

}  // namespace loraga::cuda
