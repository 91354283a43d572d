// Our own minimal declarations of the cuBLAS / cuSOLVER entry points the CUDA backend calls, resolved at run time
// with dlopen/dlsym, so the addon neither links nor needs their headers (CI has none) and loads on machines without
// them. Values and signatures follow the cuBLAS 13 (cublas_api.h, `_v2` symbols) and cuSOLVER 12 (cusolverDn.h)
// headers; every entry point used here has had the same ABI since CUDA 11 (cuBLAS 11 / cuSOLVER 11).
#pragma once
#include <cuda_runtime_api.h>
#include <library_types.h>  // cudaDataType (CUDA_R_32F, …): ships with the runtime, not with cuBLAS
#include <string>

namespace loraga::cuda {

typedef struct cublasContext* cublasHandle_t;
typedef struct cusolverDnContext* cusolverDnHandle_t;

// Statuses are reported by number (cublas_api.h, cusolver_common.h list them); only these two decide anything here.
enum cublasStatus_t : int { CUBLAS_STATUS_SUCCESS = 0, CUBLAS_STATUS_ALLOC_FAILED = 3 };
enum cublasOperation_t : int { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };
enum cublasFillMode_t : int { CUBLAS_FILL_MODE_LOWER = 0, CUBLAS_FILL_MODE_UPPER = 1 };
enum cublasSideMode_t : int { CUBLAS_SIDE_LEFT = 0, CUBLAS_SIDE_RIGHT = 1 };
enum cublasDiagType_t : int { CUBLAS_DIAG_NON_UNIT = 0, CUBLAS_DIAG_UNIT = 1 };
enum cublasComputeType_t : int {
  CUBLAS_COMPUTE_32F = 68,
  CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
  CUBLAS_COMPUTE_64F = 70,
};
enum cublasGemmAlgo_t : int { CUBLAS_GEMM_DEFAULT = -1 };

enum cusolverStatus_t : int { CUSOLVER_STATUS_SUCCESS = 0, CUSOLVER_STATUS_ALLOC_FAILED = 2 };
enum cusolverEigMode_t : int { CUSOLVER_EIG_MODE_NOVECTOR = 0, CUSOLVER_EIG_MODE_VECTOR = 1 };

// The function table. Names are the exported symbols (cublasCreate is a macro for cublasCreate_v2 in the headers).
struct Cublas {
  cublasStatus_t (*create)(cublasHandle_t*);                  // cublasCreate_v2
  cublasStatus_t (*destroy)(cublasHandle_t);                  // cublasDestroy_v2
  cublasStatus_t (*getVersion)(cublasHandle_t, int*);         // cublasGetVersion_v2
  cublasStatus_t (*setStream)(cublasHandle_t, cudaStream_t);  // cublasSetStream_v2
  cublasStatus_t (*gemmEx)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
                           const void*, cudaDataType, int, const void*, cudaDataType, int, const void*, void*,
                           cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);  // cublasGemmEx
  cublasStatus_t (*sgeam)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, const float*, const float*,
                          int, const float*, const float*, int, float*, int);  // cublasSgeam
  cublasStatus_t (*dgeam)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, const double*, const double*,
                          int, const double*, const double*, int, double*, int);  // cublasDgeam
  cublasStatus_t (*ssyrk)(cublasHandle_t, cublasFillMode_t, cublasOperation_t, int, int, const float*, const float*,
                          int, const float*, float*, int);  // cublasSsyrk_v2
  cublasStatus_t (*dsyrk)(cublasHandle_t, cublasFillMode_t, cublasOperation_t, int, int, const double*, const double*,
                          int, const double*, double*, int);  // cublasDsyrk_v2
  cublasStatus_t (*strsm)(cublasHandle_t, cublasSideMode_t, cublasFillMode_t, cublasOperation_t, cublasDiagType_t, int,
                          int, const float*, const float*, int, float*, int);  // cublasStrsm_v2
  cublasStatus_t (*dtrsm)(cublasHandle_t, cublasSideMode_t, cublasFillMode_t, cublasOperation_t, cublasDiagType_t, int,
                          int, const double*, const double*, int, double*, int);  // cublasDtrsm_v2
};

template <class T>
struct SolverFns {
  cusolverStatus_t (*gesvdBufferSize)(cusolverDnHandle_t, int, int, int*);
  cusolverStatus_t (*gesvd)(cusolverDnHandle_t, signed char, signed char, int, int, T*, int, T*, T*, int, T*, int, T*,
                            int, T*, int*);
  cusolverStatus_t (*geqrfBufferSize)(cusolverDnHandle_t, int, int, T*, int, int*);
  cusolverStatus_t (*geqrf)(cusolverDnHandle_t, int, int, T*, int, T*, T*, int, int*);
  cusolverStatus_t (*orgqrBufferSize)(cusolverDnHandle_t, int, int, int, const T*, int, const T*, int*);
  cusolverStatus_t (*orgqr)(cusolverDnHandle_t, int, int, int, T*, int, const T*, T*, int, int*);
  cusolverStatus_t (*getrfBufferSize)(cusolverDnHandle_t, int, int, T*, int, int*);
  cusolverStatus_t (*getrf)(cusolverDnHandle_t, int, int, T*, int, T*, int*, int*);
  cusolverStatus_t (*getrs)(cusolverDnHandle_t, cublasOperation_t, int, int, const T*, int, const int*, T*, int, int*);
  cusolverStatus_t (*potrfBufferSize)(cusolverDnHandle_t, cublasFillMode_t, int, T*, int, int*);
  cusolverStatus_t (*potrf)(cusolverDnHandle_t, cublasFillMode_t, int, T*, int, T*, int, int*);
  cusolverStatus_t (*syevdBufferSize)(cusolverDnHandle_t, cusolverEigMode_t, cublasFillMode_t, int, const T*, int,
                                      const T*, int*);
  cusolverStatus_t (*syevd)(cusolverDnHandle_t, cusolverEigMode_t, cublasFillMode_t, int, T*, int, T*, T*, int, int*);
};

struct Cusolver {
  cusolverStatus_t (*create)(cusolverDnHandle_t*);                  // cusolverDnCreate
  cusolverStatus_t (*destroy)(cusolverDnHandle_t);                  // cusolverDnDestroy
  cusolverStatus_t (*setStream)(cusolverDnHandle_t, cudaStream_t);  // cusolverDnSetStream
  cusolverStatus_t (*getProperty)(libraryPropertyType, int*);       // cusolverGetProperty
  SolverFns<float> s;
  SolverFns<double> d;
};

struct Libs {
  Cublas blas{};
  Cusolver solver{};
  std::string blasSoname, solverSoname;
};

// Opens libcuda.so.1 (driver present?), then cuBLAS and cuSOLVER by versioned soname, and resolves every entry
// point. Returns false with a precise reason (which library or symbol is missing, with dlerror's text).
bool loadDriver(std::string* why);
bool loadLibs(Libs* libs, std::string* why);

// The f32 or f64 cuSOLVER entry points, for code templated on the element type.
template <class T>
const SolverFns<T>& solverFns(const Libs& L);
template <>
inline const SolverFns<float>& solverFns<float>(const Libs& L) {
  return L.solver.s;
}
template <>
inline const SolverFns<double>& solverFns<double>(const Libs& L) {
  return L.solver.d;
}

}  // namespace loraga::cuda
