// Symmetric eigendecomposition on the GPU: cuSOLVER syevd (divide and conquer), as on the CPU. The row-major upper
// triangle is the column-major lower one, and the column-major eigenvector matrix (column i = eigenvector i) reads
// row-major as one eigenvector per row. The eigenvalues come back to the host: the caller decides from them.
#include <algorithm>
#include <string>
#include <vector>
#include "backend.h"

namespace loraga::cuda {

void CudaBackend::symmetricEigen(const View& c, double* w) {
  enter();
  const int n = int(c.rows), ld = std::max(n, 1);
  if (n == 0) return;
  const auto& F = libs_.solver.d;
  BufferPtr dw = alloc(DType::F64, n, 1), info = alloc(DType::F32, 1, 1);
  int lwork = 0;
  check(F.syevdBufferSize(solver_, CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_LOWER, n, c.as<double>(), ld,
                          dw->view.as<double>(), &lwork),
        "syevd_bufferSize");
  BufferPtr work = alloc(DType::F64, std::max(lwork, 1), 1);
  int* dInfo = static_cast<int*>(info->view.data);
  check(F.syevd(solver_, CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_LOWER, n, c.as<double>(), ld, dw->view.as<double>(),
                work->view.as<double>(), lwork, dInfo),
        "syevd");
  // One round trip for info and the eigenvalues (not readInfo's batch log: the caller needs them now).
  int h = 0;
  check(cudaMemcpyAsync(&h, dInfo, sizeof h, cudaMemcpyDeviceToHost, stream_), "syevd info");
  check(cudaMemcpyAsync(w, dw->view.data, size_t(n) * sizeof(double), cudaMemcpyDeviceToHost, stream_),
        "syevd eigenvalues");
  check(cudaStreamSynchronize(stream_), "syevd");
  if (h > 0)
    fail(ErrorCode::Value, "symmetric eigen: cuSOLVER syevd did not converge (info " + std::to_string(h) + ")");
  if (h < 0) fail(ErrorCode::Internal, "symmetric eigen: cuSOLVER syevd rejected argument " + std::to_string(-h));
}

}  // namespace loraga::cuda
