// Fused optimizer steps on the host: one pass over p, g and the optimizer state per step. Element-wise loops (no
// BLAS involved); arithmetic in double whatever the storage, so f32 state rounds once per element per step.
#include <cmath>
#include "cpu_backend.h"

namespace loraga {

namespace {
// g may be any storage dtype: widened on load.
template <class G>
inline double gradAt(const G* g, int64_t i) { return double(g[i]); }
inline double gradAt16(const View& g, int64_t i) {
  const uint16_t h = g.as<uint16_t>()[i];
  return g.dtype == DType::BF16 ? bf16ToF32(h) : f16ToF32(h);
}

template <class T, class Load>
void adamwTyped(const View& p, const View& m, const View& v, const AdamWParams& hp, Load gload) {
  T* pp = p.as<T>();
  T* mm = m.as<T>();
  T* vv = v.as<T>();
  const double b1 = hp.beta1, b2 = hp.beta2;
  const double bc1 = 1.0 - std::pow(b1, double(hp.step)), bc2 = 1.0 - std::pow(b2, double(hp.step));
  const double decay = hp.lr * hp.weightDecay, stepSize = hp.lr / bc1, rbc2 = 1.0 / std::sqrt(bc2);
  const int64_t n = p.numel();
  for (int64_t i = 0; i < n; ++i) {
    const double g = gload(i);
    const double mi = b1 * double(mm[i]) + (1.0 - b1) * g;
    const double vi = b2 * double(vv[i]) + (1.0 - b2) * g * g;
    mm[i] = T(mi);
    vv[i] = T(vi);
    const double pi = double(pp[i]);
    pp[i] = T(pi - decay * pi - stepSize * mi / (std::sqrt(vi) * rbc2 + hp.eps));
  }
}

template <class T, class Load>
void sgdTyped(const View& p, const View& buf, double lr, double mu, double wd, Load gload) {
  T* pp = p.as<T>();
  const int64_t n = p.numel();
  if (buf.empty()) {
    for (int64_t i = 0; i < n; ++i) pp[i] = T(double(pp[i]) - lr * (gload(i) + wd * double(pp[i])));
    return;
  }
  T* bb = buf.as<T>();
  for (int64_t i = 0; i < n; ++i) {
    const double d = mu * double(bb[i]) + gload(i) + wd * double(pp[i]);
    bb[i] = T(d);
    pp[i] = T(double(pp[i]) - lr * d);
  }
}

// Calls fn with a loader for g specialised on its dtype (keeps the hot loop free of a per-element switch).
template <class Fn>
void withGrad(const View& g, Fn fn) {
  switch (g.dtype) {
    case DType::F32: { const float* gp = g.as<float>(); fn([gp](int64_t i) { return gradAt(gp, i); }); break; }
    case DType::F64: { const double* gp = g.as<double>(); fn([gp](int64_t i) { return gradAt(gp, i); }); break; }
    default: fn([&g](int64_t i) { return gradAt16(g, i); }); break;
  }
}

void checkState(const char* op, const View& p, const View& g, std::initializer_list<View> state) {
  if (p.dtype != DType::F32 && p.dtype != DType::F64)
    fail(ErrorCode::DType, std::string(op) + ": parameter must be f32 or f64, got " + dtypeName(p.dtype));
  if (g.numel() != p.numel())
    fail(ErrorCode::Shape, std::string(op) + ": gradient " + g.shapeStr() + " does not match parameter " + p.shapeStr());
  for (const View& s : state) {
    if (s.empty()) continue;
    if (s.dtype != p.dtype)
      fail(ErrorCode::DType, std::string(op) + ": optimizer state must have the parameter's dtype " + dtypeName(p.dtype) +
                                 ", got " + dtypeName(s.dtype));
    if (s.numel() != p.numel())
      fail(ErrorCode::Shape, std::string(op) + ": optimizer state " + s.shapeStr() + " does not match parameter " +
                                 p.shapeStr());
  }
}
}  // namespace

void CpuBackend::adamwStep(const View& p, const View& g, const View& m, const View& v, const AdamWParams& hp) {
  checkState("adamwStep", p, g, {m, v});
  if (m.empty() || v.empty()) fail(ErrorCode::Shape, "adamwStep: m and v are required");
  if (hp.step < 1) fail(ErrorCode::Value, "adamwStep: step must be >= 1, got " + std::to_string(hp.step));
  withGrad(g, [&](auto gload) {
    if (p.dtype == DType::F64) adamwTyped<double>(p, m, v, hp, gload);
    else adamwTyped<float>(p, m, v, hp, gload);
  });
}

void CpuBackend::sgdStep(const View& p, const View& g, const View& buf, double lr, double momentum,
                         double weightDecay) {
  checkState("sgdStep", p, g, {buf});
  withGrad(g, [&](auto gload) {
    if (p.dtype == DType::F64) sgdTyped<double>(p, buf, lr, momentum, weightDecay, gload);
    else sgdTyped<float>(p, buf, lr, momentum, weightDecay, gload);
  });
}

}  // namespace loraga
