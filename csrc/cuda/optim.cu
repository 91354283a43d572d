// Kernels of the fused optimizer steps (cuda/optim.cc): one thread per element in a grid-stride loop, each element
// updated by the rule in core/optim_rules.h, in double, like the CPU loop.
#include "../core/optim_rules.h"
#include "device.cuh"
#include "kernels.h"

namespace loraga::cuda {

namespace {
__global__ void adamwKernel(const void* p, void* out, int pd, const void* g, int gd, void* m, int md, void* v, int vd,
                            int64_t n, AdamWCoeffs c) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    double pi = ld(p, pd, i), mi = ld(m, md, i), vi = ld(v, vd, i);
    adamwUpdate(pi, ld(g, gd, i), mi, vi, c);
    st(m, md, i, mi);
    st(v, vd, i, vi);
    st(out, pd, i, pi);
  }
}

__global__ void sgdKernel(void* p, int pd, const void* g, int gd, void* buf, int bd, int64_t n, SgdParams c) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    double pi = ld(p, pd, i), bi = buf ? ld(buf, bd, i) : 0.0;
    sgdUpdate(pi, ld(g, gd, i), buf ? &bi : nullptr, c);
    if (buf) st(buf, bd, i, bi);
    st(p, pd, i, pi);
  }
}
}  // namespace

cudaError_t launchAdamW(const void* p, void* out, int pd, const void* g, int gd, void* m, int md, void* v, int vd,
                        int64_t n, const AdamWCoeffs& c, cudaStream_t stream) {
  if (n > 0) LORAGA_LAUNCH(adamwKernel, gridFor(n, 256), 256, stream)(p, out, pd, g, gd, m, md, v, vd, n, c);
  return cudaGetLastError();
}

cudaError_t launchSgd(void* p, int pd, const void* g, int gd, void* buf, int bd, int64_t n, const SgdParams& c,
                      cudaStream_t stream) {
  if (n > 0) LORAGA_LAUNCH(sgdKernel, gridFor(n, 256), 256, stream)(p, pd, g, gd, buf, bd, n, c);
  return cudaGetLastError();
}

}  // namespace loraga::cuda
