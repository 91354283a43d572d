// The CPU backend object: host allocation and what `backends()` reports about OpenBLAS.
#include <cblas.h>
#include <cstdlib>
#include "backend.h"

extern "C" {
// OpenBLAS extensions (not in every cblas.h).
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}

namespace loraga {

HostBuffer::HostBuffer(DType dtype, int64_t rows, int64_t cols) {
  view = View{nullptr, dtype, rows, cols, Device::Host};
  const size_t bytes = view.bytes();
  view.data = std::calloc(bytes ? bytes : 1, 1);
  if (!view.data)
    fail(ErrorCode::OutOfMemory,
         "out of host memory allocating " + std::to_string(bytes) + " bytes " + view.shapeStr());
}
HostBuffer::~HostBuffer() { std::free(view.data); }

BufferPtr CpuBackend::alloc(DType dtype, int64_t rows, int64_t cols) {
  return std::make_unique<HostBuffer>(dtype, rows, cols);
}

BackendInfo CpuBackend::info() {
  BackendInfo i;
  i.name = "cpu";
  i.available = true;
  i.reason = "always available";
  i.deviceName = std::string("OpenBLAS ") + openblas_get_corename();
  i.details = std::string(openblas_get_config()) + "; threads " + std::to_string(openblas_get_num_threads());
  return i;
}

Backend& cpuBackend() {
  static CpuBackend be;
  return be;
}

}  // namespace loraga
