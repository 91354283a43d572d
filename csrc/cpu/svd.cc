// Exact SVD with LAPACK gesdd (divide and conquer), falling back to gesvd if it fails to converge.
//
// Row-major m×n data is column-major Mᵀ (n×m). LAPACK gives Mᵀ = U'·S·V'ᵀ, hence M = V'·S·U'ᵀ, and the outputs
// land already in our layout: the column-major VT' buffer (p×m) *is* row-major V' = U_M (m×p), and the
// column-major U' buffer (n×p) *is* row-major U'ᵀ = Vᵀ_M (p×n). No transposing copies.
#include <algorithm>
#include <memory>
#include <vector>
#include "backend.h"
#include "blas_threads.h"
#include "lapack.h"

namespace loraga {

namespace {
template <class T>
void svdTyped(CpuBackend& be, const View& m, const View& u, const View& s, const View& vt) {
  const int64_t rows = m.rows, cols = m.cols, p = std::min(rows, cols), k = u.cols;
  BufferPtr work = be.alloc(m.dtype, rows, cols);  // gesdd destroys its input
  be.copy(m, work->view);
  BufferPtr ub = be.alloc(m.dtype, rows, p), vtb = be.alloc(m.dtype, p, cols);
  std::vector<T> sv(size_t(std::max<int64_t>(p, 1)));
  const int M = int(cols), N = int(rows), lda = int(std::max<int64_t>(cols, 1));
  const int ldu = int(std::max<int64_t>(cols, 1)), ldvt = int(std::max<int64_t>(p, 1));
  T* a = work->view.as<T>();
  T* U = vtb->view.as<T>();  // U' (n×p col-major) == Vᵀ_M row-major
  T* VT = ub->view.as<T>();  // V'ᵀ (p×m col-major) == U_M row-major
  int info = 0, lwork = -1;
  T wq = 0;
  std::vector<int> iwork(size_t(8 * std::max<int64_t>(p, 1)));
  lapack::gesdd("S", &M, &N, a, &lda, sv.data(), U, &ldu, VT, &ldvt, &wq, &lwork, iwork.data(), &info);
  if (info == 0) {
    lwork = int(wq) + 1;
    // Backend scratch (backend.cc): gesdd's workspace is tens of MB, written once, and huge pages cut its faults.
    BufferPtr w = be.alloc(m.dtype, lwork, 1);
    lapack::gesdd("S", &M, &N, a, &lda, sv.data(), U, &ldu, VT, &ldvt, w->view.as<T>(), &lwork, iwork.data(), &info);
  }
  if (info > 0) {  // gesdd did not converge: gesvd is slower but more robust
    be.copy(m, work->view);
    lwork = -1;
    lapack::gesvd("S", "S", &M, &N, a, &lda, sv.data(), U, &ldu, VT, &ldvt, &wq, &lwork, &info);
    lwork = int(wq) + 1;
    std::vector<T> w(static_cast<size_t>(lwork));
    lapack::gesvd("S", "S", &M, &N, a, &lda, sv.data(), U, &ldu, VT, &ldvt, w.data(), &lwork, &info);
  }
  if (info > 0) fail(ErrorCode::Value, "svd: LAPACK did not converge (info " + std::to_string(info) + ")");
  if (info < 0) fail(ErrorCode::Internal, "svd: LAPACK argument " + std::to_string(-info) + " rejected");
  // Truncate to k triplets into the caller's (possibly half-precision) outputs.
  BufferPtr ut = be.alloc(m.dtype, rows, k);
  const T* usrc = ub->view.as<T>();
  T* udst = ut->view.as<T>();
  for (int64_t i = 0; i < rows; ++i) std::copy(usrc + i * p, usrc + i * p + k, udst + i * k);
  be.copy(ut->view, u);
  be.copy(View{vtb->view.data, m.dtype, k, cols, Device::Host}, vt);  // first k rows are a contiguous prefix
  be.copy(View{sv.data(), m.dtype, k, 1, Device::Host}, s);
}
}  // namespace

void CpuBackend::svdExact(const View& m, const View& u, const View& s, const View& vt) {
  if (m.dtype == DType::F64) {
    svdTyped<double>(*this, m, u, s, vt);
  } else if (m.dtype == DType::F32) {
    svdTyped<float>(*this, m, u, s, vt);
  } else {  // half storage: factorise in f32
    BufferPtr mf = alloc(DType::F32, m.rows, m.cols);
    copy(m, mf->view);
    svdTyped<float>(*this, mf->view, u, s, vt);
  }
}

// The randomized and Krylov SVDs (composite/) with OpenBLAS single-threaded and their skinny products of M split
// over the cores by matmul (blas_threads.h says why). Exact: gesdd, threaded by OpenBLAS.
void CpuBackend::svd(const View& m, const SvdOptions& opt, const View& u, const View& s, const View& vt) {
  if (opt.method == SvdMethod::Exact) return svdExact(m, u, s, vt);
  SplitScope split;
  Backend::svd(m, opt, u, s, vt);
}

}  // namespace loraga
