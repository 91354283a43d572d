// The SVD composites: exact vs randomized dispatch, the randomized range finder, and the default (sequential)
// batched SVD, written only in terms of Backend primitives so that every backend gets them.
#include <algorithm>
#include "../backend.h"

namespace loraga {

void Backend::svd(const View& m, const SvdOptions& opt, const View& u, const View& s, const View& vt) {
  switch (opt.method) {
    case SvdMethod::Randomized: return randomizedSvd(m, opt, u, s, vt);
    case SvdMethod::Krylov: return blockKrylovSvd(m, opt, u, s, vt);
    case SvdMethod::Exact: return svdExact(m, u, s, vt);
  }
}

void Backend::svdBatched(const std::vector<SvdJob>& jobs, const SvdOptions& opt) {
  for (const SvdJob& job : jobs) svdJob(job, opt);
}

View Backend::inComputeDType(const View& m, BufferPtr& keep) {
  const DType ct = computeDType(m.dtype);
  if (m.dtype == ct) return m;
  keep = alloc(ct, m.rows, m.cols);  // bf16/f16 storage: convert once, then every product runs in f32
  copy(m, keep->view);
  return keep->view;
}

void Backend::checkProduct(const View& product, const char* method) {
  // Entries near the dtype's limit overflow the range finders' products (an exact SVD rescales internally; these do
  // not): a clear error rather than a LAPACK argument error or Inf singular values.
  if (!allFinite(product))
    fail(ErrorCode::Value, std::string(method) + " svd: products of M overflowed " + dtypeName(product.dtype) +
                               " (M's entries are too large): scale M down, convert it to f64, or use the exact SVD");
}

void Backend::svdJob(const SvdJob& job, const SvdOptions& opt) {
  SvdOptions o = opt;
  o.k = job.u.cols;
  o.seed = job.seed;
  svd(job.m, o, job.u, job.s, job.vt);
}

// Halko, Martinsson & Tropp (2011), Alg. 4.4 + 5.1: range finder with re-orthonormalised power iterations,
// then an exact SVD of the small l×n projection. Same scheme (and so the same subspaces) as torch.svd_lowrank, with
// q = k + oversample; only the re-orthonormalisation differs (CholeskyQR, composite/cholesky_qr.cc).
void Backend::randomizedSvd(const View& m, const SvdOptions& opt, const View& u, const View& s, const View& vt) {
  const int64_t rows = m.rows, cols = m.cols, k = opt.k;
  const int64_t l = std::min<int64_t>(std::min(rows, cols), k + std::max<int64_t>(opt.oversample, 0));
  BufferPtr mc;
  const View mv = inComputeDType(m, mc);
  const DType ct = mv.dtype;
  BufferPtr omega = alloc(ct, cols, l), y = alloc(ct, rows, l), z = alloc(ct, cols, l);
  fillGaussian(omega->view, opt.seed);
  matmul(false, false, 1.0, mv, omega->view, 0.0, y->view);  // Y = M·Ω
  checkProduct(y->view, "randomized");
  // Re-orthonormalisation by CholeskyQR (GEMM-shaped work, Householder only when a block is ill-conditioned). The
  // power iterations need only a well-conditioned basis of each block's span, so one pass; the final Q, which B and
  // U are formed from, gets the second pass that makes it orthonormal to ε.
  const int last = opt.powerIters;
  orthonormalizeCholQr(y->view, last == 0 ? 2 : 1);
  for (int i = 0; i < opt.powerIters; ++i) {
    matmul(true, false, 1.0, mv, y->view, 0.0, z->view);  // Z = Mᵀ·Q
    orthonormalizeCholQr(z->view, 1);
    matmul(false, false, 1.0, mv, z->view, 0.0, y->view);  // Y = M·Z
    orthonormalizeCholQr(y->view, i + 1 == last ? 2 : 1);
  }
  BufferPtr bsmall = alloc(ct, l, cols);
  matmul(true, false, 1.0, y->view, mv, 0.0, bsmall->view);  // B = Qᵀ·M  (l×n)
  BufferPtr ub = alloc(ct, l, k);
  checkProduct(bsmall->view, "randomized");
  svdByGram(bsmall->view, ub->view, s, vt);
  matmul(false, false, 1.0, y->view, ub->view, 0.0, u);  // U = Q·U_B
}

}  // namespace loraga
