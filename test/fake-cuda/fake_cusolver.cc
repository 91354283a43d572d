// libcusolver.so.12 stand-in: the dense entry points csrc/cuda/libs.cc resolves, forwarded to LAPACK (OpenBLAS),
// whose column-major conventions cuSOLVER mirrors; plus cuSOLVER's own restriction that gesvd needs m ≥ n.
#include <algorithm>
#include <vector>

extern "C" {
void sgesvd_(const char*, const char*, const int*, const int*, float*, const int*, float*, float*, const int*, float*,
             const int*, float*, const int*, int*, size_t, size_t);
void dgesvd_(const char*, const char*, const int*, const int*, double*, const int*, double*, double*, const int*,
             double*, const int*, double*, const int*, int*, size_t, size_t);
void sgeqrf_(const int*, const int*, float*, const int*, float*, float*, const int*, int*);
void dgeqrf_(const int*, const int*, double*, const int*, double*, double*, const int*, int*);
void sorgqr_(const int*, const int*, const int*, float*, const int*, const float*, float*, const int*, int*);
void dorgqr_(const int*, const int*, const int*, double*, const int*, const double*, double*, const int*, int*);
void spotrf_(const char*, const int*, float*, const int*, int*, size_t);
void dpotrf_(const char*, const int*, double*, const int*, int*, size_t);
void ssyevd_(const char*, const char*, const int*, float*, const int*, float*, float*, const int*, int*, const int*,
             int*, size_t, size_t);
void dsyevd_(const char*, const char*, const int*, double*, const int*, double*, double*, const int*, int*, const int*,
             int*, size_t, size_t);
void sgetrf_(const int*, const int*, float*, const int*, int*, int*);
void dgetrf_(const int*, const int*, double*, const int*, int*, int*);
void sgetrs_(const char*, const int*, const int*, const float*, const int*, const int*, float*, const int*, int*,
             size_t);
void dgetrs_(const char*, const int*, const int*, const double*, const int*, const int*, double*, const int*, int*,
             size_t);
}

namespace {
enum { OK = 0, INVALID = 3 };
int handles;
// LAPACK's syevd workspace with eigenvectors: 1 + 6n + 2n².
int eigWork(int n) { return 1 + 6 * std::max(n, 1) + 2 * std::max(n, 1) * std::max(n, 1); }
int svdWork(int m, int n) { return 4 * std::max({1, 3 * std::min(m, n) + std::max(m, n), 5 * std::min(m, n)}); }
}  // namespace

