// The fused optimizer steps on the host: one pass over p, g and the optimizer state, each element updated by the
// rule in core/optim_rules.h (the same source the CUDA kernel runs). Element-wise loops, no BLAS involved.
#include "../core/optim_rules.h"
#include "backend.h"

namespace loraga {

namespace {
// Calls fn with a loader for g specialised on its dtype (keeps the hot loop free of a per-element switch).
template <class Fn>
void withGrad(const View& g, Fn fn) {
  switch (g.dtype) {
    case DType::F32: {
      const float* gp = g.as<float>();
      fn([gp](int64_t i) { return double(gp[i]); });
      break;
    }
    case DType::F64: {
      const double* gp = g.as<double>();
      fn([gp](int64_t i) { return gp[i]; });
      break;
    }
    case DType::BF16: {
      const uint16_t* gp = g.as<uint16_t>();
      fn([gp](int64_t i) { return double(bf16ToF32(gp[i])); });
      break;
    }
    default: {
      const uint16_t* gp = g.as<uint16_t>();
      fn([gp](int64_t i) { return double(f16ToF32(gp[i])); });
      break;
    }
  }
}

template <class T, class Load>
void adamwTyped(const View& p, const View& m, const View& v, const View& out, const AdamWCoeffs& c, Load grad) {
  const T* pp = p.as<T>();
  T* po = out.as<T>();
  T* mm = m.as<T>();
  T* vv = v.as<T>();
  for (int64_t i = 0, n = p.numel(); i < n; ++i) {
    double pi = pp[i], mi = mm[i], vi = vv[i];
    adamwUpdate(pi, grad(i), mi, vi, c);
    po[i] = T(pi);
    mm[i] = T(mi);
    vv[i] = T(vi);
  }
}

template <class T, class Load>
void sgdTyped(const View& p, const View& buf, const SgdParams& hp, Load grad) {
  T* pp = p.as<T>();
  T* bb = buf.empty() ? nullptr : buf.as<T>();
  for (int64_t i = 0, n = p.numel(); i < n; ++i) {
    double pi = pp[i], bi = bb ? double(bb[i]) : 0.0;
    sgdUpdate(pi, grad(i), bb ? &bi : nullptr, hp);
    pp[i] = T(pi);
    if (bb) bb[i] = T(bi);
  }
}
}  // namespace

void CpuBackend::adamwStep(const View& p, const View& g, const View& m, const View& v, const View& out,
                           const AdamWParams& hp) {
  const AdamWCoeffs c = adamwCoeffs(hp);
  withGrad(g, [&](auto grad) {
    if (p.dtype == DType::F64)
      adamwTyped<double>(p, m, v, out, c, grad);
    else
      adamwTyped<float>(p, m, v, out, c, grad);
  });
}

void CpuBackend::sgdStep(const View& p, const View& g, const View& buf, const SgdParams& hp) {
  withGrad(g, [&](auto grad) {
    if (p.dtype == DType::F64)
      sgdTyped<double>(p, buf, hp, grad);
    else
      sgdTyped<float>(p, buf, hp, grad);
  });
}

}  // namespace loraga
