// LORAGA_HD marks inline math that host code and CUDA kernels share, so the CPU and the GPU run the same source.
#pragma once

#ifdef __CUDACC__
#define LORAGA_HD __host__ __device__
#else
#define LORAGA_HD
#endif
