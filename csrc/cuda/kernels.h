// Host-side launchers of our own CUDA kernels (compiled by nvcc), grouped by the op file that owns them. Dtype codes
// are loraga::DType values. Each returns the launch status (cudaGetLastError); the kernels run asynchronously on
// `stream`. GPU-less CI runs these same kernels on the CPU (test/fake-cuda/simt.h).
#pragma once
#include <cuda_runtime_api.h>
#include <cstdint>
#include "../core/optim_rules.h"

namespace loraga::cuda {

// ---- tensor.cu ---------------------------------------------------------------------------------------------------
// dst[i] = src[i] converted (same rounding as the CPU backend: through double, then f32, then bf16/f16).
cudaError_t launchConvert(const void* src, int srcDtype, void* dst, int dstDtype, int64_t n, cudaStream_t stream);
// Element i·cols + j of dst = gaussianAt(seed, first + i·stride + j) (core/rng.h; Backend::fillGaussianAt), so CPU
// and GPU draw the same matrix, or the same block of it.
cudaError_t launchFillGaussian(void* dst, int dtype, int64_t n, int64_t cols, uint64_t seed, uint64_t first,
                               int64_t stride, cudaStream_t stream);
// *flag (device int, zeroed by the caller) becomes 1 when any element is NaN or ±Inf.
cudaError_t launchNonFinite(const void* src, int dtype, int64_t n, int* flag, cudaStream_t stream);

// ---- optim.cu (rules: core/optim_rules.h) ------------------------------------------------------------------------
// Reads p and writes the new value to out (== p for an in-place step).
cudaError_t launchAdamW(const void* p, void* out, int pd, const void* g, int gd, void* m, int md, void* v, int vd,
                        int64_t n, const AdamWCoeffs& c, cudaStream_t stream);
// buf may be null (no momentum).
cudaError_t launchSgd(void* p, int pd, const void* g, int gd, void* buf, int bd, int64_t n, const SgdParams& c,
                      cudaStream_t stream);

// ---- lora.cu -----------------------------------------------------------------------------------------------------
// Decode-size LoRA forward (T ≤ kSmallT tokens): y = x·Wᵀ + s·h·Bᵀ with h = x·Aᵀ already computed (f32, T×r).
// Reads W exactly once: each block owns a tile of output features and streams W's rows past every token.
constexpr int kSmallT = 16;
cudaError_t launchLoraSmallT(const void* x, int xd, int T, int in, const void* w, int wd, int out, const float* h,
                             const void* b, int bd, int r, float scale, void* y, int yd, cudaStream_t stream);

}  // namespace loraga::cuda
