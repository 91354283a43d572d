// Compiled instead of the CUDA backend when it is not built (no nvcc, LORAGA_CPU_ONLY, or the node-gyp build):
// backends() and `loraga doctor` say which.
#include "../backend.h"

#ifndef LORAGA_NO_CUDA_REASON
#define LORAGA_NO_CUDA_REASON "built without nvcc, or with node-gyp or LORAGA_CPU_ONLY"
#endif

namespace loraga {
Backend* cudaBackend(std::string* why) {
  if (why) *why = "this build has no CUDA backend (" LORAGA_NO_CUDA_REASON ")";
  return nullptr;
}
}  // namespace loraga
