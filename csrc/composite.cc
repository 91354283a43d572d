// Default implementations of the composite ops, written only in terms of Backend primitives so that any backend
// gets them for free; a backend overrides one when a fused kernel pays (see cuda/).
#include <algorithm>
#include "backend.h"

namespace loraga {

void Backend::gradAccumulate(const View& g, const View& dy, const View& x, double scale) {
  // fp32 (or f64) accumulation: gemm computes in the dtype of g, converting bf16/f16 inputs on the way in.
  gemm(true, false, scale, dy, x, 1.0, g);
}

void Backend::svd(const View& m, const SvdOptions& opt, const View& u, const View& s, const View& vt) {
  if (opt.randomized) {
    randomizedSvd(m, opt, u, s, vt);
  } else {
    svdExact(m, u, s, vt);
  }
}

void Backend::svdBatched(const std::vector<SvdJob>& jobs, const SvdOptions& opt) {
  for (size_t i = 0; i < jobs.size(); ++i) {
    SvdOptions o = opt;
    o.k = jobs[i].u.cols;
    o.seed = opt.seed + i;
    svd(jobs[i].m, o, jobs[i].u, jobs[i].s, jobs[i].vt);
  }
}

// Halko, Martinsson & Tropp (2011), Alg. 4.4 + 5.1: range finder with re-orthonormalised power iterations,
// then an exact SVD of the small l×n projection. Same scheme as torch.svd_lowrank, so q = k + oversample.
void Backend::randomizedSvd(const View& m, const SvdOptions& opt, const View& u, const View& s, const View& vt) {
  const int64_t rows = m.rows, cols = m.cols, k = opt.k;
  const int64_t l = std::min<int64_t>(std::min(rows, cols), k + std::max<int64_t>(opt.oversample, 0));
  const DType ct = m.dtype == DType::F64 ? DType::F64 : DType::F32;
  BufferPtr mc;
  View mv = m;
  if (m.dtype != ct) {  // bf16/f16 storage: convert once, then every product runs in f32
    mc = alloc(ct, rows, cols);
    copy(m, mc->view);
    mv = mc->view;
  }
  BufferPtr omega = alloc(ct, cols, l), y = alloc(ct, rows, l), z = alloc(ct, cols, l);
  fillGaussian(omega->view, opt.seed);
  gemm(false, false, 1.0, mv, omega->view, 0.0, y->view);  // Y = M·Ω
  orthonormalize(y->view);
  for (int i = 0; i < opt.powerIters; ++i) {
    gemm(true, false, 1.0, mv, y->view, 0.0, z->view);  // Z = Mᵀ·Q
    orthonormalize(z->view);
    gemm(false, false, 1.0, mv, z->view, 0.0, y->view);  // Y = M·Z
    orthonormalize(y->view);
  }
  BufferPtr bsmall = alloc(ct, l, cols);
  gemm(true, false, 1.0, y->view, mv, 0.0, bsmall->view);  // B = Qᵀ·M  (l×n)
  BufferPtr ub = alloc(ct, l, k);
  svdExact(bsmall->view, ub->view, s, vt);
  gemm(false, false, 1.0, y->view, ub->view, 0.0, u);  // U = Q·U_B
}

void Backend::loraForward(const View& x, const View& w, const View& a, const View& b, double scale, const View& y,
                          const View& h) {
  const DType ct = x.dtype == DType::F64 && a.dtype == DType::F64 ? DType::F64 : DType::F32;
  BufferPtr hb;
  View hv = h;
  if (hv.empty()) {
    hb = alloc(ct, x.rows, a.rows);
    hv = hb->view;
  }
  gemm(false, true, 1.0, x, w, 0.0, y);       // y = x·Wᵀ
  gemm(false, true, 1.0, x, a, 0.0, hv);      // h = x·Aᵀ   (T×r)
  gemm(false, true, scale, hv, b, 1.0, y);    // y += s·h·Bᵀ
}

void Backend::loraBackward(const View& dy, const View& x, const View& w, const View& a, const View& b, double scale,
                           const View& h, const View& dx, const View& da, const View& db) {
  // Scratch in f64 only when everything is f64 (matching the JS side's computeDType), else f32.
  const bool all64 = dy.dtype == DType::F64 && x.dtype == DType::F64 && a.dtype == DType::F64 && b.dtype == DType::F64;
  const DType ct = all64 ? DType::F64 : DType::F32;
  BufferPtr gb = alloc(ct, dy.rows, b.cols);
  gemm(false, false, 1.0, dy, b, 0.0, gb->view);  // g = dy·B  (T×r)
  if (!dx.empty()) {
    gemm(false, false, 1.0, dy, w, 0.0, dx);          // dx = dy·W
    gemm(false, false, scale, gb->view, a, 1.0, dx);  // dx += s·g·A
  }
  if (!da.empty()) gemm(true, false, scale, gb->view, x, 0.0, da);  // dA = s·gᵀ·x
  if (!db.empty()) {
    BufferPtr hb;
    View hv = h;
    if (hv.empty()) {
      hb = alloc(ct, x.rows, a.rows);
      hv = hb->view;
      gemm(false, true, 1.0, x, a, 0.0, hv);
    }
    gemm(true, false, scale, dy, hv, 0.0, db);  // dB = s·dyᵀ·h
  }
}

}  // namespace loraga