#define FAKE_SOLVER(P, p, T)                                                                                        \
  int cusolverDn##P##gesvd_bufferSize(void*, int m, int n, int* lw) {                                               \
    *lw = svdWork(m, n);                                                                                            \
    return OK;                                                                                                      \
  }                                                                                                                 \
  int cusolverDn##P##gesvd(void*, signed char ju, signed char jv, int m, int n, T* A, int lda, T* S, T* U, int ldu, \
                           T* VT, int ldvt, T* W, int lw, T*, int* info) {                                          \
    if (m < n || lda < m || ldu < m || ldvt < n || lw < svdWork(m, n)) return INVALID;                              \
    const char a = char(ju), b = char(jv);                                                                          \
    p##gesvd_(&a, &b, &m, &n, A, &lda, S, U, &ldu, VT, &ldvt, W, &lw, info, 1, 1);                                  \
    return OK;                                                                                                      \
  }                                                                                                                 \
  int cusolverDn##P##geqrf_bufferSize(void*, int, int n, T*, int, int* lw) {                                        \
    *lw = 64 * std::max(n, 1);                                                                                      \
    return OK;                                                                                                      \
  }                                                                                                                 \
  int cusolverDn##P##geqrf(void*, int m, int n, T* A, int lda, T* tau, T* W, int lw, int* info) {                   \
    if (lda < m) return INVALID;                                                                                    \
    p##geqrf_(&m, &n, A, &lda, tau, W, &lw, info);                                                                  \
    return OK;                                                                                                      \
  }                                                                                                                 \
  int cusolverDn##P##orgqr_bufferSize(void*, int, int n, int, const T*, int, const T*, int* lw) {                   \
    *lw = 64 * std::max(n, 1);                                                                                      \
    return OK;                                                                                                      \
  }                                                                                                                 \
  int cusolverDn##P##orgqr(void*, int m, int n, int k, T* A, int lda, const T* tau, T* W, int lw, int* info) {      \
    if (lda < m || n > m || k > n) return INVALID;                                                                  \
    p##orgqr_(&m, &n, &k, A, &lda, tau, W, &lw, info);                                                              \
    return OK;                                                                                                      \
  }                                                                                                                 \
  int cusolverDn##P##getrf_bufferSize(void*, int, int, T*, int, int* lw) {                                          \
    *lw = 1;                                                                                                        \
    return OK;                                                                                                      \
  }                                                                                                                 \
  int cusolverDn##P##getrf(void*, int m, int n, T* A, int lda, T*, int* ipiv, int* info) {                          \
    if (lda < m) return INVALID;                                                                                    \
    p##getrf_(&m, &n, A, &lda, ipiv, info);                                                                         \
    return OK;                                                                                                      \
  }                                                                                                                 \
  int cusolverDn##P##potrf_bufferSize(void*, int, int n, T*, int lda, int* lw) {                                    \
    if (lda < std::max(n, 1)) return INVALID;                                                                       \
    *lw = std::max(n, 1);                                                                                           \
    return OK;                                                                                                      \
  }                                                                                                                 \
  int cusolverDn##P##potrf(void*, int uplo, int n, T* A, int lda, T*, int lw, int* info) {                          \
    if (lda < std::max(n, 1) || lw < std::max(n, 1) || (uplo != 0 && uplo != 1)) return INVALID;                    \
    const char u = uplo == 0 ? 'L' : 'U';                                                                           \
    p##potrf_(&u, &n, A, &lda, info, 1);                                                                            \
    return OK;                                                                                                      \
  }                                                                                                                 \
  int cusolverDn##P##syevd_bufferSize(void*, int, int, int n, const T*, int lda, const T*, int* lw) {               \
    if (lda < std::max(n, 1)) return INVALID;                                                                       \
    *lw = eigWork(n);                                                                                               \
    return OK;                                                                                                      \
  }                                                                                                                 \
  int cusolverDn##P##syevd(void*, int jobz, int uplo, int n, T* A, int lda, T* W, T* work, int lw, int* info) {     \
    if (lda < std::max(n, 1) || lw < eigWork(n) || (jobz != 0 && jobz != 1) || (uplo != 0 && uplo != 1))            \
      return INVALID;                                                                                               \
    const char j = jobz == 1 ? 'V' : 'N', u = uplo == 0 ? 'L' : 'U';                                                \
    const int liw = 3 + 5 * std::max(n, 1);                                                                         \
    std::vector<int> iw(static_cast<size_t>(liw));                                                                  \
    p##syevd_(&j, &u, &n, A, &lda, W, work, &lw, iw.data(), &liw, info, 1, 1);                                      \
    return OK;                                                                                                      \
  }                                                                                                                 \
  int cusolverDn##P##getrs(void*, int trans, int n, int nrhs, const T* A, int lda, const int* ipiv, T* B, int ldb,  \
                           int* info) {                                                                             \
    if (lda < n || ldb < n) return INVALID;                                                                         \
    const char t = trans == 0 ? 'N' : 'T';                                                                          \
    p##getrs_(&t, &n, &nrhs, A, &lda, ipiv, B, &ldb, info, 1);                                                      \
    return OK;                                                                                                      \
  }

extern "C" {
int cusolverDnCreate(void** h) {
  *h = &handles;
  return OK;
}
int cusolverDnDestroy(void*) { return OK; }
int cusolverDnSetStream(void*, void*) { return OK; }
int cusolverGetProperty(int type, int* v) {
  *v = type == 0 ? 12 : 0;
  return OK;
}
FAKE_SOLVER(S, s, float)
FAKE_SOLVER(D, d, double)
}
