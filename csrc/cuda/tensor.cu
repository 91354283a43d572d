// Kernels of the tensor housekeeping ops (cuda/tensor.cc): dtype conversion, the seeded Gaussian fill, and the
// finiteness scan.
#include "../core/rng.h"
#include "device.cuh"
#include "kernels.h"

namespace loraga::cuda {

namespace {
__global__ void convertKernel(const void* src, int sd, void* dst, int dd, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    st(dst, dd, i, ld(src, sd, i));
}

__global__ void gaussianKernel(void* dst, int dt, int64_t n, int64_t cols, uint64_t seed, uint64_t first,
                               int64_t stride) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    st(dst, dt, i, gaussianAt(seed, first + uint64_t(i / cols) * uint64_t(stride) + uint64_t(i % cols)));
}

// Non-finite test on the bit pattern: exponent all ones (f32 0x7f800000, bf16 0x7f80, f16 0x7c00). 16-byte loads,
// the array's tail (n not a multiple of the vector) is handled by the first threads.
__device__ __forceinline__ bool badBits(uint32_t u, int dt) {
  switch (dt) {
    case 0: return (u & 0x7f800000u) == 0x7f800000u;
    case 2: return ((u & 0x7f80u) == 0x7f80u) || ((u & 0x7f800000u) == 0x7f800000u);
    default: return ((u & 0x7c00u) == 0x7c00u) || ((u & 0x7c000000u) == 0x7c000000u);
  }
}
__global__ void nonFiniteKernel(const void* src, int dt, int64_t n, int* flag) {
  bool bad = false;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x, tid = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (dt == 1) {
    for (int64_t i = tid; i < n; i += stride) bad |= !isfinite(static_cast<const double*>(src)[i]);
  } else {
    const int per = dt == 0 ? 4 : 8;  // elements per 16 bytes
    const int64_t nv = n / per;
    const uint4* v = static_cast<const uint4*>(src);
    for (int64_t i = tid; i < nv; i += stride) {
      const uint4 q = v[i];
      bad |= badBits(q.x, dt) | badBits(q.y, dt) | badBits(q.z, dt) | badBits(q.w, dt);
    }
    for (int64_t i = nv * per + tid; i < n; i += stride) bad |= !isfinite(ld(src, dt, i));
  }
  if (__syncthreads_or(bad) && threadIdx.x == 0) atomicExch(flag, 1);
}

}  // namespace

cudaError_t launchConvert(const void* src, int sd, void* dst, int dd, int64_t n, cudaStream_t stream) {
  if (n > 0) LORAGA_LAUNCH(convertKernel, gridFor(n, 256), 256, stream)(src, sd, dst, dd, n);
  return cudaGetLastError();
}

cudaError_t launchFillGaussian(void* dst, int dt, int64_t n, int64_t cols, uint64_t seed, uint64_t first,
                               int64_t stride, cudaStream_t stream) {
  if (n > 0) LORAGA_LAUNCH(gaussianKernel, gridFor(n, 256), 256, stream)(dst, dt, n, cols, seed, first, stride);
  return cudaGetLastError();
}

cudaError_t launchNonFinite(const void* src, int dt, int64_t n, int* flag, cudaStream_t stream) {
  if (n > 0) LORAGA_LAUNCH(nonFiniteKernel, gridFor((n + 3) / 4, 256), 256, stream)(src, dt, n, flag);
  return cudaGetLastError();
}

}  // namespace loraga::cuda
