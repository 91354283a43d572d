// The one backend interface, read as the list of ops. Every op keeps one stem at every layer (ARCHITECTURE.md):
//   lib/ops/<op>.ts → csrc/binding/<op>.cc → Backend::<op> → csrc/cpu/<op>.cc | csrc/cuda/<op>.cc (+ <op>.cu)
// Primitives are pure virtual: cpu/ and cuda/ implement them side by side. Composites have default implementations
// in composite/<op>.cc, built only from primitives, which a backend overrides where fusion pays.
//
// Arguments arrive validated: the binding layer (binding/call.h) checks shapes, dtypes, lengths, devices and the
// BLAS int range once, before any backend runs, so backends do not check them again. Composites only ever call
// primitives with shapes they derived themselves.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include "core/error.h"
#include "core/optim_rules.h"
#include "core/view.h"

namespace loraga {

// Scratch or result memory owned by a backend (host heap or device memory).
class Buffer {
 public:
  virtual ~Buffer() = default;
  // Frees the memory now (Tensor.dispose() of a device tensor); the object lives on until its finalizer runs.
  virtual void release() {}
  View view;
};
using BufferPtr = std::unique_ptr<Buffer>;

// exact: LAPACK/cuSOLVER; randomized: Halko-Martinsson-Tropp range finder with power iterations; krylov: randomized
// block Krylov (Musco & Musco), the same products kept as one larger basis.
enum class SvdMethod : int { Exact = 0, Randomized = 1, Krylov = 2 };

struct SvdOptions {
  int64_t k = 0;                        // singular triplets wanted
  SvdMethod method = SvdMethod::Exact;  // see SvdMethod
  int64_t oversample = 8;               // extra columns of the random test matrix (block width k + oversample)
  int powerIters = 4;                   // applications of M·Mᵀ: re-orthonormalised iterations / Krylov blocks − 1
  uint64_t seed = 0;
};

// One matrix of a batched SVD: m (not modified) → u, s, vt with k = u.cols.
struct SvdJob {
  View m, u, s, vt;
  uint64_t seed = 0;  // this job's Gaussian draw (randomized)
};

struct BackendInfo {
  std::string name;
  bool available = false;
  std::string reason;  // why not available, or what was found
  std::string deviceName;
  std::string details;  // library versions, thread counts
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  virtual Device device() const = 0;
  virtual BackendInfo info() = 0;
  // Serialises work on this backend: async ops run on libuv's pool and must not interleave library calls.
  std::mutex& mutex() { return mutex_; }

  // ---- tensor: memory, copies, fills (cpu/tensor.cc, cuda/tensor.cc + tensor.cu) --------------------------------
  virtual BufferPtr alloc(DType dtype, int64_t rows, int64_t cols) = 0;
  // Memory handed to JS as a tensor: called without the backend lock, it must not depend on the state of an op in
  // flight (CUDA: allocated on the backend's main stream, not on whichever stream an op is using).
  virtual BufferPtr allocTensor(DType dtype, int64_t rows, int64_t cols) { return alloc(dtype, rows, cols); }
  // dst = src, converting dtype (same element count).
  virtual void copy(const View& src, const View& dst) = 0;
  // Fill with N(0, 1) from the counter-based generator in core/rng.h (the same values on every backend): element
  // (i, j) of `a` gets draw number first + i·stride + j of `seed`. So a [rows, w] panel of columns j0… of a seeded
  // [rows, cols] matrix is fillGaussianAt(panel, seed, j0, cols), and fillGaussian the whole matrix.
  virtual void fillGaussianAt(const View& a, uint64_t seed, uint64_t first, int64_t stride) = 0;
  void fillGaussian(const View& a, uint64_t seed) { fillGaussianAt(a, seed, 0, a.cols); }
  // True when every element is finite.
  virtual bool allFinite(const View& a) = 0;
  // Waits until all work queued by this backend is done and reports asynchronous failures (the binding calls it
  // at the end of every op, so a Promise resolves only when a GPU stream has finished). No-op on the CPU.
  virtual void synchronize() {}

