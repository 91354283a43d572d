// CUDA backend: discovery (what was found or why not), device memory, copies, GEMM, element-wise ops and the
// decode-size fused LoRA forward. Factorisations are in solver.cc, kernels in kernels.cu.
#include "cuda_backend.h"
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdint>
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
int dim(int64_t d, const char* what) {
  if (d > INT_MAX) fail(ErrorCode::Shape, std::string(what) + ": dimension " + std::to_string(d) + " exceeds 2^31-1");
  return int(d);
}
cudaDataType libType(DType t) {
  switch (t) {
    case DType::F32: return CUDA_R_32F;
    case DType::F64: return CUDA_R_64F;
    case DType::BF16: return CUDA_R_16BF;
    default: return CUDA_R_16F;
  }
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
    check(launchFillGaussian(probe->view.data, int(DType::F32), 1, 0, be->stream_), "probe kernel");
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
                   versionStr(drv) + ", runtime " + versionStr(rt) + " (static), cuBLAS " +
                   std::to_string(bv / 10000) + "." + std::to_string((bv % 10000) / 100) + "." +
                   std::to_string(bv % 100) + " (" + L.blasSoname + "), cuSOLVER " + std::to_string(smaj) + "." +
                   std::to_string(smin) + "." + std::to_string(spat) + " (" + L.solverSoname + ")";
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

DeviceBuffer::DeviceBuffer(CudaBackend& be, cudaStream_t stream, DType dtype, int64_t rows, int64_t cols)
    : stream_(stream), device_(be.deviceIndex()) {
  be.enter();
  view.dtype = dtype;
  view.rows = rows;
  view.cols = cols;
  view.device = Device::Cuda;
  const size_t bytes = std::max<size_t>(view.bytes(), 256);  // never a null pointer, even for empty shapes
  void* p = nullptr;
  cudaError_t e = cudaMallocAsync(&p, bytes, stream_);
  if (e == cudaErrorMemoryAllocation) {
    // Memory freed on a stream becomes reusable once the stream gets there: wait, hand the cache back, retry once.
    cudaGetLastError();
    cudaStreamSynchronize(stream_);
    cudaMemPool_t pool;
    if (cudaDeviceGetDefaultMemPool(&pool, device_) == cudaSuccess) cudaMemPoolTrimTo(pool, 0);
    e = cudaMallocAsync(&p, bytes, stream_);
  }
  check(e, ("cudaMallocAsync of " + std::to_string(bytes) + " bytes").c_str());
  view.data = p;
  check(cudaMemsetAsync(p, 0, bytes, stream_), "cudaMemsetAsync");  // fresh buffers are zero, as on the CPU
}

void DeviceBuffer::release() {
  if (!view.data) return;
  cudaSetDevice(device_);  // finalizers run on the main thread, which may never have picked our device
  cudaFreeAsync(view.data, stream_);  // errors ignored: this also runs from finalizers at process exit
  view.data = nullptr;
}

BufferPtr CudaBackend::alloc(DType dtype, int64_t rows, int64_t cols) {
  return std::make_unique<DeviceBuffer>(*this, stream_, dtype, rows, cols);
}

BufferPtr CudaBackend::allocTensor(DType dtype, int64_t rows, int64_t cols) {
  return std::make_unique<DeviceBuffer>(*this, mainStream_, dtype, rows, cols);
}

View CudaBackend::asDtype(const View& v, DType t, BufferPtr* hold) {
  if (v.dtype == t) return v;
  *hold = alloc(t, v.rows, v.cols);
  copy(v, (*hold)->view);
  return (*hold)->view;
}

void CudaBackend::copy(const View& src, const View& dst) {
  if (src.numel() != dst.numel()) fail(ErrorCode::Shape, "copy: " + src.shapeStr() + " into " + dst.shapeStr());
  enter();
  const int64_t n = src.numel();
  if (n == 0) return;
  const bool srcHost = src.device == Device::Host, dstHost = dst.device == Device::Host;
  if (srcHost && dstHost) return cpuBackend().copy(src, dst);
  if (src.dtype == dst.dtype) {
    const cudaMemcpyKind kind = srcHost ? cudaMemcpyHostToDevice : dstHost ? cudaMemcpyDeviceToHost
                                                                           : cudaMemcpyDeviceToDevice;
    check(cudaMemcpyAsync(dst.data, src.data, src.bytes(), kind, stream_), "cudaMemcpyAsync");
    return;
  }
  if (!srcHost && !dstHost) {
    check(launchConvert(src.data, int(src.dtype), dst.data, int(dst.dtype), n, stream_), "convert kernel");
  } else if (srcHost) {  // upload as-is, convert on the device (half the bytes over PCIe for bf16 → f32)
    BufferPtr stage = alloc(src.dtype, src.rows, src.cols);
    check(cudaMemcpyAsync(stage->view.data, src.data, src.bytes(), cudaMemcpyHostToDevice, stream_), "upload");
    check(launchConvert(stage->view.data, int(src.dtype), dst.data, int(dst.dtype), n, stream_), "convert kernel");
  } else {  // convert on the device, then download
    BufferPtr stage = alloc(dst.dtype, dst.rows, dst.cols);
    check(launchConvert(src.data, int(src.dtype), stage->view.data, int(dst.dtype), n, stream_), "convert kernel");
    check(cudaMemcpyAsync(dst.data, stage->view.data, dst.bytes(), cudaMemcpyDeviceToHost, stream_), "download");
    check(cudaStreamSynchronize(stream_), "download");  // the host must not read before the copy lands
  }
}

void CudaBackend::gemm(bool ta, bool tb, double alpha, const View& a, const View& b, double beta, const View& c) {
  enter();
  const int m = dim(c.rows, "gemm"), n = dim(c.cols, "gemm"), k = dim(ta ? a.rows : a.cols, "gemm");
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
  const int lda = std::max(1, dim(av.cols, "gemm")), ldb = std::max(1, dim(bv.cols, "gemm"));
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

void CudaBackend::fillGaussian(const View& a, uint64_t seed) {
  enter();
  check(launchFillGaussian(a.data, int(a.dtype), a.numel(), seed, stream_), "fillGaussian kernel");
}

bool CudaBackend::allFinite(const View& a) {
  enter();
  if (a.numel() == 0) return true;
  BufferPtr flag = alloc(DType::F32, 1, 1);  // zeroed by alloc; read as an int
  int* f = static_cast<int*>(flag->view.data);
  check(launchNonFinite(a.data, int(a.dtype), a.numel(), f, stream_), "allFinite kernel");
  int host = 0;
  check(cudaMemcpyAsync(&host, f, sizeof host, cudaMemcpyDeviceToHost, stream_), "allFinite");
  check(cudaStreamSynchronize(stream_), "allFinite");
  return host == 0;
}

void CudaBackend::adamwStep(const View& p, const View& g, const View& m, const View& v, const AdamWParams& hp) {
  const int64_t n = p.numel();
  if (g.numel() != n || m.numel() != n || v.numel() != n)
    fail(ErrorCode::Shape, "adamwStep: p " + p.shapeStr() + ", g " + g.shapeStr() + ", m " + m.shapeStr() + ", v " +
                               v.shapeStr() + " must have the same size");
  if (hp.step < 1) fail(ErrorCode::Value, "adamwStep: step must be >= 1, got " + std::to_string(hp.step));
  enter();
  AdamWArgs a{hp.lr, hp.beta1, hp.beta2, hp.eps, hp.weightDecay, 1 - std::pow(hp.beta1, double(hp.step)),
              1 - std::pow(hp.beta2, double(hp.step))};
  check(launchAdamW(p.data, int(p.dtype), g.data, int(g.dtype), m.data, int(m.dtype), v.data, int(v.dtype), n, a,
                    stream_),
        "adamw kernel");
}

void CudaBackend::sgdStep(const View& p, const View& g, const View& buf, double lr, double momentum, double wd) {
  const int64_t n = p.numel();
  if (g.numel() != n || (!buf.empty() && buf.numel() != n))
    fail(ErrorCode::Shape, "sgdStep: p " + p.shapeStr() + ", g " + g.shapeStr() + ", buf " + buf.shapeStr() +
                               " must have the same size");
  enter();
  check(launchSgd(p.data, int(p.dtype), g.data, int(g.dtype), buf.empty() ? nullptr : buf.data, int(buf.dtype), n,
                  lr, momentum, wd, stream_),
        "sgd kernel");
}

void CudaBackend::loraForward(const View& x, const View& w, const View& a, const View& b, double scale,
                              const View& y, const View& h) {
  // Decode sizes: our kernel reads W once (cuBLAS would launch three GEMMs, two of them tiny and latency-bound).
  if (x.rows >= 1 && x.rows <= kSmallT && w.dtype != DType::F64 && y.dtype != DType::F64) {
    enter();
    BufferPtr hs;
    View hv = h;
    if (hv.empty() || hv.dtype != DType::F32) {
      hs = alloc(DType::F32, x.rows, a.rows);
      hv = hs->view;
    }
    gemm(false, true, 1.0, x, a, 0.0, hv);  // h = x·Aᵀ (T×r, fp32)
    check(launchLoraSmallT(x.data, int(x.dtype), int(x.rows), dim(x.cols, "loraForward"), w.data, int(w.dtype),
                           dim(w.rows, "loraForward"), hv.as<float>(), b.data, int(b.dtype), dim(a.rows, "loraForward"),
                           float(scale), y.data, int(y.dtype), stream_),
          "loraForward small-T kernel");
    if (!h.empty() && hs) copy(hv, h);
    return;
  }
  // Large T: y = x·Wᵀ (one GEMM over the output), h = x·Aᵀ, then y += s·h·Bᵀ accumulated into the same output
  // (beta = 1), all on the stream without host round-trips.
  Backend::loraForward(x, w, a, b, scale, y, h);
}

}  // namespace cuda
}  // namespace loraga
