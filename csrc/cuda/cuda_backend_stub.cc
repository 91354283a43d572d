// Stand-in until the CUDA backend lands: reports why no GPU path exists in this build.
#include "../backend.h"

namespace loraga {
Backend* cudaBackend(std::string* why) {
  if (why) *why = "this build has no CUDA backend yet (CPU only)";
  return nullptr;
}
}  // namespace loraga
