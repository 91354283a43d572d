// libcublas.so.13 stand-in: the entry points csrc/cuda/libs.cc resolves, with cuBLAS's column-major semantics and
// argument checks (leading dimensions, supported type combinations), computed by naive loops in double.
#include <cstdint>
#include <cstring>
#include "core/dtype.h"

namespace {
using loraga::bf16ToF32;
using loraga::f16ToF32;
using loraga::f32ToBf16;
using loraga::f32ToF16;
enum { OK = 0, INVALID = 7, NOT_SUPPORTED = 15 };
enum { R32F = 0, R64F = 1, R16F = 2, R16BF = 14 };
double ld(const void* p, int t, int64_t i) {
  switch (t) {
    case R32F: return static_cast<const float*>(p)[i];
    case R64F: return static_cast<const double*>(p)[i];
    case R16BF: return bf16ToF32(static_cast<const uint16_t*>(p)[i]);
    default: return f16ToF32(static_cast<const uint16_t*>(p)[i]);
  }
}
void st(void* p, int t, int64_t i, double x) {
  switch (t) {
    case R32F: static_cast<float*>(p)[i] = float(x); break;
    case R64F: static_cast<double*>(p)[i] = x; break;
    case R16BF: static_cast<uint16_t*>(p)[i] = f32ToBf16(float(x)); break;
    default: static_cast<uint16_t*>(p)[i] = f32ToF16(float(x)); break;
  }
}
int handles;
}  // namespace

namespace {
template <class T>
int geam(int ta, int tb, int m, int n, const T* alpha, const T* A, int lda, const T* beta, const T* B, int ldb, T* C,
         int ldc) {
  if (lda < (ta == 0 ? m : n) || ldb < (tb == 0 ? m : n) || ldc < m) return INVALID;
  if (C == A && !(ta == 0 && lda == ldc)) return INVALID;  // in place only without transposition
  if (C == B && !(tb == 0 && ldb == ldc)) return INVALID;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      const T a = ta == 0 ? A[i + int64_t(j) * lda] : A[j + int64_t(i) * lda];
      const T b = *beta == T(0) ? T(0) : (tb == 0 ? B[i + int64_t(j) * ldb] : B[j + int64_t(i) * ldb]);
      C[i + int64_t(j) * ldc] = *alpha * a + *beta * b;
    }
  return OK;
}
// C (n×n, lower or upper triangle only) = alpha·op(A)·op(A)ᵀ + beta·C; the other triangle is left as it was.
template <class T>
int syrk(int uplo, int trans, int n, int k, const T* alpha, const T* A, int lda, const T* beta, T* C, int ldc) {
  if (n < 0 || k < 0 || lda < (trans == 0 ? (n > 1 ? n : 1) : (k > 1 ? k : 1)) || ldc < (n > 1 ? n : 1)) return INVALID;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      if (uplo == 0 ? i < j : i > j) continue;
      double acc = 0;
      for (int p = 0; p < k; ++p)
        acc += double(trans == 0 ? A[i + int64_t(p) * lda] : A[p + int64_t(i) * lda]) *
               double(trans == 0 ? A[j + int64_t(p) * lda] : A[p + int64_t(j) * lda]);
      T& c = C[i + int64_t(j) * ldc];
      c = T(double(*alpha) * acc + (*beta == T(0) ? 0.0 : double(*beta) * double(c)));
    }
  return OK;
}

// op(A)·X = alpha·B (side 0) or X·op(A) = alpha·B (side 1), A triangular (only its `uplo` triangle is read), X → B.
template <class T>
int trsm(int side, int uplo, int trans, int diag, int m, int n, const T* alpha, const T* A, int lda, T* B, int ldb) {
  const int na = side == 0 ? m : n;
  if (m < 0 || n < 0 || lda < (na > 1 ? na : 1) || ldb < (m > 1 ? m : 1)) return INVALID;
  // t(i, j) = op(A)(i, j), reading only the stored triangle.
  auto a = [&](int i, int j) -> double {
    const int r = trans == 0 ? i : j, c = trans == 0 ? j : i;
    if (r == c) return diag == 1 ? 1.0 : double(A[r + int64_t(c) * lda]);
    if (uplo == 0 ? r < c : r > c) return 0.0;
    return double(A[r + int64_t(c) * lda]);
  };
  const bool lower = (uplo == 0) == (trans == 0);  // op(A) is lower triangular
  // Solve t·x = rhs for a vector (side 0) or x·t = rhs ⇔ tᵀ·xᵀ = rhsᵀ (side 1), by substitution.
  auto solve = [&](double* x, bool transposed) {
    const bool low = transposed ? !lower : lower;
    for (int s = 0; s < na; ++s) {
      const int i = low ? s : na - 1 - s;
      double v = x[i];
      for (int j = 0; j < na; ++j)
        if (low ? j < i : j > i) v -= (transposed ? a(j, i) : a(i, j)) * x[j];
      x[i] = v / a(i, i);
    }
  };
  double* x = new double[size_t(na > 0 ? na : 1)];
  const int count = side == 0 ? n : m;
  for (int c = 0; c < count; ++c) {
    for (int i = 0; i < na; ++i)
      x[i] = double(*alpha) * double(side == 0 ? B[i + int64_t(c) * ldb] : B[c + int64_t(i) * ldb]);
    solve(x, side == 1);
    for (int i = 0; i < na; ++i) (side == 0 ? B[i + int64_t(c) * ldb] : B[c + int64_t(i) * ldb]) = T(x[i]);
  }
  delete[] x;
  return OK;
}
}  // namespace

