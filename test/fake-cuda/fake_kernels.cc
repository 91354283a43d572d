// The launchers of csrc/cuda/kernels.h as host loops (the kernels themselves only run on a real GPU).
#include <cmath>
#include "core/dtype.h"
#include "core/optim_rules.h"
#include "core/rng.h"
#include "cuda/kernels.h"

namespace loraga::cuda {
namespace {
double ld(const void* p, int dt, int64_t i) {
  switch (dt) {
    case 0: return static_cast<const float*>(p)[i];
    case 1: return static_cast<const double*>(p)[i];
    case 2: return bf16ToF32(static_cast<const uint16_t*>(p)[i]);
    default: return f16ToF32(static_cast<const uint16_t*>(p)[i]);
  }
}
void st(void* p, int dt, int64_t i, double x) {
  switch (dt) {
    case 0: static_cast<float*>(p)[i] = float(x); break;
    case 1: static_cast<double*>(p)[i] = x; break;
    case 2: static_cast<uint16_t*>(p)[i] = f32ToBf16(float(x)); break;
    default: static_cast<uint16_t*>(p)[i] = f32ToF16(float(x)); break;
  }
}
}  // namespace

cudaError_t launchConvert(const void* s, int sd, void* d, int dd, int64_t n, cudaStream_t) {
  for (int64_t i = 0; i < n; ++i) st(d, dd, i, ld(s, sd, i));
  return cudaSuccess;
}
cudaError_t launchFillGaussian(void* d, int dt, int64_t n, uint64_t seed, cudaStream_t) {
  for (int64_t i = 0; i < n; ++i) st(d, dt, i, gaussianAt(seed, uint64_t(i)));
  return cudaSuccess;
}
cudaError_t launchNonFinite(const void* s, int dt, int64_t n, int* flag, cudaStream_t) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(ld(s, dt, i))) *flag = 1;
  return cudaSuccess;
}
cudaError_t launchAdamW(void* p, int pd, const void* g, int gd, void* m, int md, void* v, int vd, int64_t n,
                        const AdamWCoeffs& c, cudaStream_t) {
  for (int64_t i = 0; i < n; ++i) {
    double pi = ld(p, pd, i), mi = ld(m, md, i), vi = ld(v, vd, i);
    adamwUpdate(pi, ld(g, gd, i), mi, vi, c);
    st(m, md, i, mi);
    st(v, vd, i, vi);
    st(p, pd, i, pi);
  }
  return cudaSuccess;
}
cudaError_t launchSgd(void* p, int pd, const void* g, int gd, void* buf, int bd, int64_t n, const SgdParams& c,
                      cudaStream_t) {
  for (int64_t i = 0; i < n; ++i) {
    double pi = ld(p, pd, i), bi = buf ? ld(buf, bd, i) : 0.0;
    sgdUpdate(pi, ld(g, gd, i), buf ? &bi : nullptr, c);
    if (buf) st(buf, bd, i, bi);
    st(p, pd, i, pi);
  }
  return cudaSuccess;
}
cudaError_t launchLoraSmallT(const void* x, int xd, int T, int in, const void* w, int wd, int out, const float* h,
                             const void* b, int bd, int r, float scale, void* y, int yd, cudaStream_t) {
  if (T < 1 || T > kSmallT || wd == 1) return cudaErrorInvalidValue;
  for (int t = 0; t < T; ++t)
    for (int o = 0; o < out; ++o) {
      float acc = 0, lora = 0;
      for (int k = 0; k < in; ++k) acc += float(ld(w, wd, int64_t(o) * in + k)) * float(ld(x, xd, int64_t(t) * in + k));
      for (int j = 0; j < r; ++j) lora += h[int64_t(t) * r + j] * float(ld(b, bd, int64_t(o) * r + j));
      st(y, yd, int64_t(t) * out + o, acc + scale * lora);
    }
  return cudaSuccess;
}
}  // namespace loraga::cuda
