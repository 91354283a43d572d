// loraForward on the GPU: decode sizes (T <= kSmallT tokens) go to our fused kernel (lora.cu), which reads W
// once; larger T uses the composite (three cuBLAS GEMMs on the stream, composite/lora.cc).
#include "backend.h"
#include "kernels.h"

namespace loraga::cuda {

void CudaBackend::loraForward(const View& x, const View& w, const View& a, const View& b, double scale, const View& y,
                              const View& h) {
  // Decode sizes: our kernel reads W once (cuBLAS would launch three GEMMs, two of them tiny and latency-bound).
  if (x.rows >= 1 && x.rows <= kSmallT && w.dtype != DType::F64 && y.dtype != DType::F64) {
    enter();
    BufferPtr hs;
    View hv = h;
    if (hv.empty() || hv.dtype != DType::F32) {
      hs = alloc(DType::F32, x.rows, a.rows);
      hv = hs->view;
    }
    matmul(false, true, 1.0, x, a, 0.0, hv);  // h = x·Aᵀ (T×r, fp32)
    check(launchLoraSmallT(x.data, int(x.dtype), int(x.rows), int(x.cols), w.data, int(w.dtype), int(w.rows),
                           hv.as<float>(), b.data, int(b.dtype), int(a.rows), float(scale), y.data, int(y.dtype),
                           stream_),
          "loraForward small-T kernel");
    if (!h.empty() && hs) copy(hv, h);
    return;
  }
  // Large T: y = x·Wᵀ (one GEMM over the output), h = x·Aᵀ, then y += s·h·Bᵀ accumulated into the same output
  // (beta = 1), all on the stream without host round-trips.
  Backend::loraForward(x, w, a, b, scale, y, h);
}

}  // namespace loraga::cuda
