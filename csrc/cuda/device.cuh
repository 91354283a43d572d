// Device-side helpers shared by our kernels (tensor.cu, optim.cu, lora.cu): loads and stores by dtype code, and
// the grid size of a grid-stride loop.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cstdint>

namespace loraga::cuda {

// DType codes (core/dtype.h): F32 = 0, F64 = 1, BF16 = 2, F16 = 3.
__device__ __forceinline__ double ld(const void* p, int dt, int64_t i) {
  switch (dt) {
    case 0: return static_cast<const float*>(p)[i];
    case 1: return static_cast<const double*>(p)[i];
    case 2: return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
    default: return __half2float(static_cast<const __half*>(p)[i]);
  }
}
__device__ __forceinline__ void st(void* p, int dt, int64_t i, double x) {
  switch (dt) {
    case 0: static_cast<float*>(p)[i] = float(x); break;
    case 1: static_cast<double*>(p)[i] = x; break;
    case 2: static_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16_rn(float(x)); break;
    default: static_cast<__half*>(p)[i] = __float2half_rn(float(x)); break;
  }
}

// A kernel launch: kernel<<<grid, block, 0, stream>>>(args…) on the GPU. test/fake-cuda/simt.h defines it (with
// LORAGA_SIMT) to run the same kernel on the CPU, so GPU-less CI exercises these very kernels.
#ifndef LORAGA_SIMT
#define LORAGA_LAUNCH(kernel, grid, block, stream) kernel<<<grid, block, 0, stream>>>
#endif

inline unsigned gridFor(int64_t n, int block) {
  int64_t g = (n + block - 1) / block;
  return unsigned(g < 1 ? 1 : (g > 65535 * 16 ? 65535 * 16 : g));  // grid-stride loops cover the rest
}

}  // namespace loraga::cuda
