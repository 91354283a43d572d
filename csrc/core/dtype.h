// Storage dtypes and the bf16/f16 <-> f32 conversions used on the way in and out of compute.
#pragma once
#include <cstdint>
#include <cstring>
#include <cmath>

namespace loraga {

enum class DType : int { F32 = 0, F64 = 1, BF16 = 2, F16 = 3 };

inline size_t dtypeSize(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    default: return 2;
  }
}

inline const char* dtypeName(DType t) {
  switch (t) {
    case DType::F32: return "f32";
    case DType::F64: return "f64";
    case DType::BF16: return "bf16";
    default: return "f16";
  }
}

// The compute dtype of a storage dtype: f64 stays f64, everything else computes in f32.
inline DType computeDType(DType t) { return t == DType::F64 ? DType::F64 : DType::F32; }

// An f32's bit pattern and back (memcpy: the defined way to type-pun).
inline uint32_t f32Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float f32FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// bf16 is the top half of an f32; round-to-nearest-even on the way down, NaN kept quiet.
inline float bf16ToF32(uint16_t h) { return f32FromBits(uint32_t(h) << 16); }
inline uint16_t f32ToBf16(float f) {
  uint32_t u = f32Bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

// IEEE half <-> f32, handling subnormals, infinities and NaN; round-to-nearest-even.
inline float f16ToF32(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  uint32_t u;
  if (exp == 0) {
    if (man == 0) {
      u = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        man <<= 1;
        ++e;
      } while (!(man & 0x400u));
      u = sign | uint32_t(127 - 15 - e) << 23 | (man & 0x3ffu) << 13;
    }
  } else if (exp == 31) {
    u = sign | 0x7f800000u | man << 13;
  } else {
    u = sign | (exp + 112) << 23 | man << 13;
  }
  return f32FromBits(u);
}
inline uint16_t f32ToF16(float f) {
  const uint32_t u = f32Bits(f);
  uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  uint32_t absu = u & 0x7fffffffu;
  if (absu > 0x7f800000u) return sign | 0x7e00u;   // NaN
  if (absu >= 0x477ff000u) return sign | 0x7c00u;  // overflow (incl. rounding up) -> inf
  if (absu < 0x38800000u) {                        // subnormal or zero in half
    if (absu < 0x33000000u) return sign;           // underflows to zero
    uint32_t man = (absu & 0x7fffffu) | 0x800000u;
    int shift = 126 - int(absu >> 23);  // 14..24
    uint32_t half = man >> shift;
    uint32_t rem = man & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1u))) ++half;
    return sign | uint16_t(half);
  }
  uint32_t r = absu - 0x38000000u;  // rebias exponent 127 -> 15
  r += 0xfffu + ((r >> 13) & 1u);
  return sign | uint16_t(r >> 13);
}

}  // namespace loraga
