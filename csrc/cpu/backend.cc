// The CPU backend object: host allocation and what `backends()` reports about OpenBLAS.
#include <cblas.h>
#include <cstdint>
#include <cstdlib>
#include "backend.h"
#if defined(__linux__)
#include <sys/mman.h>
#endif

extern "C" {
// OpenBLAS extensions (not in every cblas.h).
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}

namespace loraga {

namespace {
// Large scratch (gesdd's workspace, W′, copies of G) is mostly written once right after it is allocated, so its cost is
// first-touch page faults: ≈ 15 µs per 4 KiB page on this project's VMs (the 12.6 MB gesdd workspace of a 1024² SVD:
// 45 ms of 0.37 s). Linux: such buffers are mapped directly, 2 MiB-aligned, with transparent huge pages asked for
// (madvise; one fault per 2 MiB where the kernel grants them). Anonymous mappings are zero-filled, as calloc's are.
// Not under AddressSanitizer: it guards malloc'd memory (redzones, use after free), not our own mappings.
constexpr size_t kHuge = size_t(2) << 20;
#if defined(__SANITIZE_ADDRESS__)
#define LORAGA_MAP_SCRATCH 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LORAGA_MAP_SCRATCH 0
#endif
#endif
#if !defined(LORAGA_MAP_SCRATCH) && defined(__linux__) && defined(MADV_HUGEPAGE)
#define LORAGA_MAP_SCRATCH 1
#endif

}  // namespace

void* hostAlloc(size_t bytes, bool zeroed, size_t mapFrom) {
#if LORAGA_MAP_SCRATCH
  if (bytes >= mapFrom) {
    const size_t len = (bytes + kHuge - 1) / kHuge * kHuge;
    void* raw = mmap(nullptr, len + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    // Keep the 2 MiB-aligned len bytes inside; give back the head and tail around them.
    const uintptr_t start = reinterpret_cast<uintptr_t>(raw), aligned = (start + kHuge - 1) / kHuge * kHuge;
    if (aligned > start) munmap(raw, aligned - start);
    if (start + kHuge > aligned) munmap(reinterpret_cast<void*>(aligned + len), start + kHuge - aligned);
    void* p = reinterpret_cast<void*>(aligned);
    madvise(p, len, MADV_HUGEPAGE);  // a hint: without THP the mapping still works, with 4 KiB pages
    return p;
  }
#endif
  return zeroed ? std::calloc(bytes ? bytes : 1, 1) : std::malloc(bytes ? bytes : 1);
}

void hostFree(void* p, size_t bytes, size_t mapFrom) {
#if LORAGA_MAP_SCRATCH
  if (bytes >= mapFrom) {
    munmap(p, (bytes + kHuge - 1) / kHuge * kHuge);
    return;
  }
#endif
  std::free(p);
}

HostBuffer::HostBuffer(DType dtype, int64_t rows, int64_t cols) {
  view = View{nullptr, dtype, rows, cols, Device::Host};
  const size_t bytes = view.bytes();
  view.data = hostAlloc(bytes, true, kMapScratchFrom);
  if (!view.data)
    fail(ErrorCode::OutOfMemory,
         "out of host memory allocating " + std::to_string(bytes) + " bytes " + view.shapeStr());
}
HostBuffer::~HostBuffer() { hostFree(view.data, view.bytes(), kMapScratchFrom); }

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
