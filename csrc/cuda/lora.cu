// The decode-size fused LoRA forward kernel (cuda/lora.cc): y = x·Wᵀ + s·h·Bᵀ for T <= kSmallT tokens, reading W
// from HBM exactly once.
#include "device.cuh"
#include "kernels.h"

namespace loraga::cuda {

namespace {
// Small-T LoRA forward. Block = 8 warps, each warp owns kRowsPerWarp output features. A K-chunk of x (all T tokens,
// as f32) sits in shared memory while every warp streams its W rows through it: W is read from HBM exactly once, in
// 16-byte vector loads (all of a warp's loads for a chunk are issued before its FMAs, to keep enough bytes in
// flight). Lane l owns the V-element groups (u·32 + l)·V of the chunk; x is stored permuted in shared memory so
// that a warp's reads of it are conflict-free. Partial sums are reduced across the warp at the end.
constexpr int kWarps = 8, kRowsPerWarp = 2, kUnroll = 2;

template <class WT>
struct Vec;
template <>
struct Vec<float> {
  static constexpr int N = 4;
  __device__ static void load(const float* p, float* o) {
    const float4 v = *reinterpret_cast<const float4*>(p);
    o[0] = v.x, o[1] = v.y, o[2] = v.z, o[3] = v.w;
  }
  __device__ static float one(const float* p) { return *p; }
};
template <>
struct Vec<__nv_bfloat16> {
  static constexpr int N = 8;
  __device__ static void load(const __nv_bfloat16* p, float* o) {
    const uint4 u = *reinterpret_cast<const uint4*>(p);
    const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&u);
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const float2 f = __bfloat1622float2(h[k]);
      o[2 * k] = f.x, o[2 * k + 1] = f.y;
    }
  }
  __device__ static float one(const __nv_bfloat16* p) { return __bfloat162float(*p); }
};
template <>
struct Vec<__half> {
  static constexpr int N = 8;
  __device__ static void load(const __half* p, float* o) {
    const uint4 u = *reinterpret_cast<const uint4*>(p);
    const __half2* h = reinterpret_cast<const __half2*>(&u);
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const float2 f = __half22float2(h[k]);
      o[2 * k] = f.x, o[2 * k + 1] = f.y;
    }
  }
  __device__ static float one(const __half* p) { return __half2float(*p); }
};

template <class WT>
__global__ void __launch_bounds__(kWarps * 32)
    loraSmallTKernel(const void* x, int xd, int T, int in, const WT* w, int out, const float* h, const void* b, int bd,
                     int r, float scale, void* y, int yd) {
  constexpr int V = Vec<WT>::N, CH = 32 * V * kUnroll;  // columns per chunk: 512 (16-bit W) or 256 (f32 W)
  __shared__ float xs[kSmallT][CH];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int row0 = (blockIdx.x * kWarps + warp) * kRowsPerWarp;
  const bool vec = in % V == 0;  // rows start 16-byte aligned (cudaMalloc'd base, in·sizeof(WT) a multiple of 16)
  float acc[kRowsPerWarp][kSmallT];
#pragma unroll
  for (int q = 0; q < kRowsPerWarp; ++q)
#pragma unroll
    for (int t = 0; t < kSmallT; ++t) acc[q][t] = 0.f;

  for (int k0 = 0; k0 < in; k0 += CH) {
    const int len = min(CH, in - k0);
    // column c = (u·32 + l)·V + e of the chunk is stored at (u·V + e)·32 + l
    for (int i = threadIdx.x; i < T * CH; i += blockDim.x) {
      const int t = i / CH, c = i % CH;
      const int u = c / (32 * V), rem = c % (32 * V), l = rem / V, e = rem % V;
      xs[t][(u * V + e) * 32 + l] = c < len ? float(ld(x, xd, int64_t(t) * in + k0 + c)) : 0.f;
    }
    __syncthreads();
    float wv[kRowsPerWarp][kUnroll][V];
#pragma unroll
    for (int q = 0; q < kRowsPerWarp; ++q) {
      const int o = row0 + q;
      const WT* wr = w + int64_t(o < out ? o : 0) * in + k0;
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int c0 = (u * 32 + lane) * V;
        if (o < out && vec && c0 + V <= len) {
          Vec<WT>::load(wr + c0, wv[q][u]);
        } else {
#pragma unroll
          for (int e = 0; e < V; ++e) wv[q][u][e] = o < out && c0 + e < len ? Vec<WT>::one(wr + c0 + e) : 0.f;
        }
      }
    }
#pragma unroll
    for (int q = 0; q < kRowsPerWarp; ++q)
#pragma unroll
      for (int u = 0; u < kUnroll; ++u)
#pragma unroll
        for (int e = 0; e < V; ++e) {
          const float wq = wv[q][u][e];
          const int pos = (u * V + e) * 32 + lane;
#pragma unroll
          for (int t = 0; t < kSmallT; ++t)
            if (t < T) acc[q][t] += wq * xs[t][pos];
        }
    __syncthreads();
  }
#pragma unroll
  for (int q = 0; q < kRowsPerWarp; ++q) {
    const int o = row0 + q;
#pragma unroll
    for (int t = 0; t < kSmallT; ++t) {
      float v = acc[q][t];
      for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
      acc[q][t] = v;  // every lane now holds the full sum
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

cudaError_t launchLoraSmallT(const void* x, int xd, int T, int in, const void* w, int wd, int out, const float* h,
                             const void* b, int bd, int r, float scale, void* y, int yd, cudaStream_t stream) {
  if (T < 1 || T > kSmallT || out < 1) return cudaErrorInvalidValue;
  const unsigned grid = unsigned((out + kWarps * kRowsPerWarp - 1) / (kWarps * kRowsPerWarp));
  switch (wd) {
    case 0:
      LORAGA_LAUNCH(loraSmallTKernel<float>, grid, kWarps * 32, stream)
      (x, xd, T, in, static_cast<const float*>(w), out, h, b, bd, r, scale, y, yd);
      break;
    case 2:
      LORAGA_LAUNCH(loraSmallTKernel<__nv_bfloat16>, grid, kWarps * 32, stream)
      (x, xd, T, in, static_cast<const __nv_bfloat16*>(w), out, h, b, bd, r, scale, y, yd);
      break;
    case 3:
      LORAGA_LAUNCH(loraSmallTKernel<__half>, grid, kWarps * 32, stream)
      (x, xd, T, in, static_cast<const __half*>(w), out, h, b, bd, r, scale, y, yd);
      break;
    default: return cudaErrorInvalidValue;  // f64 weights take the cuBLAS path
  }
  return cudaGetLastError();
}

}  // namespace loraga::cuda
