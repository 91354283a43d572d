// orthonormalize: thin QR's Q via LAPACK. Row-major A (m×n) is column-major Aᵀ (n×m); the LQ factorisation Aᵀ = L·Q'
// gives A = Q'ᵀ·Lᵀ, and Q' (n×m, column-major) is exactly Q_A in row-major: gelqf + orglq work in place, no transposes.
#include <vector>
#include "backend.h"
#include "lapack.h"

namespace loraga {

namespace {
template <class T>
void orthoTyped(const View& a) {
  const int M = int(a.cols), N = int(a.rows), K = int(a.cols), lda = int(std::max<int64_t>(a.cols, 1));
  std::vector<T> tau(size_t(std::max(K, 1)));
  T wq = 0;
  int info = 0, lwork = -1;
  lapack::gelqf(&M, &N, a.as<T>(), &lda, tau.data(), &wq, &lwork, &info);
  lwork = int(wq) + 1;
  std::vector<T> w(static_cast<size_t>(lwork));
  lapack::gelqf(&M, &N, a.as<T>(), &lda, tau.data(), w.data(), &lwork, &info);
  if (info != 0) fail(ErrorCode::Internal, "qr: gelqf info " + std::to_string(info));
  lwork = -1;
  lapack::orglq(&M, &N, &K, a.as<T>(), &lda, tau.data(), &wq, &lwork, &info);
  lwork = int(wq) + 1;
  w.resize(size_t(lwork));
  lapack::orglq(&M, &N, &K, a.as<T>(), &lda, tau.data(), w.data(), &lwork, &info);
  if (info != 0) fail(ErrorCode::Internal, "qr: orglq info " + std::to_string(info));
}
}  // namespace

void CpuBackend::orthonormalize(const View& a) {
  if (a.cols == 0) return;
  if (a.dtype == DType::F64) {
    orthoTyped<double>(a);
  } else if (a.dtype == DType::F32) {
    orthoTyped<float>(a);
  } else {
    BufferPtr f = alloc(DType::F32, a.rows, a.cols);
    copy(a, f->view);
    orthoTyped<float>(f->view);
    copy(f->view, a);
  }
}

}  // namespace loraga
