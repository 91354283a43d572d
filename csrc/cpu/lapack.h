// The few Fortran LAPACK entry points we call (OpenBLAS ships them). Declared here rather than through LAPACKE so
// the static OpenBLAS is all we link, and so row-major data can be handed over without LAPACKE's transposing copies.
// Trailing size_t arguments are gfortran's hidden CHARACTER lengths.
#pragma once
#include <cstddef>

extern "C" {
void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s, float* u, const int* ldu,
             float* vt, const int* ldvt, float* work, const int* lwork, int* iwork, int* info, size_t jobz_len);
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s, double* u,
             const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork, int* iwork, int* info,
             size_t jobz_len);
void sgesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, float* a, const int* lda, float* s,
             float* u, const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork, int* info,
             size_t jobu_len, size_t jobvt_len);
void dgesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, double* a, const int* lda, double* s,
             double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork, int* info,
             size_t jobu_len, size_t jobvt_len);
void sgelqf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work, const int* lwork,
             int* info);
void dgelqf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work, const int* lwork,
             int* info);
void sorglq_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau, float* work,
             const int* lwork, int* info);
void dorglq_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau, double* work,
             const int* lwork, int* info);
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, size_t uplo_len);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t uplo_len);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w, double* work,
             const int* lwork, int* iwork, const int* liwork, int* info, size_t jobz_len, size_t uplo_len);
void sgesv_(const int* n, const int* nrhs, float* a, const int* lda, int* ipiv, float* b, const int* ldb, int* info);
void dgesv_(const int* n, const int* nrhs, double* a, const int* lda, int* ipiv, double* b, const int* ldb, int* info);
}

// Overloads so templated code can call one name for f32 and f64.
namespace loraga::lapack {
inline void gesdd(const char* j, const int* m, const int* n, float* a, const int* lda, float* s, float* u,
                  const int* ldu, float* vt, const int* ldvt, float* w, const int* lw, int* iw, int* info) {
  sgesdd_(j, m, n, a, lda, s, u, ldu, vt, ldvt, w, lw, iw, info, 1);
}
inline void gesdd(const char* j, const int* m, const int* n, double* a, const int* lda, double* s, double* u,
                  const int* ldu, double* vt, const int* ldvt, double* w, const int* lw, int* iw, int* info) {
  dgesdd_(j, m, n, a, lda, s, u, ldu, vt, ldvt, w, lw, iw, info, 1);
}
inline void gesvd(const char* ju, const char* jv, const int* m, const int* n, float* a, const int* lda, float* s,
                  float* u, const int* ldu, float* vt, const int* ldvt, float* w, const int* lw, int* info) {
  sgesvd_(ju, jv, m, n, a, lda, s, u, ldu, vt, ldvt, w, lw, info, 1, 1);
}
inline void gesvd(const char* ju, const char* jv, const int* m, const int* n, double* a, const int* lda, double* s,
                  double* u, const int* ldu, double* vt, const int* ldvt, double* w, const int* lw, int* info) {
  dgesvd_(ju, jv, m, n, a, lda, s, u, ldu, vt, ldvt, w, lw, info, 1, 1);
}
inline void gelqf(const int* m, const int* n, float* a, const int* lda, float* t, float* w, const int* lw, int* i) {
  sgelqf_(m, n, a, lda, t, w, lw, i);
}
inline void gelqf(const int* m, const int* n, double* a, const int* lda, double* t, double* w, const int* lw, int* i) {
  dgelqf_(m, n, a, lda, t, w, lw, i);
}
inline void orglq(const int* m, const int* n, const int* k, float* a, const int* lda, const float* t, float* w,
                  const int* lw, int* i) {
  sorglq_(m, n, k, a, lda, t, w, lw, i);
}
inline void orglq(const int* m, const int* n, const int* k, double* a, const int* lda, const double* t, double* w,
                  const int* lw, int* i) {
  dorglq_(m, n, k, a, lda, t, w, lw, i);
}
inline void gesv(const int* n, const int* nrhs, float* a, const int* lda, int* ipiv, float* b, const int* ldb,
                 int* info) {
  sgesv_(n, nrhs, a, lda, ipiv, b, ldb, info);
}
inline void gesv(const int* n, const int* nrhs, double* a, const int* lda, int* ipiv, double* b, const int* ldb,
                 int* info) {
  dgesv_(n, nrhs, a, lda, ipiv, b, ldb, info);
}
inline void potrf(const char* uplo, const int* n, float* a, const int* lda, int* info) {
  spotrf_(uplo, n, a, lda, info, 1);
}
inline void potrf(const char* uplo, const int* n, double* a, const int* lda, int* info) {
  dpotrf_(uplo, n, a, lda, info, 1);
}
}  // namespace loraga::lapack
