// Linked only into static-BLAS builds (LORAGA_STATIC_BLAS, the prebuilt binaries). Debian's libopenblas.a has its
// LAPACK compiled from Fortran and needs exactly two symbols from the gfortran runtime (checked with
// `nm -u libopenblas.a | grep _gfortran`): _gfortran_concat_string and _gfortran_etime. libgfortran.a itself cannot
// go into a shared object (its I/O layer uses local-exec TLS: "relocation R_X86_64_TPOFF32 ... can not be used
// when making a shared object"), and libgfortran.so is what we must not need at run time, so we provide the two.
#include <sys/resource.h>
#include <cstddef>
#include <cstring>

extern "C" {

// Fortran `dest = s1 // s2` (gfortran ABI since GCC 8: lengths are size_t): copy, truncate to destlen, pad with
// blanks. LAPACK uses it to build option strings such as 'L' // 'N' for ILAENV.
void _gfortran_concat_string(size_t destlen, char* dest, size_t len1, const char* s1, size_t len2, const char* s2) {
  if (len1 >= destlen) {
    std::memcpy(dest, s1, destlen);
    return;
  }
  std::memcpy(dest, s1, len1);
  dest += len1;
  destlen -= len1;
  if (len2 >= destlen) {
    std::memcpy(dest, s2, destlen);
    return;
  }
  std::memcpy(dest, s2, len2);
  std::memset(dest + len2, ' ', destlen - len2);
}

// Fortran ETIME: user + system CPU seconds. Its only callers here are LAPACK's timing helpers SECOND/DSECND, which
// return this value and discard the two-element array argument, so the array descriptor is left untouched.
float _gfortran_etime(void* /*tarray descriptor*/) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return -1.0f;
  return static_cast<float>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<float>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6f;
}

}  // extern "C"
