// dlopen/dlsym of the NVIDIA libraries. Nothing here is linked at build time: a machine without a driver, cuBLAS or
// cuSOLVER still loads the addon, and `backends()` says which piece is missing.
#include "libs.h"
#include <dlfcn.h>
#include <initializer_list>

namespace loraga::cuda {

namespace {
// First soname that opens; `why` collects each failure so the message names every candidate tried.
void* openFirst(std::initializer_list<const char*> names, std::string* opened, std::string* why) {
  std::string errs;
  for (const char* n : names) {
    if (void* h = dlopen(n, RTLD_NOW | RTLD_LOCAL)) {
      *opened = n;
      return h;
    }
    const char* e = dlerror();
    errs += std::string(errs.empty() ? "" : "; ") + (e ? e : n);
  }
  *why = errs;
  return nullptr;
}

template <class F>
bool sym(void* lib, const char* name, F* out, std::string* missing) {
  *out = reinterpret_cast<F>(dlsym(lib, name));
  if (!*out && missing->empty()) *missing = name;
  return *out != nullptr;
}
}  // namespace

bool loadDriver(std::string* why) {
  // The runtime (linked statically) would find the driver itself, but only this tells "no driver" from "no GPU".
  if (dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL)) return true;
  const char* e = dlerror();
  *why = std::string("libcuda.so.1 not found (no NVIDIA driver): ") + (e ? e : "dlopen failed");
  return false;
}

bool loadLibs(Libs* L, std::string* why) {
  std::string err;
  void* blas = openFirst({"libcublas.so.13", "libcublas.so.12"}, &L->blasSoname, &err);
  if (!blas) {
    *why = "cuBLAS not found (tried libcublas.so.13, libcublas.so.12): " + err;
    return false;
  }
  std::string missing;
  Cublas& b = L->blas;
  sym(blas, "cublasCreate_v2", &b.create, &missing);
  sym(blas, "cublasDestroy_v2", &b.destroy, &missing);
  sym(blas, "cublasGetVersion_v2", &b.getVersion, &missing);
  sym(blas, "cublasSetStream_v2", &b.setStream, &missing);
  sym(blas, "cublasGemmEx", &b.gemmEx, &missing);
  sym(blas, "cublasSgeam", &b.sgeam, &missing);
  sym(blas, "cublasDgeam", &b.dgeam, &missing);
  sym(blas, "cublasSsyrk_v2", &b.ssyrk, &missing);
  sym(blas, "cublasDsyrk_v2", &b.dsyrk, &missing);
  sym(blas, "cublasStrsm_v2", &b.strsm, &missing);
  sym(blas, "cublasDtrsm_v2", &b.dtrsm, &missing);
  if (!missing.empty()) {
    *why = L->blasSoname + " lacks " + missing;
    return false;
  }

  void* sol = openFirst({"libcusolver.so.12", "libcusolver.so.11"}, &L->solverSoname, &err);
  if (!sol) {
    *why = "cuSOLVER not found (tried libcusolver.so.12, libcusolver.so.11): " + err;
    return false;
  }
  Cusolver& s = L->solver;
  sym(sol, "cusolverDnCreate", &s.create, &missing);
  sym(sol, "cusolverDnDestroy", &s.destroy, &missing);
  sym(sol, "cusolverDnSetStream", &s.setStream, &missing);
  sym(sol, "cusolverGetProperty", &s.getProperty, &missing);
#define LORAGA_SOLVER(P, F)                                                   \
  sym(sol, "cusolverDn" #P "gesvd_bufferSize", &F.gesvdBufferSize, &missing); \
  sym(sol, "cusolverDn" #P "gesvd", &F.gesvd, &missing);                      \
  sym(sol, "cusolverDn" #P "geqrf_bufferSize", &F.geqrfBufferSize, &missing); \
  sym(sol, "cusolverDn" #P "geqrf", &F.geqrf, &missing);                      \
  sym(sol, "cusolverDn" #P "orgqr_bufferSize", &F.orgqrBufferSize, &missing); \
  sym(sol, "cusolverDn" #P "orgqr", &F.orgqr, &missing);                      \
  sym(sol, "cusolverDn" #P "getrf_bufferSize", &F.getrfBufferSize, &missing); \
  sym(sol, "cusolverDn" #P "getrf", &F.getrf, &missing);                      \
  sym(sol, "cusolverDn" #P "getrs", &F.getrs, &missing);                      \
  sym(sol, "cusolverDn" #P "potrf_bufferSize", &F.potrfBufferSize, &missing); \
  sym(sol, "cusolverDn" #P "potrf", &F.potrf, &missing);                      \
  sym(sol, "cusolverDn" #P "syevd_bufferSize", &F.syevdBufferSize, &missing); \
  sym(sol, "cusolverDn" #P "syevd", &F.syevd, &missing);
  LORAGA_SOLVER(S, s.s)
  LORAGA_SOLVER(D, s.d)
#undef LORAGA_SOLVER
  if (!missing.empty()) {
    *why = L->solverSoname + " lacks " + missing;
    return false;
  }
  return true;
}

}  // namespace loraga::cuda
