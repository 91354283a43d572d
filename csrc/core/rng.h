// Counter-based Gaussian generator: element i of a seeded matrix depends only on (seed, i), so the CPU and CUDA
// backends draw the same random test matrix for randomized SVD and results are reproducible across backends.
#pragma once
#include <cmath>
#include <cstdint>
#include "hd.h"

namespace loraga {

LORAGA_HD inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Standard normal for index i (Box-Muller on two 53-bit uniforms in (0, 1]).
LORAGA_HD inline double gaussianAt(uint64_t seed, uint64_t i) {
  uint64_t a = splitmix64(seed * 0x2545f4914f6cdd1dull + 2 * i);
  uint64_t b = splitmix64(seed * 0x2545f4914f6cdd1dull + 2 * i + 1);
  double u1 = (double((a >> 11) + 1)) * (1.0 / 9007199254740992.0);
  double u2 = double(b >> 11) * (1.0 / 9007199254740992.0);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

}  // namespace loraga
