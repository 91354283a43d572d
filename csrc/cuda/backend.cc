// The CUDA backend object: discovery (what was found, or precisely why not), the device and its streams,
// status checks, and what `backends()` reports. Each op lives in cuda/<op>.cc (+ <op>.cu for its kernels).
#include "backend.h"
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include "kernels.h"

namespace loraga {

Backend* cudaBackend(std::string* why) {
  // Discovery runs once; the backend is never destroyed (tearing down CUDA at process exit races the runtime).
  static std::once_flag once;
  static cuda::CudaBackend* be = nullptr;
  static std::string reason;
  std::call_once(once, [] { be = cuda::CudaBackend::create(&reason); });
  if (!be && why) *why = reason;
  return be;
}

namespace cuda {

namespace {
std::string versionStr(int v) {  // 13000 -> "13.0"
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}
}  // namespace

void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  cudaGetLastError();  // clear a sticky-free error so the next call starts clean
  const std::string msg = std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
  fail(e == cudaErrorMemoryAllocation ? ErrorCode::OutOfMemory : ErrorCode::Backend, msg);
}
void check(cublasStatus_t s, const char* what) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  fail(s == CUBLAS_STATUS_ALLOC_FAILED ? ErrorCode::OutOfMemory : ErrorCode::Backend,
       std::string(what) + ": cuBLAS status " + std::to_string(int(s)));
}
void check(cusolverStatus_t s, const char* what) {
  if (s == CUSOLVER_STATUS_SUCCESS) return;
  fail(s == CUSOLVER_STATUS_ALLOC_FAILED ? ErrorCode::OutOfMemory : ErrorCode::Backend,
       std::string(what) + ": cuSOLVER status " + std::to_string(int(s)));
}

CudaBackend* CudaBackend::create(std::string* why) {
  if (!loadDriver(why)) return nullptr;
  int drv = 0, rt = 0, n = 0;
  cudaDriverGetVersion(&drv);
  cudaRuntimeGetVersion(&rt);
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    *why = std::string("CUDA runtime: ") + cudaGetErrorString(e) + " (driver supports CUDA " + versionStr(drv) +
           ", this build's runtime is " + versionStr(rt) + ")";
    return nullptr;
  }
  if (n == 0) {
    *why = "no CUDA device visible (driver supports CUDA " + versionStr(drv) + ")";
    return nullptr;
  }
  auto* be = new CudaBackend();
  if (const char* d = std::getenv("LORAGA_CUDA_DEVICE")) be->device_ = std::atoi(d);
  if (be->device_ < 0 || be->device_ >= n) {
    *why = "LORAGA_CUDA_DEVICE=" + std::to_string(be->device_) + " but " + std::to_string(n) + " device(s) visible";
    delete be;
    return nullptr;
  }
  try {
    cudaDeviceProp prop{};
    check(cudaSetDevice(be->device_), "cudaSetDevice");
    check(cudaGetDeviceProperties(&prop, be->device_), "cudaGetDeviceProperties");
    if (!loadLibs(&be->libs_, why)) {
      *why += std::string(" (GPU ") + prop.name + ", driver CUDA " + versionStr(drv) + ")";
      delete be;
      return nullptr;
    }
    check(cudaStreamCreateWithFlags(&be->stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    be->mainStream_ = be->stream_;
    // Keep up to 4 GiB of freed memory cached in the device's pool (an init allocates and frees scratch per module,
    // and returning it to the driver at every synchronisation would dominate), but not more: other processes on
    // the same GPU (parallel test workers, a PyTorch benchmark) need the rest.
    cudaMemPool_t pool;
    if (cudaDeviceGetDefaultMemPool(&pool, be->device_) == cudaSuccess) {
      uint64_t keep = uint64_t(4) << 30;
      cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
    }
    // A launch proves this binary has code for the device (sm_90 SASS + compute_90 PTX by default).
    BufferPtr probe = be->alloc(DType::F32, 1, 1);
    check(launchFillGaussian(probe->view.data, int(DType::F32), 1, 1, 0, 0, 1, be->stream_), "probe kernel");
    check(cudaStreamSynchronize(be->stream_), "probe kernel");
    probe.reset();
    const Libs& L = be->libs_;
    check(L.blas.create(&be->blas_), "cublasCreate");
    check(L.blas.setStream(be->blas_, be->stream_), "cublasSetStream");
    check(L.solver.create(&be->solver_), "cusolverDnCreate");
    check(L.solver.setStream(be->solver_, be->stream_), "cusolverDnSetStream");
    be->lanes_.push_back({be->stream_, be->blas_, be->solver_});
    int bv = 0, smaj = 0, smin = 0, spat = 0;
    L.blas.getVersion(be->blas_, &bv);
    L.solver.getProperty(MAJOR_VERSION, &smaj);
    L.solver.getProperty(MINOR_VERSION, &smin);
    L.solver.getProperty(PATCH_LEVEL, &spat);
    be->deviceName_ = prop.name;
    char mem[32];
    snprintf(mem, sizeof mem, "%.1f GiB", double(prop.totalGlobalMem) / (1024.0 * 1024 * 1024));
    be->details_ = "sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ", " + mem + ", driver CUDA " +
                   versionStr(drv) + ", runtime " + versionStr(rt) + " (static), cuBLAS " + std::to_string(bv / 10000) +
                   "." + std::to_string((bv % 10000) / 100) + "." + std::to_string(bv % 100) + " (" + L.blasSoname +
                   "), cuSOLVER " + std::to_string(smaj) + "." + std::to_string(smin) + "." + std::to_string(spat) +
                   " (" + L.solverSoname + ")";
  } catch (const Error& err) {
    *why = err.what();
    return nullptr;  // partially initialised backend is leaked on purpose: freeing CUDA objects may fail too
  }
  return be;
}

BackendInfo CudaBackend::info() {
  BackendInfo i;
  i.name = "cuda";
  i.available = true;
  i.reason = "found " + deviceName_;
  i.deviceName = deviceName_;
  i.details = details_;
  return i;
}

void CudaBackend::enter() { check(cudaSetDevice(device_), "cudaSetDevice"); }

void CudaBackend::synchronize() {
  enter();
  check(cudaStreamSynchronize(mainStream_), "CUDA stream");  // svdBatched joins its lanes into it
}

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

}  // namespace cuda
}  // namespace loraga