  // ---- matmul (cpu/matmul.cc, cuda/matmul.cc) -----------------------------------------------------------------
  // c = alpha·op(a)·op(b) + beta·c. Any storage dtypes; computed in f64 when c is f64, else f32.
  virtual void matmul(bool transA, bool transB, double alpha, const View& a, const View& b, double beta,
                      const View& c) = 0;
  // f32 matmuls may use TF32 tensor cores (opt-in; ignored where there are none).
  virtual void setAllowTf32(bool) {}

  // ---- gradAccumulate (composite/grad_accumulate.cc) ---------------------------------------------------------
  // g += scale·dyᵀ·x, g in f32/f64, dy/x any dtype: the one-step gradient of a Linear layer.
  virtual void gradAccumulate(const View& g, const View& dy, const View& x, double scale);

  // ---- sketchUpdate (composite/sketch_update.cc) ---------------------------------------------------------------
  // One batch (x [T, in], dy [T, out]) into the single-pass sketches of G = Σ dyᵀ·x (lib/init/sketch.ts): y += G·Ω,
  // e += G·Θ, w += Υᵀ·G, z += Φᵀ·G·Ψ, each without forming G, with the test matrices drawn from seeds as
  // Tensor.randn draws them (Ω [in, k] seed·8 + 1, Υ [out, k] + 2, Φ [out, s] + 3, Ψ [in, s] + 4, Θ [in, t] + 5) a
  // panel of columns at a time, so the op's scratch is O(T·(k + s) + panel) and freed when it returns. w and z may
  // be empty (a multi-pass sketch keeps only y and e). y, e, w, z share one dtype (f32/f64); x, dy any dtype.
  virtual void sketchUpdate(const View& x, const View& dy, uint64_t seed, const View& y, const View& e, const View& w,
                            const View& z);

  // ---- svd (composite/svd.cc; exact: cpu/svd.cc, cuda/svd.cc; batched: cpu/ and cuda/svd_batched.cc) -------------
  // Truncated SVD m ≈ u·diag(s)·vt with k = u.cols triplets, s descending; by `opt.method`.
  virtual void svd(const View& m, const SvdOptions& opt, const View& u, const View& s, const View& vt);
  // Thin SVD truncated to u.cols triplets. m is not modified.
  virtual void svdExact(const View& m, const View& u, const View& s, const View& vt) = 0;
  virtual void randomizedSvd(const View& m, const SvdOptions& opt, const View& u, const View& s, const View& vt);
  virtual void blockKrylovSvd(const View& m, const SvdOptions& opt, const View& u, const View& s, const View& vt);
  // Many SVDs at once (an init touches hundreds of modules); each job with its own seed and k = its u.cols.
  // Default: one after another. The CPU runs a thread per core, CUDA overlaps them on several streams.
  virtual void svdBatched(const std::vector<SvdJob>& jobs, const SvdOptions& opt);
  // One job of a batch: svd with opt's method, the job's k and seed (what every svdBatched runs per job).
  void svdJob(const SvdJob& job, const SvdOptions& opt);

  // ---- orthonormalize (cpu/orthonormalize.cc, cuda/orthonormalize.cc) ------------------------------------------
  // Replace a (m×n, m ≥ n) by an orthonormal basis of its columns (thin QR's Q).
  virtual void orthonormalize(const View& a) = 0;

  // ---- cholesky_qr (composite/cholesky_qr.cc; primitives: cpu/cholesky_qr.cc, cuda/cholesky_qr.cc) -------------
  // g = alpha·aᵀ·a (n×n) for a (m×n), or with ofRows g = alpha·a·aᵀ (m×m, the Gram of a's rows); only g's upper
  // triangle (row-major) is written and read later (SYRK's half).
  virtual void gram(const View& a, const View& g, bool ofRows, double alpha) = 0;
  // Upper Cholesky factor in place: g = Rᵀ·R with R in g's upper triangle. Returns false when g is not (numerically)
  // positive definite, for maxCond > 0 when max rᵢᵢ / min rᵢᵢ exceeds maxCond, or for minDiag > 0 when some rᵢᵢ is
  // below minDiag (then g is unspecified). maxCond < 0 asks for no answer: a GPU then neither waits for nor reads the
  // result (true, minDiag unchecked), the CPU still checks positive definiteness.
  virtual bool cholesky(const View& g, double maxCond, double minDiag) = 0;
  // a ← a·R⁻¹ for R upper triangular (n×n, read from r's upper triangle), a m×n: the triangular solve of CholeskyQR.
  virtual void triangularSolveRight(const View& r, const View& a) = 0;
  // A basis of a's columns (m×n, m ≥ n, f32/f64) made of GEMM-shaped work: CholeskyQR (passes = 1: span only, the
  // columns are orthonormal to about κ(a)²·ε) or CholeskyQR2 (passes = 2: orthonormal to ε), falling back to the
  // Householder orthonormalize when the Gram matrix is too ill-conditioned or, for minDiag > 0, when a column's
  // distance from the span of the ones before it is below minDiag (an absolute test, for a block that had unit
  // columns before it was projected). Returns false when it fell back.
  virtual bool orthonormalizeCholQr(const View& a, int passes, double minDiag = 0);

