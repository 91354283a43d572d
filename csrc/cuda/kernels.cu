// Our own element-wise and decode-size kernels; everything else goes to cuBLAS/cuSOLVER.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include "../core/rng.h"
#include "kernels.h"

namespace loraga::cuda {

namespace {
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

unsigned gridFor(int64_t n, int block) {
  int64_t g = (n + block - 1) / block;
  return unsigned(g < 1 ? 1 : (g > 65535 * 16 ? 65535 * 16 : g));  // grid-stride loops cover the rest
}

__global__ void convertKernel(const void* src, int sd, void* dst, int dd, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    st(dst, dd, i, ld(src, sd, i));
}

__global__ void gaussianKernel(void* dst, int dt, int64_t n, uint64_t seed) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    st(dst, dt, i, gaussianAt(seed, uint64_t(i)));
}

__global__ void nonFiniteKernel(const void* src, int dt, int64_t n, int* flag) {
  bool bad = false;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    bad |= !isfinite(ld(src, dt, i));
  if (__syncthreads_or(bad) && threadIdx.x == 0) atomicExch(flag, 1);
}

__global__ void adamwKernel(void* p, int pd, const void* g, int gd, void* m, int md, void* v, int vd, int64_t n,
                            AdamWArgs a) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const double gi = ld(g, gd, i), pi = ld(p, pd, i);
    const double mi = a.beta1 * ld(m, md, i) + (1 - a.beta1) * gi;
    const double vi = a.beta2 * ld(v, vd, i) + (1 - a.beta2) * gi * gi;
    st(m, md, i, mi);
    st(v, vd, i, vi);
    const double upd = (mi / a.biasCorr1) / (sqrt(vi / a.biasCorr2) + a.eps) + a.weightDecay * pi;
    st(p, pd, i, pi - a.lr * upd);
  }
}

__global__ void sgdKernel(void* p, int pd, const void* g, int gd, void* buf, int bd, int64_t n, double lr,
                          double mu, double wd) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const double pi = ld(p, pd, i);
    double d = ld(g, gd, i) + wd * pi;
    if (buf) {
      d = mu * ld(buf, bd, i) + d;
      st(buf, bd, i, d);
    }
    st(p, pd, i, pi - lr * d);
  }
}

// Small-T LoRA forward. Block = 8 warps, each warp owns kRowsPerWarp output features; a K-chunk of x (all T tokens,
// converted to f32) sits in shared memory while every warp streams its W rows through it, so W is read once and x
// once per block. Lane l handles columns k0 + l + 32·j. Partial sums are reduced across the warp at the end.
constexpr int kWarps = 8, kRowsPerWarp = 4, kChunk = 256;

template <class WT> __device__ __forceinline__ float wload(const WT* w, int64_t i);
template <> __device__ __forceinline__ float wload<float>(const float* w, int64_t i) { return w[i]; }
template <> __device__ __forceinline__ float wload<__nv_bfloat16>(const __nv_bfloat16* w, int64_t i) {
  return __bfloat162float(w[i]);
}
template <> __device__ __forceinline__ float wload<__half>(const __half* w, int64_t i) { return __half2float(w[i]); }

