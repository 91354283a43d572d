// The tensor housekeeping ops on the host: dtype conversion (copy), the seeded Gaussian fill, the finiteness scan.
#include <algorithm>
#include <cmath>
#include <cstring>
#include "backend.h"
#include "blas_threads.h"
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

void CpuBackend::fillGaussianAt(const View& a, uint64_t seed, uint64_t first, int64_t stride) {
  const auto fillRows = [&](int, int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i)
      for (int64_t j = 0; j < a.cols; ++j)
        store(a, i * a.cols + j, gaussianAt(seed, first + uint64_t(i) * uint64_t(stride) + uint64_t(j)));
  };
  // A draw costs ≈ 45 ns here (two hashes, a log and a cos): a randomized SVD's test matrix of 2816×20 took ≈ 2.5 ms.
  // Large fills share the rows out across the cores; each value depends only on its index, so the result is the same.
  constexpr int64_t kParallelDraws = 16384;
  const int threads = ownThreads();
  if (threads > 1 && a.numel() >= kParallelDraws && a.rows > 1)
    parallelParts(a.rows, threads, 1, fillRows);
  else
    fillRows(0, 0, a.rows);
}

namespace {
// NaN and ±Inf are the values whose exponent field is all ones. Testing that on the bit patterns, a block at a time
// with no branch inside, lets the compiler vectorise the scan (std::isfinite with an early return per element does
// not); the early exit stays, per block. A block is 16–32 KiB: in L1, and a NaN near the start is found at once.
template <class U>
bool noneAllOnes(const U* p, int64_t n, U mask) {
  constexpr int64_t kBlock = 8192;
  for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int64_t end = std::min(n, i0 + kBlock);
    U bad = 0;
    for (int64_t i = i0; i < end; ++i) bad |= U((p[i] & mask) == mask);
    if (bad) return false;
  }
  return true;
}
}  // namespace

bool CpuBackend::allFinite(const View& a) {
  const int64_t n = a.numel();
  switch (a.dtype) {
    case DType::F32: return noneAllOnes<uint32_t>(a.as<uint32_t>(), n, 0x7f800000u);
    case DType::F64: return noneAllOnes<uint64_t>(a.as<uint64_t>(), n, 0x7ff0000000000000ull);
    case DType::BF16: return noneAllOnes<uint16_t>(a.as<uint16_t>(), n, 0x7f80);
    default: return noneAllOnes<uint16_t>(a.as<uint16_t>(), n, 0x7c00);  // f16
  }
}

}  // namespace loraga
