// matmul through OpenBLAS (cblas_?gemm). bf16/f16 operands are widened into f32 scratch first (CPU BLAS has no
// half-precision GEMM); a half-precision output accumulates in f32 and is rounded once. Skinny products are split
// across threads here (splitSkinny, below), the rest threaded by OpenBLAS.
#include <cblas.h>
#include <algorithm>
#include <vector>
#include "backend.h"
#include "blas_threads.h"

namespace loraga {

namespace {
// Returns v itself when it already has dtype `ct`, else a converted copy kept alive in `hold`.
View asCompute(CpuBackend& be, const View& v, DType ct, BufferPtr& hold) {
  if (v.dtype == ct) return v;
  hold = be.alloc(ct, v.rows, v.cols);
  be.copy(v, hold->view);
  return hold->view;
}

// One GEMM call on row-major operands: C[m×n] = α·op(A)·op(B) + β·C.
struct Gemm {
  bool ta, tb, f64;
  int64_t m, n, k, lda, ldb, ldc;
  double alpha, beta;
  const void *a, *b;
  void* c;

  void run() const {
    const auto tA = ta ? CblasTrans : CblasNoTrans, tB = tb ? CblasTrans : CblasNoTrans;
    if (f64)
      cblas_dgemm(CblasRowMajor, tA, tB, int(m), int(n), int(k), alpha, static_cast<const double*>(a), int(lda),
                  static_cast<const double*>(b), int(ldb), beta, static_cast<double*>(c), int(ldc));
    else
      cblas_sgemm(CblasRowMajor, tA, tB, int(m), int(n), int(k), float(alpha), static_cast<const float*>(a), int(lda),
                  static_cast<const float*>(b), int(ldb), float(beta), static_cast<float*>(c), int(ldc));
  }
  enum class Along { Rows, Cols, Depth };
  // Rows [lo, hi) of C and op(A); columns [lo, hi) of C and op(B); or the depth indices [lo, hi) of op(A)'s columns
  // and op(B)'s rows, into `out` (ld n) with β = 0 except for the first piece, which accumulates into C itself.
  Gemm part(Along along, int64_t lo, int64_t hi, void* out = nullptr) const {
    Gemm g = *this;
    const size_t e = f64 ? 8 : 4;
    const auto at = [&](const void* p, int64_t off) { return static_cast<const char*>(p) + off * int64_t(e); };
    switch (along) {
      case Along::Rows:
        g.m = hi - lo;
        g.a = at(a, ta ? lo : lo * lda);
        g.c = const_cast<char*>(at(c, lo * ldc));
        break;
      case Along::Cols:
        g.n = hi - lo;
        g.b = at(b, tb ? lo * ldb : lo);
        g.c = const_cast<char*>(at(c, lo));
        break;
      case Along::Depth:
        g.k = hi - lo;
        g.a = at(a, ta ? lo * lda : lo);
        g.b = at(b, tb ? lo : lo * ldb);
        if (out) {
          g.c = out;
          g.ldc = n;
          g.beta = 0.0;
        }
        break;
    }
    return g;
  }
};

thread_local int tlSplitWidth = 0;

// A skinny product (one side of C at most kSkinny, the other long: a tall matrix by a block of vectors, as the
// randomized and Krylov SVDs take them), or one with a short depth (a rank-r update) keeps OpenBLAS's own threads
// poorly busy: on 2 cores G·Qᵀ of 2816×1024 by 1024×20 took as long with 2 threads as with 1. Split C along its
// long side into one part per thread, each a single-threaded GEMM on its own thread (≈ 1.9× faster there;
// `npm run bench:init-peft` times the init it serves). A small C over a long depth (Qᵀ·Y, the projections of the
// Krylov SVD) is split along the depth instead: each thread's share into a C of its own, summed after.
constexpr int64_t kSkinny = 128;
constexpr double kSplitMinFlops = double(1 << 24);  // below this a thread's start costs more than it saves

template <class T>
void addInto(T* c, int64_t ldc, const T* p, int64_t m, int64_t n) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] += p[i * n + j];
}

bool splitSkinny(const Gemm& g) {
  const int threads = ownThreads();
  if (threads < 2 || double(g.m) * double(g.n) * double(g.k) < kSplitMinFlops) return false;
  const bool rows = g.m >= g.n;
  const int64_t along = rows ? g.m : g.n, across = rows ? g.n : g.m;
  if ((across <= kSkinny || g.k <= kSkinny) && along >= 64 * threads) {
    BlasThreads one(1);
    // Parts on 16-element boundaries: whole GEMM kernel tiles.
    const auto how = rows ? Gemm::Along::Rows : Gemm::Along::Cols;
    parallelParts(along, threads, 16, [&g, how](int, int64_t lo, int64_t hi) { g.part(how, lo, hi).run(); });
    return true;
  }
  if (g.m > kSkinny || g.n > kSkinny || g.k < 256 * threads) return false;
  BlasThreads one(1);
  const size_t e = g.f64 ? 8 : 4, cells = size_t(g.m * g.n);
  std::vector<char> partial(size_t(threads - 1) * cells * e);  // pieces 1… (zero: one that did not run adds nothing)
  parallelParts(g.k, threads, 16, [&](int part, int64_t lo, int64_t hi) {
    g.part(Gemm::Along::Depth, lo, hi, part == 0 ? nullptr : &partial[size_t(part - 1) * cells * e]).run();
  });
  for (int t = 1; t < threads; ++t) {
    const char* p = &partial[size_t(t - 1) * cells * e];
    if (g.f64)
      addInto(static_cast<double*>(g.c), g.ldc, reinterpret_cast<const double*>(p), g.m, g.n);
    else
      addInto(static_cast<float*>(g.c), g.ldc, reinterpret_cast<const float*>(p), g.m, g.n);
  }
  return true;
}

int64_t ld(const View& v) { return std::max<int64_t>(v.cols, 1); }
}  // namespace

int splitWidth() { return tlSplitWidth; }
void setSplitWidth(int n) { tlSplitWidth = n; }

void CpuBackend::matmul(bool ta, bool tb, double alpha, const View& a, const View& b, double beta, const View& c) {
  const int64_t m = ta ? a.cols : a.rows, k = ta ? a.rows : a.cols, n = tb ? b.rows : b.cols;
  const DType ct = computeDType(c.dtype);
  BufferPtr ha, hb, hc;
  View av = asCompute(*this, a, ct, ha), bv = asCompute(*this, b, ct, hb);
  View cv = c;
  if (c.dtype != ct) {  // half-precision output: accumulate in f32, round once at the end
    hc = alloc(ct, c.rows, c.cols);
    if (beta != 0.0) copy(c, hc->view);
    cv = hc->view;
  }
  if (m > 0 && n > 0) {
    const Gemm g{ta, tb, ct == DType::F64, m, n, k, ld(av), ld(bv), ld(cv), alpha, beta, av.data, bv.data, cv.data};
    if (!splitSkinny(g)) g.run();
  }
  if (hc) copy(cv, c);
}

}  // namespace loraga
