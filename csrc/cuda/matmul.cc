// matmul through cuBLAS (cublasGemmEx). Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, so the
// operands swap and the flags stay. bf16/f16 pairs use tensor cores with fp32 accumulation; other mixes go through
// f32 (or f64 when the output is f64); TF32 is opt-in (setAllowTf32).
#include <algorithm>
#include "backend.h"

namespace loraga::cuda {

namespace {
cudaDataType libType(DType t) {
  switch (t) {
    case DType::F32: return CUDA_R_32F;
    case DType::F64: return CUDA_R_64F;
    case DType::BF16: return CUDA_R_16BF;
    default: return CUDA_R_16F;
  }
}
}  // namespace

void CudaBackend::matmul(bool ta, bool tb, double alpha, const View& a, const View& b, double beta, const View& c) {
  enter();
  const int m = int(c.rows), n = int(c.cols), k = int(ta ? a.rows : a.cols);
  if (m == 0 || n == 0) return;
  BufferPtr ha, hb, hc;
  View av = a, bv = b, cv = c;
  cublasComputeType_t compute;
  if (c.dtype == DType::F64) {  // f64 result: everything in f64
    av = asDtype(a, DType::F64, &ha);
    bv = asDtype(b, DType::F64, &hb);
    compute = CUBLAS_COMPUTE_64F;
  } else {
    const bool half = (a.dtype == DType::BF16 || a.dtype == DType::F16) && a.dtype == b.dtype &&
                      (c.dtype == DType::F32 || c.dtype == a.dtype);
    if (!half) {  // tensor-core bf16/f16 with fp32 accumulation needs equal input types; else go through f32
      av = asDtype(a, DType::F32, &ha);
      bv = asDtype(b, DType::F32, &hb);
      if (c.dtype != DType::F32) {
        hc = alloc(DType::F32, c.rows, c.cols);
        if (beta != 0) copy(c, hc->view);
        cv = hc->view;
      }
    }
    compute = av.dtype == DType::F32 && tf32_ ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  }
  // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: swap the operands, keep the flags.
  const cublasOperation_t opA = ta ? CUBLAS_OP_T : CUBLAS_OP_N, opB = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int lda = std::max(1, int(av.cols)), ldb = std::max(1, int(bv.cols));
  const double al64 = alpha, be64 = beta;
  const float al32 = float(alpha), be32 = float(beta);
  const bool f64 = compute == CUBLAS_COMPUTE_64F;
  check(libs_.blas.gemmEx(blas_, opB, opA, n, m, k, f64 ? static_cast<const void*>(&al64) : &al32, bv.data,
                          libType(bv.dtype), ldb, av.data, libType(av.dtype), lda,
                          f64 ? static_cast<const void*>(&be64) : &be32, cv.data, libType(cv.dtype), n, compute,
                          CUBLAS_GEMM_DEFAULT),
        "cublasGemmEx");
  if (hc) copy(cv, c);
}
}  // namespace loraga::cuda
