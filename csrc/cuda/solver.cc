// cuSOLVER factorisations: exact SVD (gesvd), thin QR (geqrf + orgqr) and LU solve (getrf + getrs), each in f32 or
// f64. cuSOLVER is column-major; a row-major m×n buffer is the column-major n×m transpose, which decides below when
// a transposing copy (cublas geam) is needed.
#include <algorithm>
#include "cuda_backend.h"

namespace loraga::cuda {

namespace {
template <class T> const SolverFns<T>& fns(const Libs& L);
template <> const SolverFns<float>& fns<float>(const Libs& L) { return L.solver.s; }
template <> const SolverFns<double>& fns<double>(const Libs& L) { return L.solver.d; }

// Writes go to `dst` directly when it has the compute dtype, else to scratch converted into `dst` by finish().
struct Out {
  View dst, target;
  BufferPtr hold;
  Out(CudaBackend& be, const View& d, DType ct) : dst(d), target(d) {
    if (d.dtype != ct) {
      hold = be.alloc(ct, d.rows, d.cols);
      target = hold->view;
    }
  }
  void finish(CudaBackend& be) {
    if (hold) be.copy(target, dst);
  }
};

View sub(const View& base, int64_t rows, int64_t cols) {  // leading rows×cols of a contiguous buffer
  View v = base;
  v.rows = rows;
  v.cols = cols;
  return v;
}

// dst (rows × k) = the first k columns of src (rows × ld), both row-major on the device.
void leadingColumns(CudaBackend& be, const View& src, int64_t ld, const View& dst, int64_t k) {
  const size_t es = dtypeSize(src.dtype);
  check(cudaMemcpy2DAsync(dst.data, k * es, src.data, ld * es, k * es, dst.rows, cudaMemcpyDeviceToDevice,
                          be.stream()),
        "cudaMemcpy2DAsync");
}

template <class T>
void svdTyped(CudaBackend& be, const View& mc, const View& u, const View& s, const View& vt, DType ct) {
  const auto& F = fns<T>(be.libs());
  const int64_t rows = mc.rows, cols = mc.cols, p = std::min(rows, cols), k = u.cols;
  const bool wide = cols >= rows;  // gesvd needs m ≥ n: a wide M is a tall column-major Mᵀ as stored
  const int M = int(wide ? cols : rows), N = int(p);
  BufferPtr x = be.alloc(ct, wide ? rows : cols, wide ? cols : rows);  // gesvd destroys its input
  if (wide) be.copy(mc, x->view);
  else be.transpose(mc, x->view);  // row-major cols×rows == column-major rows×cols
  BufferPtr ub = be.alloc(ct, p, M), vtb = be.alloc(ct, p, p), sb = be.alloc(ct, p, 1), rw = be.alloc(ct, p, 1);
  BufferPtr info = be.alloc(DType::F32, 1, 1);
  int lwork = 0;
  check(F.gesvdBufferSize(be.solver(), M, N, &lwork), "gesvd_bufferSize");
  BufferPtr work = be.alloc(ct, std::max(lwork, 1), 1);
  int* dInfo = static_cast<int*>(info->view.data);
  check(F.gesvd(be.solver(), 'S', 'S', M, N, x->view.as<T>(), M, sb->view.as<T>(), ub->view.as<T>(), M,
                vtb->view.as<T>(), N, work->view.as<T>(), lwork, rw->view.as<T>(), dInfo),
        "gesvd");
  const int st = be.readInfo(dInfo);
  if (st > 0) fail(ErrorCode::Value, "svd: cuSOLVER gesvd did not converge (" + std::to_string(st) + " superdiagonals)");
  if (st < 0) fail(ErrorCode::Internal, "svd: gesvd rejected argument " + std::to_string(-st));
  Out uo(be, u, ct), so(be, s, ct), vto(be, vt, ct);
  check(cudaMemcpyAsync(so.target.data, sb->view.data, size_t(k) * dtypeSize(ct), cudaMemcpyDeviceToDevice,
                        be.stream()),
        "svd S");
  if (wide) {
    // Mᵀ = U_X·S·V_Xᵀ ⇒ U_M = V_X: the column-major p×p VT_X buffer read row-major is U_M (rows×rows).
    leadingColumns(be, vtb->view, p, uo.target, k);
    // Vᵀ_M = U_Xᵀ: the column-major cols×p U_X buffer read row-major is p×cols; its first k rows are Vᵀ_M.
    check(cudaMemcpyAsync(vto.target.data, ub->view.data, size_t(k * cols) * dtypeSize(ct),
                          cudaMemcpyDeviceToDevice, be.stream()),
          "svd Vt");
  } else {
    // M = U_X·S·VT_X. U_X (column-major rows×p) read row-major is p×rows: transpose its first k rows.
    be.transpose(sub(ub->view, k, rows), uo.target);
    // VT_X (column-major p×p) read row-major is V_M; Vᵀ_M's first k rows = transpose of V_M's first k columns.
    BufferPtr vk = be.alloc(ct, p, k);
    leadingColumns(be, vtb->view, p, vk->view, k);
    be.transpose(vk->view, vto.target);
  }
  uo.finish(be);
  so.finish(be);
  vto.finish(be);
}

template <class T> void qrTyped(CudaBackend& be, const View& a) {
  const auto& F = fns<T>(be.libs());
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

template <class T> void solveTyped(CudaBackend& be, const View& a, const View& b) {
  const auto& F = fns<T>(be.libs());
  const int n = int(a.rows), nrhs = int(b.cols);
  // a's row-major buffer is column-major aᵀ: factor aᵀ = P·L·U, then solve (aᵀ)ᵀ·x = b with trans = T.
  BufferPtr piv = be.alloc(DType::F32, std::max(n, 1), 1), info = be.alloc(DType::F32, 1, 1);
  int lwork = 0;
  check(F.getrfBufferSize(be.solver(), n, n, a.as<T>(), n, &lwork), "getrf_bufferSize");
  BufferPtr work = be.alloc(a.dtype, std::max(lwork, 1), 1);
  int* dInfo = static_cast<int*>(info->view.data);
  int* ipiv = static_cast<int*>(piv->view.data);
  check(F.getrf(be.solver(), n, n, a.as<T>(), n, work->view.as<T>(), ipiv, dInfo), "getrf");
  const int st = be.readInfo(dInfo);
  if (st > 0) fail(ErrorCode::Value, "solve: matrix is singular (U[" + std::to_string(st - 1) + "] is zero)");
  if (st < 0) fail(ErrorCode::Internal, "solve: getrf rejected argument " + std::to_string(-st));
  BufferPtr bc = be.alloc(b.dtype, b.cols, b.rows);  // column-major n×nrhs
  be.transpose(b, bc->view);
  check(F.getrs(be.solver(), CUBLAS_OP_T, n, nrhs, a.as<T>(), n, ipiv, bc->view.as<T>(), n, dInfo), "getrs");
  if (int s2 = be.readInfo(dInfo)) fail(ErrorCode::Internal, "solve: getrs info " + std::to_string(s2));
  be.transpose(bc->view, b);
}
}  // namespace

int CudaBackend::readInfo(const int* dInfo) {
  if (infoLog_ && infoCount_ < infoCap_) {
    check(cudaMemcpyAsync(infoLog_ + infoCount_++, dInfo, sizeof(int), cudaMemcpyDeviceToDevice, stream_), "info log");
    return 0;
  }
  int h = 0;
  check(cudaMemcpyAsync(&h, dInfo, sizeof h, cudaMemcpyDeviceToHost, stream_), "cuSOLVER info");
  check(cudaStreamSynchronize(stream_), "cuSOLVER");
  return h;
}

void CudaBackend::transpose(const View& src, const View& dst) {
  enter();
  if (src.dtype != dst.dtype || src.rows != dst.cols || src.cols != dst.rows || src.dtype == DType::BF16 ||
      src.dtype == DType::F16)
    fail(ErrorCode::Internal, "transpose: " + src.shapeStr() + " into " + dst.shapeStr());
  if (src.numel() == 0) return;
  // Column-major: src is C×R (ld C), dst is R×C (ld R) = srcᵀ. B = dst with beta 0 (allowed in place, never read).
  const int R = int(src.rows), C = int(src.cols);
  if (src.dtype == DType::F32) {
    const float one = 1, zero = 0;
    check(libs_.blas.sgeam(blas_, CUBLAS_OP_T, CUBLAS_OP_N, R, C, &one, src.as<float>(), C, &zero, dst.as<float>(), R,
                           dst.as<float>(), R),
          "cublasSgeam");
  } else {
    const double one = 1, zero = 0;
    check(libs_.blas.dgeam(blas_, CUBLAS_OP_T, CUBLAS_OP_N, R, C, &one, src.as<double>(), C, &zero,
                           dst.as<double>(), R, dst.as<double>(), R),
          "cublasDgeam");
  }
}

void CudaBackend::svdExact(const View& m, const View& u, const View& s, const View& vt) {
  enter();
  if (m.rows > INT32_MAX || m.cols > INT32_MAX) fail(ErrorCode::Shape, "svd: M " + m.shapeStr() + " too large");
  if (m.numel() == 0) return;
  const DType ct = m.dtype == DType::F64 ? DType::F64 : DType::F32;
  BufferPtr hold;
  View mc = asDtype(m, ct, &hold);
  if (ct == DType::F64) svdTyped<double>(*this, mc, u, s, vt, ct);
  else svdTyped<float>(*this, mc, u, s, vt, ct);
}

void CudaBackend::orthonormalize(const View& a) {
  enter();
  if (a.rows < a.cols) fail(ErrorCode::Shape, "orthonormalize: needs rows >= cols, got " + a.shapeStr());
  if (a.numel() == 0) return;
  const DType ct = a.dtype == DType::F64 ? DType::F64 : DType::F32;
  BufferPtr hold;
  View ac = asDtype(a, ct, &hold);
  if (ct == DType::F64) qrTyped<double>(*this, ac);
  else qrTyped<float>(*this, ac);
  if (hold) copy(ac, a);
}

void CudaBackend::solve(const View& a, const View& b) {
  enter();
  if (a.rows != a.cols || b.rows != a.rows)
    fail(ErrorCode::Shape, "solve: a " + a.shapeStr() + " must be square and b " + b.shapeStr() + " have as many rows");
  if (a.numel() == 0 || b.numel() == 0) return;
  const DType ct = a.dtype == DType::F64 || b.dtype == DType::F64 ? DType::F64 : DType::F32;
  BufferPtr ha, hb;
  View ac = asDtype(a, ct, &ha), bc = asDtype(b, ct, &hb);
  if (ct == DType::F64) solveTyped<double>(*this, ac, bc);
  else solveTyped<float>(*this, ac, bc);
  if (ha) copy(ac, a);
  if (hb) copy(bc, b);
}

}  // namespace loraga::cuda
