// The tensor housekeeping ops on the GPU: stream-ordered device memory, copies (dtype conversion on the device,
// host ↔ device), the seeded Gaussian fill and the finiteness scan (kernels in tensor.cu), and the transpose that
// the column-major libraries need (cuBLAS geam).
#include <algorithm>
#include "backend.h"
#include "kernels.h"

namespace loraga::cuda {

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
  cudaSetDevice(device_);             // finalizers run on the main thread, which may never have picked our device
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
  enter();
  const int64_t n = src.numel();
  if (n == 0) return;
  const bool srcHost = src.device == Device::Host, dstHost = dst.device == Device::Host;
  if (srcHost && dstHost) return cpuBackend().copy(src, dst);
  if (src.dtype == dst.dtype) {
    const cudaMemcpyKind kind = srcHost   ? cudaMemcpyHostToDevice
                                : dstHost ? cudaMemcpyDeviceToHost
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
void CudaBackend::fillGaussianAt(const View& a, uint64_t seed, uint64_t first, int64_t stride) {
  enter();
  check(launchFillGaussian(a.data, int(a.dtype), a.numel(), a.cols, seed, first, stride, stream_),
        "fillGaussian kernel");
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

void CudaBackend::transpose(const View& src, const View& dst) {
  enter();
  if (src.dtype != dst.dtype || src.rows != dst.cols || src.cols != dst.rows || src.dtype == DType::BF16 ||
      src.dtype == DType::F16)
    fail(ErrorCode::Internal, "transpose: " + src.shapeStr() + " into " + dst.shapeStr());
  if (src.numel() == 0) return;
  // Column-major: src is C×R (ld C), dst is R×C (ld R) = srcᵀ. B = dst with beta 0 (allowed in place, never read).
  const int R = int(src.rows), C = int(src.cols);
  if (src.dtype == DType::F32) {
    const float one = 1, zero = 0;
    check(libs_.blas.sgeam(blas_, CUBLAS_OP_T, CUBLAS_OP_N, R, C, &one, src.as<float>(), C, &zero, dst.as<float>(), R,
                           dst.as<float>(), R),
          "cublasSgeam");
  } else {
    const double one = 1, zero = 0;
    check(libs_.blas.dgeam(blas_, CUBLAS_OP_T, CUBLAS_OP_N, R, C, &one, src.as<double>(), C, &zero, dst.as<double>(), R,
                           dst.as<double>(), R),
          "cublasDgeam");
  }
}

}  // namespace loraga::cuda