extern "C" {
int cublasCreate_v2(void** h) {
  *h = &handles;
  return OK;
}
int cublasDestroy_v2(void*) { return OK; }
int cublasGetVersion_v2(void*, int* v) {
  *v = 130100;
  return OK;
}
int cublasSetStream_v2(void*, void*) { return OK; }

int cublasGemmEx(void*, int ta, int tb, int m, int n, int k, const void* alpha, const void* A, int at, int lda,
                 const void* B, int bt, int ldb, const void* beta, void* C, int ct, int ldc, int compute, int) {
  if (m < 0 || n < 0 || k < 0) return INVALID;
  if (lda < (ta == 0 ? (m > 1 ? m : 1) : (k > 1 ? k : 1)) || ldb < (tb == 0 ? (k > 1 ? k : 1) : (n > 1 ? n : 1)) ||
      ldc < (m > 1 ? m : 1))
    return INVALID;
  double al, be;
  if (compute == 70) {  // CUBLAS_COMPUTE_64F: all f64
    if (at != R64F || bt != R64F || ct != R64F) return NOT_SUPPORTED;
    al = *static_cast<const double*>(alpha), be = *static_cast<const double*>(beta);
  } else if (compute == 68 || compute == 77) {  // CUBLAS_COMPUTE_32F(_FAST_TF32)
    if (at != bt || at == R64F) return NOT_SUPPORTED;
    if (at == R32F && ct != R32F) return NOT_SUPPORTED;
    if ((at == R16BF || at == R16F) && ct != R32F && ct != at) return NOT_SUPPORTED;
    al = *static_cast<const float*>(alpha), be = *static_cast<const float*>(beta);
  } else {
    return NOT_SUPPORTED;
  }
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      double acc = 0;
      for (int p = 0; p < k; ++p)
        acc += ld(A, at, ta == 0 ? i + int64_t(p) * lda : p + int64_t(i) * lda) *
               ld(B, bt, tb == 0 ? p + int64_t(j) * ldb : j + int64_t(p) * ldb);
      const int64_t c = i + int64_t(j) * ldc;
      st(C, ct, c, al * acc + (be == 0 ? 0.0 : be * ld(C, ct, c)));  // beta = 0: C is not read (BLAS rule)
    }
  return OK;
}

int cublasSgeam(void*, int ta, int tb, int m, int n, const float* al, const float* A, int lda, const float* be,
                const float* B, int ldb, float* C, int ldc) {
  return geam(ta, tb, m, n, al, A, lda, be, B, ldb, C, ldc);
}
int cublasDgeam(void*, int ta, int tb, int m, int n, const double* al, const double* A, int lda, const double* be,
                const double* B, int ldb, double* C, int ldc) {
  return geam(ta, tb, m, n, al, A, lda, be, B, ldb, C, ldc);
}
int cublasSsyrk_v2(void*, int uplo, int trans, int n, int k, const float* al, const float* A, int lda, const float* be,
                   float* C, int ldc) {
  return syrk(uplo, trans, n, k, al, A, lda, be, C, ldc);
}
int cublasDsyrk_v2(void*, int uplo, int trans, int n, int k, const double* al, const double* A, int lda,
                   const double* be, double* C, int ldc) {
  return syrk(uplo, trans, n, k, al, A, lda, be, C, ldc);
}
int cublasStrsm_v2(void*, int side, int uplo, int trans, int diag, int m, int n, const float* al, const float* A,
                   int lda, float* B, int ldb) {
  return trsm(side, uplo, trans, diag, m, n, al, A, lda, B, ldb);
}
int cublasDtrsm_v2(void*, int side, int uplo, int trans, int diag, int m, int n, const double* al, const double* A,
                   int lda, double* B, int ldb) {
  return trsm(side, uplo, trans, diag, m, n, al, A, lda, B, ldb);
}
}