template <class WT>
__global__ void __launch_bounds__(kWarps * 32) loraSmallTKernel(const void* x, int xd, int T, int in, const WT* w,
                                                                int out, const float* h, const void* b, int bd,
                                                                int r, float scale, void* y, int yd) {
  __shared__ float xs[kSmallT][kChunk];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int row0 = (blockIdx.x * kWarps + warp) * kRowsPerWarp;
  float acc[kRowsPerWarp][kSmallT];
#pragma unroll
  for (int q = 0; q < kRowsPerWarp; ++q)
#pragma unroll
    for (int t = 0; t < kSmallT; ++t) acc[q][t] = 0.f;

  for (int k0 = 0; k0 < in; k0 += kChunk) {
    const int len = min(kChunk, in - k0);
    for (int e = threadIdx.x; e < T * kChunk; e += blockDim.x) {
      const int t = e / kChunk, c = e % kChunk;
      xs[t][c] = c < len ? float(ld(x, xd, int64_t(t) * in + k0 + c)) : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int q = 0; q < kRowsPerWarp; ++q) {
      const int o = row0 + q;
      if (o >= out) break;
      const WT* wr = w + int64_t(o) * in + k0;
      for (int c = lane; c < len; c += 32) {
        const float wv = wload(wr, c);
#pragma unroll
        for (int t = 0; t < kSmallT; ++t)
          if (t < T) acc[q][t] += wv * xs[t][c];
      }
    }
    __syncthreads();
  }
#pragma unroll
  for (int q = 0; q < kRowsPerWarp; ++q) {
    const int o = row0 + q;
#pragma unroll
    for (int t = 0; t < kSmallT; ++t) {
      float s = acc[q][t];
      for (int off = 16; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
      acc[q][t] = s;  // every lane now holds the full sum
    }
    if (o < out && lane < T) {
      float base = 0.f;
#pragma unroll
      for (int t = 0; t < kSmallT; ++t)
        if (t == lane) base = acc[q][t];
      float lora = 0.f;
      for (int j = 0; j < r; ++j) lora += h[int64_t(lane) * r + j] * float(ld(b, bd, int64_t(o) * r + j));
      st(y, yd, int64_t(lane) * out + o, base + scale * lora);
    }
  }
}
}  // namespace

cudaError_t launchConvert(const void* src, int sd, void* dst, int dd, int64_t n, cudaStream_t stream) {
  if (n > 0) convertKernel<<<gridFor(n, 256), 256, 0, stream>>>(src, sd, dst, dd, n);
  return cudaGetLastError();
}

cudaError_t launchFillGaussian(void* dst, int dt, int64_t n, uint64_t seed, cudaStream_t stream) {
  if (n > 0) gaussianKernel<<<gridFor(n, 256), 256, 0, stream>>>(dst, dt, n, seed);
  return cudaGetLastError();
}

cudaError_t launchNonFinite(const void* src, int dt, int64_t n, int* flag, cudaStream_t stream) {
  if (n > 0) nonFiniteKernel<<<gridFor(n, 256), 256, 0, stream>>>(src, dt, n, flag);
  return cudaGetLastError();
}

cudaError_t launchAdamW(void* p, int pd, const void* g, int gd, void* m, int md, void* v, int vd, int64_t n,
                        const AdamWArgs& a, cudaStream_t stream) {
  if (n > 0) adamwKernel<<<gridFor(n, 256), 256, 0, stream>>>(p, pd, g, gd, m, md, v, vd, n, a);
  return cudaGetLastError();
}

cudaError_t launchSgd(void* p, int pd, const void* g, int gd, void* buf, int bd, int64_t n, double lr,
                      double momentum, double weightDecay, cudaStream_t stream) {
  if (n > 0) sgdKernel<<<gridFor(n, 256), 256, 0, stream>>>(p, pd, g, gd, buf, bd, n, lr, momentum, weightDecay);
  return cudaGetLastError();
}

cudaError_t launchLoraSmallT(const void* x, int xd, int T, int in, const void* w, int wd, int out, const float* h,
                             const void* b, int bd, int r, float scale, void* y, int yd, cudaStream_t stream) {
  if (T < 1 || T > kSmallT || out < 1) return cudaErrorInvalidValue;
  const unsigned grid = unsigned((out + kWarps * kRowsPerWarp - 1) / (kWarps * kRowsPerWarp));
  switch (wd) {
    case 0:
      loraSmallTKernel<float><<<grid, kWarps * 32, 0, stream>>>(x, xd, T, in, static_cast<const float*>(w), out, h,
                                                                b, bd, r, scale, y, yd);
      break;
    case 2:
      loraSmallTKernel<__nv_bfloat16><<<grid, kWarps * 32, 0, stream>>>(
          x, xd, T, in, static_cast<const __nv_bfloat16*>(w), out, h, b, bd, r, scale, y, yd);
      break;
    case 3:
      loraSmallTKernel<__half><<<grid, kWarps * 32, 0, stream>>>(x, xd, T, in, static_cast<const __half*>(w), out,
                                                                 h, b, bd, r, scale, y, yd);
      break;
    default:
      return cudaErrorInvalidValue;  // f64 weights take the cuBLAS path
  }
  return cudaGetLastError();
}

}  // namespace loraga::cuda
