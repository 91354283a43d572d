// The tensor housekeeping ops on the host: dtype conversion (copy), the seeded Gaussian fill, the finiteness scan.
#include <cmath>
#include <cstring>
#include "backend.h"
#include "../core/rng.h"

namespace loraga {

namespace {
inline double load(const View& v, int64_t i) {
  switch (v.dtype) {
    case DType::F32: return v.as<float>()[i];
    case DType::F64: return v.as<double>()[i];
    case DType::BF16: return bf16ToF32(v.as<uint16_t>()[i]);
    default: return f16ToF32(v.as<uint16_t>()[i]);
  }
}
inline void store(const View& v, int64_t i, double x) {
  switch (v.dtype) {
    case DType::F32: v.as<float>()[i] = float(x); break;
    case DType::F64: v.as<double>()[i] = x; break;
    case DType::BF16: v.as<uint16_t>()[i] = f32ToBf16(float(x)); break;
    default: v.as<uint16_t>()[i] = f32ToF16(float(x)); break;
  }
}
}  // namespace

void CpuBackend::copy(const View& src, const View& dst) {
  const int64_t n = src.numel();
  if (src.dtype == dst.dtype) {
    if (src.data != dst.data && n > 0) std::memmove(dst.data, src.data, src.bytes());  // empty views may be null
    return;
  }
  // The common conversions get tight loops; the rest go through double.
  if (src.dtype == DType::BF16 && dst.dtype == DType::F32) {
    const uint16_t* s = src.as<uint16_t>();
    float* d = dst.as<float>();
    for (int64_t i = 0; i < n; ++i) d[i] = bf16ToF32(s[i]);
  } else if (src.dtype == DType::F32 && dst.dtype == DType::BF16) {
    const float* s = src.as<float>();
    uint16_t* d = dst.as<uint16_t>();
    for (int64_t i = 0; i < n; ++i) d[i] = f32ToBf16(s[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) store(dst, i, load(src, i));
  }
}

void CpuBackend::fillGaussian(const View& a, uint64_t seed) {
  const int64_t n = a.numel();
  for (int64_t i = 0; i < n; ++i) store(a, i, gaussianAt(seed, uint64_t(i)));
}

bool CpuBackend::allFinite(const View& a) {
  const int64_t n = a.numel();
  switch (a.dtype) {
    case DType::F32: {
      const float* p = a.as<float>();
      for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(p[i])) return false;
      return true;
    }
    case DType::F64: {
      const double* p = a.as<double>();
      for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(p[i])) return false;
      return true;
    }
    default: {  // bf16 exponent field 0xff, or f16 exponent field 0x1f, means inf/NaN
      const uint16_t* p = a.as<uint16_t>();
      const uint16_t mask = a.dtype == DType::BF16 ? 0x7f80 : 0x7c00;
      for (int64_t i = 0; i < n; ++i)
        if ((p[i] & mask) == mask) return false;
      return true;
    }
  }
}

}  // namespace loraga