  // ---- symmetric_eigen (cpu/symmetric_eigen.cc, cuda/symmetric_eigen.cc) ----------------------------------------
  // All eigenpairs of a symmetric n×n c (f64; its upper triangle, row-major, is read), by divide and conquer
  // (LAPACK/cuSOLVER syevd): afterwards row i of c is the unit eigenvector of w[i], ascending. w is host memory (n
  // doubles): the caller decides from the eigenvalues, so a GPU waits here. Fails with ErrorCode::Value when the
  // solver does not converge.
  virtual void symmetricEigen(const View& c, double* w) = 0;
  // The top k = ub.cols triplets of a short-wide b (l×n, l ≤ n): the Rayleigh–Ritz step of the randomized and
  // Krylov SVDs, from the eigendecomposition of b·bᵀ in f64 (composite/svd_gram.cc); svdExact when b is too close to
  // rank-deficient for that to be accurate.
  void svdByGram(const View& b, const View& ub, const View& s, const View& vt);

  // ---- solve (cpu/solve.cc, cuda/solve.cc) --------------------------------------------------------------------
  // b ← a⁻¹·b for square a by LU with partial pivoting. a is read only; b is written only on success (a singular a
  // fails with ErrorCode::Value and leaves b as it was).
  virtual void solve(const View& a, const View& b) = 0;

  // ---- lora (composite/lora.cc; cuda/lora.cc + lora.cu fuse the decode-size forward) -------------------------
  // y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ; h (T×r, optional) receives x·Aᵀ for the backward pass.
  virtual void loraForward(const View& x, const View& w, const View& a, const View& b, double scale, const View& y,
                           const View& h);
  // dx = dy·W + s·(dy·B)·A, dA = s·(dy·B)ᵀ·x, dB = s·dyᵀ·h (h = x·Aᵀ, recomputed when empty). Empty outputs are
  // skipped.
  virtual void loraBackward(const View& dy, const View& x, const View& w, const View& a, const View& b, double scale,
                            const View& h, const View& dx, const View& da, const View& db);

  // ---- optim (cpu/optim.cc, cuda/optim.cc + optim.cu; the rules in core/optim_rules.h) ------------------------
  // p, m, v (and buf) are f32 or all f64, same element count; g any dtype (widened). adamwStep reads p and writes
  // the new value to out, which is p itself (in place) or a tensor that does not overlap it.
  virtual void adamwStep(const View& p, const View& g, const View& m, const View& v, const View& out,
                         const AdamWParams& hp) = 0;
  // buf empty ⇒ no momentum.
  virtual void sgdStep(const View& p, const View& g, const View& buf, const SgdParams& hp) = 0;

 protected:
  // What the randomized and Krylov SVDs share (composite/svd.cc): M in its compute dtype (m itself, or a converted
  // copy kept alive by `keep`), and the check that a product of M did not overflow it.
  View inComputeDType(const View& m, BufferPtr& keep);
  void checkProduct(const View& product, const char* method);

 private:
  std::mutex mutex_;
};

// ---- backends (backends.cc) --------------------------------------------------------------------------------------
Backend& cpuBackend();
// The CUDA backend, loaded on first use; nullptr (with `why`) when no usable GPU/driver/libraries are found.
Backend* cudaBackend(std::string* why);
// The backend serving a device; the typed Backend error (with the reason) when it is unavailable.
Backend& backendFor(Device d);
std::vector<BackendInfo> listBackends();

}  // namespace loraga
