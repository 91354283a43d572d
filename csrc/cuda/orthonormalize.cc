// orthonormalize on the GPU: thin QR's Q with cuSOLVER geqrf + orgqr (f32 or f64; half storage in f32). The
// row-major input is transposed into column-major scratch and back (cublas geam).
#include <algorithm>
#include "backend.h"

namespace loraga::cuda {

namespace {
template <class T>
void qrTyped(CudaBackend& be, const View& a) {
  const auto& F = solverFns<T>(be.libs());
  const int m = int(a.rows), n = int(a.cols);
  BufferPtr x = be.alloc(a.dtype, a.cols, a.rows);  // column-major m×n
  be.transpose(a, x->view);
  BufferPtr tau = be.alloc(a.dtype, std::max(n, 1), 1), info = be.alloc(DType::F32, 1, 1);
  int l1 = 0, l2 = 0;
  check(F.geqrfBufferSize(be.solver(), m, n, x->view.as<T>(), m, &l1), "geqrf_bufferSize");
  check(F.orgqrBufferSize(be.solver(), m, n, n, x->view.as<T>(), m, tau->view.as<T>(), &l2), "orgqr_bufferSize");
  const int lwork = std::max({l1, l2, 1});
  BufferPtr work = be.alloc(a.dtype, lwork, 1);
  int* dInfo = static_cast<int*>(info->view.data);
  check(F.geqrf(be.solver(), m, n, x->view.as<T>(), m, tau->view.as<T>(), work->view.as<T>(), lwork, dInfo), "geqrf");
  check(F.orgqr(be.solver(), m, n, n, x->view.as<T>(), m, tau->view.as<T>(), work->view.as<T>(), lwork, dInfo),
        "orgqr");
  if (int st = be.readInfo(dInfo)) fail(ErrorCode::Internal, "orthonormalize: QR info " + std::to_string(st));
  be.transpose(x->view, a);
}
}  // namespace

void CudaBackend::orthonormalize(const View& a) {
  enter();
  if (a.numel() == 0) return;
  BufferPtr hold;
  const View ac = asDtype(a, computeDType(a.dtype), &hold);  // half storage: an f32 copy, copied back after
  if (ac.dtype == DType::F64) {
    qrTyped<double>(*this, ac);
  } else {
    qrTyped<float>(*this, ac);
  }
  if (hold) copy(ac, a);
}

}  // namespace loraga::cuda
