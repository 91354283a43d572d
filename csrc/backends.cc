// Which backend serves a device, and the list `loraga.backends()` reports (binding/backends.cc).
#include "backend.h"

namespace loraga {

Backend& backendFor(Device d) {
  if (d == Device::Host) return cpuBackend();
  std::string why;
  Backend* be = cudaBackend(&why);
  if (!be) fail(ErrorCode::Backend, "CUDA backend unavailable: " + why);
  return *be;
}

std::vector<BackendInfo> listBackends() {
  std::vector<BackendInfo> out{cpuBackend().info()};
  std::string why;
  Backend* cuda = cudaBackend(&why);
  if (cuda) {
    out.push_back(cuda->info());
  } else {
    BackendInfo i;
    i.name = "cuda";
    i.available = false;
    i.reason = why;
    out.push_back(i);
  }
  return out;
}

}  // namespace loraga
