// The LoRA layer ops as composites: three matmuls forward, up to five backward, on whatever backend runs them.
// CUDA overrides loraForward for decode sizes (cuda/lora.cc); everything else uses these.
#include "../backend.h"

namespace loraga {

void Backend::loraForward(const View& x, const View& w, const View& a, const View& b, double scale, const View& y,
                          const View& h) {
  const DType ct = x.dtype == DType::F64 && a.dtype == DType::F64 ? DType::F64 : DType::F32;
  BufferPtr hb;
  View hv = h;
  if (hv.empty()) {
    hb = alloc(ct, x.rows, a.rows);
    hv = hb->view;
  }
  matmul(false, true, 1.0, x, w, 0.0, y);     // y = x·Wᵀ
  matmul(false, true, 1.0, x, a, 0.0, hv);    // h = x·Aᵀ   (T×r)
  matmul(false, true, scale, hv, b, 1.0, y);  // y += s·h·Bᵀ
}

void Backend::loraBackward(const View& dy, const View& x, const View& w, const View& a, const View& b, double scale,
                           const View& h, const View& dx, const View& da, const View& db) {
  // Scratch in f64 only when everything is f64 (matching the JS side's computeDType), else f32.
  const bool all64 = dy.dtype == DType::F64 && x.dtype == DType::F64 && a.dtype == DType::F64 && b.dtype == DType::F64;
  const DType ct = all64 ? DType::F64 : DType::F32;
  BufferPtr gb = alloc(ct, dy.rows, b.cols);
  matmul(false, false, 1.0, dy, b, 0.0, gb->view);  // g = dy·B  (T×r)
  if (!dx.empty()) {
    matmul(false, false, 1.0, dy, w, 0.0, dx);          // dx = dy·W
    matmul(false, false, scale, gb->view, a, 1.0, dx);  // dx += s·g·A
  }
  if (!da.empty()) matmul(true, false, scale, gb->view, x, 0.0, da);  // dA = s·gᵀ·x
  if (!db.empty()) {
    BufferPtr hb;
    View hv = h;
    if (hv.empty()) {
      hb = alloc(ct, x.rows, a.rows);
      hv = hb->view;
      matmul(false, true, 1.0, x, a, 0.0, hv);
    }
    matmul(true, false, scale, dy, hv, 0.0, db);  // dB = s·dyᵀ·h
  }
}

}  // namespace loraga
