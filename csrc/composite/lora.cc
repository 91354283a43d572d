// The LoRA layer ops as composites: three matmuls forward, up to five backward, on whatever backend runs them.
// CUDA overrides loraForward for decode sizes (cuda/lora.cc); everything else uses these.
#include "../backend.h"

namespace loraga {

namespace {
bool isHalf(DType t) { return t == DType::BF16 || t == DType::F16; }
}  // namespace

void Backend::loraForward(const View& x, const View& w, const View& a, const View& b, double scale, const View& y,
                          const View& h) {
  const DType ct = x.dtype == DType::F64 && a.dtype == DType::F64 ? DType::F64 : DType::F32;
  // A half-precision y or h is accumulated in f32 and rounded once at the end (README: "rounded to nearest-even
  // once on the way out"): y's second product must not read an h already rounded to bf16, nor add into a y that
  // was.
  BufferPtr hb, yb;
  const View hv = h.empty() || isHalf(h.dtype) ? (hb = alloc(ct, x.rows, a.rows))->view : h;
  const View yv = isHalf(y.dtype) ? (yb = alloc(DType::F32, y.rows, y.cols))->view : y;
  matmul(false, true, 1.0, x, w, 0.0, yv);     // y = x·Wᵀ
  matmul(false, true, 1.0, x, a, 0.0, hv);     // h = x·Aᵀ   (T×r)
  matmul(false, true, scale, hv, b, 1.0, yv);  // y += s·h·Bᵀ
  if (yb) copy(yv, y);
  if (hb && !h.empty()) copy(hv, h);
}

void Backend::loraBackward(const View& dy, const View& x, const View& w, const View& a, const View& b, double scale,
                           const View& h, const View& dx, const View& da, const View& db) {
  // Scratch in f64 only when everything is f64 (matching the JS side's computeDType), else f32.
  const bool all64 = dy.dtype == DType::F64 && x.dtype == DType::F64 && a.dtype == DType::F64 && b.dtype == DType::F64;
  const DType ct = all64 ? DType::F64 : DType::F32;
  BufferPtr gb = alloc(ct, dy.rows, b.cols);
  matmul(false, false, 1.0, dy, b, 0.0, gb->view);  // g = dy·B  (T×r)
  if (!dx.empty()) {  // a half-precision dx: both products in f32, rounded once (as in loraForward)
    BufferPtr xb;
    const View dxv = isHalf(dx.dtype) ? (xb = alloc(DType::F32, dx.rows, dx.cols))->view : dx;
    matmul(false, false, 1.0, dy, w, 0.0, dxv);          // dx = dy·W
    matmul(false, false, scale, gb->view, a, 1.0, dxv);  // dx += s·g·A
    if (xb) copy(dxv, dx);
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
