// solve on the GPU: LU with partial pivoting, cuSOLVER getrf + getrs (f32 or f64). The row-major a is the
// column-major aᵀ, so getrs solves with trans = T. a is factored in a scratch copy (never written) and b goes
// through column-major scratch, written only once the solve succeeded.
#include <algorithm>
#include "backend.h"

namespace loraga::cuda {

namespace {
template <class T>
void solveTyped(CudaBackend& be, const View& a, const View& b) {
  const auto& F = solverFns<T>(be.libs());
  const int n = int(a.rows), nrhs = int(b.cols);
  // a's row-major buffer is column-major aᵀ: factor aᵀ = P·L·U, then solve (aᵀ)ᵀ·x = b with trans = T.
  BufferPtr lu = be.alloc(a.dtype, n, n);
  be.copy(a, lu->view);
  const View& f = lu->view;
  BufferPtr piv = be.alloc(DType::F32, std::max(n, 1), 1), info = be.alloc(DType::F32, 1, 1);
  int lwork = 0;
  check(F.getrfBufferSize(be.solver(), n, n, f.as<T>(), n, &lwork), "getrf_bufferSize");
  BufferPtr work = be.alloc(a.dtype, std::max(lwork, 1), 1);
  int* dInfo = static_cast<int*>(info->view.data);
  int* ipiv = static_cast<int*>(piv->view.data);
  check(F.getrf(be.solver(), n, n, f.as<T>(), n, work->view.as<T>(), ipiv, dInfo), "getrf");
  const int st = be.readInfo(dInfo);
  if (st > 0) fail(ErrorCode::Value, "solve: matrix is singular (U[" + std::to_string(st - 1) + "] is zero)");
  if (st < 0) fail(ErrorCode::Internal, "solve: getrf rejected argument " + std::to_string(-st));
  BufferPtr bc = be.alloc(b.dtype, b.cols, b.rows);  // column-major n×nrhs
  be.transpose(b, bc->view);
  check(F.getrs(be.solver(), CUBLAS_OP_T, n, nrhs, f.as<T>(), n, ipiv, bc->view.as<T>(), n, dInfo), "getrs");
  if (int s2 = be.readInfo(dInfo)) fail(ErrorCode::Internal, "solve: getrs info " + std::to_string(s2));
  be.transpose(bc->view, b);
}
}  // namespace

void CudaBackend::solve(const View& a, const View& b) {
  enter();
  if (a.numel() == 0 || b.numel() == 0) return;
  if (a.dtype == DType::F64)
    solveTyped<double>(*this, a, b);
  else
    solveTyped<float>(*this, a, b);
}

}  // namespace loraga::cuda
