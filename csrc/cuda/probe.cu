// Trivial CUDA translation unit: compiled (never linked into the addon) whenever nvcc is found, so CI proves the
// CUDA toolchain path builds even on machines without a GPU.
#include "../core/rng.h"

__global__ void loragaProbeGaussian(double* out, unsigned long long seed, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = loraga::gaussianAt(seed, static_cast<unsigned long long>(i));
}
