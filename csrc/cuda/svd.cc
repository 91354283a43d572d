// Exact SVD on the GPU with cuSOLVER gesvd (f32 or f64; half storage factorised in f32). cuSOLVER is column-major
// and needs m ≥ n; a row-major m×n buffer is the column-major n×m transpose, which decides below when a
// transposing copy (cublas geam, CudaBackend::transpose) is needed and how U and Vᵀ are read back.
#include <algorithm>
#include "backend.h"

namespace loraga::cuda {

namespace {
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
  check(cudaMemcpy2DAsync(dst.data, k * es, src.data, ld * es, k * es, dst.rows, cudaMemcpyDeviceToDevice, be.stream()),
        "cudaMemcpy2DAsync");
}

template <class T>
void svdTyped(CudaBackend& be, const View& mc, const View& u, const View& s, const View& vt) {
  const DType ct = mc.dtype;  // f32 or f64: the compute dtype
  const auto& F = solverFns<T>(be.libs());
  const int64_t rows = mc.rows, cols = mc.cols, p = std::min(rows, cols), k = u.cols;
  const bool wide = cols >= rows;  // gesvd needs m ≥ n: a wide M is a tall column-major Mᵀ as stored
  const int M = int(wide ? cols : rows), N = int(p);
  BufferPtr x = be.alloc(ct, wide ? rows : cols, wide ? cols : rows);  // gesvd destroys its input
  if (wide)
    be.copy(mc, x->view);
  else
    be.transpose(mc, x->view);  // row-major cols×rows == column-major rows×cols
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
  if (st > 0)
    fail(ErrorCode::Value, "svd: cuSOLVER gesvd did not converge (" + std::to_string(st) + " superdiagonals)");
  if (st < 0) fail(ErrorCode::Internal, "svd: gesvd rejected argument " + std::to_string(-st));
  Out uo(be, u, ct), so(be, s, ct), vto(be, vt, ct);
  check(
      cudaMemcpyAsync(so.target.data, sb->view.data, size_t(k) * dtypeSize(ct), cudaMemcpyDeviceToDevice, be.stream()),
      "svd S");
  if (wide) {
    // Mᵀ = U_X·S·V_Xᵀ ⇒ U_M = V_X: the column-major p×p VT_X buffer read row-major is U_M (rows×rows).
    leadingColumns(be, vtb->view, p, uo.target, k);
    // Vᵀ_M = U_Xᵀ: the column-major cols×p U_X buffer read row-major is p×cols; its first k rows are Vᵀ_M.
    check(cudaMemcpyAsync(vto.target.data, ub->view.data, size_t(k * cols) * dtypeSize(ct), cudaMemcpyDeviceToDevice,
                          be.stream()),
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
}  // namespace

void CudaBackend::svdExact(const View& m, const View& u, const View& s, const View& vt) {
  enter();
  if (m.numel() == 0) return;
  BufferPtr hold;
  const View mc = asDtype(m, computeDType(m.dtype), &hold);  // half storage: factorise an f32 copy
  if (mc.dtype == DType::F64) {
    svdTyped<double>(*this, mc, u, s, vt);
  } else {
    svdTyped<float>(*this, mc, u, s, vt);
  }
}

}  // namespace loraga::cuda
