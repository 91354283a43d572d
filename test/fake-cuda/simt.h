// Runs our real CUDA kernels (csrc/cuda/*.cu) on the CPU, so that a bug in a kernel fails GPU-less CI: the .cu files
// are compiled as C++ with this header force-included (-include, with LORAGA_SIMT defined; see Makefile). A launch
// runs the grid's blocks one after another; each block's threads are fibers on one OS thread, switched at every
// barrier (__syncthreads, __syncthreads_or, and the warp shuffles, which CUDA requires all participating threads to
// reach together), so block-shared memory, barriers and shuffles keep their CUDA meaning. What this cannot show:
// races and memory-model bugs (threads never run at once here), performance, or the device compiler's arithmetic
// (FMA contraction); the GPU suite on a real GPU covers those.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>
#include <vector_types.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <tuple>
#include <utility>

// The CUDA headers define these for a host compiler as attributes; here they must mean plain host code.
#undef __global__
#undef __device__
#undef __host__
#undef __forceinline__
#undef __launch_bounds__
#undef __shared__
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static  // one block runs at a time, so one copy per kernel is the block's shared memory

using std::isfinite;
using std::max;
using std::min;

namespace loraga::simt {

struct Coords {  // (not named threadIdx… here: those names are macros below)
  uint3 tid, bid;
  dim3 bdim, gdim;
};
const Coords& coords();

using Body = void (*)(void* closure);
// Runs body(closure) as every thread of every block of the grid.
void run(dim3 grid, dim3 block, Body body, void* closure);

int syncOr(int pred);                   // __syncthreads_or
float exchange(float v, int partner);  // one round of a warp shuffle: v from thread `partner` of the block

template <class... P, class... A>
void launchKernel(dim3 grid, dim3 block, void (*kernel)(P...), A&&... args) {
  struct Closure {
    void (*kernel)(P...);
    std::tuple<P...> args;
  } c{kernel, std::tuple<P...>(std::forward<A>(args)...)};
  run(grid, block, [](void* p) { auto* c = static_cast<Closure*>(p); std::apply(c->kernel, c->args); }, &c);
}

// kernel<<<grid, block, 0, stream>>>(args…) becomes LORAGA_LAUNCH(kernel, grid, block, stream)(args…).
template <class K>
struct Launch {
  dim3 grid, block;
  K kernel;
  template <class... A>
  void operator()(A&&... args) const {
    launchKernel(grid, block, kernel, std::forward<A>(args)...);
  }
};

}  // namespace loraga::simt

#define threadIdx (::loraga::simt::coords().tid)
#define blockIdx (::loraga::simt::coords().bid)
#define blockDim (::loraga::simt::coords().bdim)
#define gridDim (::loraga::simt::coords().gdim)

inline void __syncthreads() { ::loraga::simt::syncOr(0); }
inline int __syncthreads_or(int pred) { return ::loraga::simt::syncOr(pred); }
inline float __shfl_xor_sync(unsigned, float v, int laneMask) {
  const unsigned t = threadIdx.x;
  return ::loraga::simt::exchange(v, int((t & ~31u) | ((t & 31u) ^ unsigned(laneMask))));
}
inline int atomicExch(int* p, int v) {  // threads never run at once here
  const int old = *p;
  *p = v;
  return old;
}

#define LORAGA_LAUNCH(kernel, grid, block, stream) \
  (::loraga::simt::Launch<decltype(&kernel)>{dim3(grid), dim3(block), &kernel})
