// Used when the CUDA backend is not compiled (no nvcc, the node-gyp build, or LORAGA_CPU_ONLY): says why.
#include "../backend.h"

namespace loraga {
Backend* cudaBackend(std::string* why) {
  if (why) *why = "this build has no CUDA backend (built without nvcc, or with node-gyp or LORAGA_CPU_ONLY)";
  return nullptr;
}
}  // namespace loraga
