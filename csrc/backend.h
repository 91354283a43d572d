// The one backend interface. Callers (the N-API binding) only ever talk to `Backend`; cpu/ and cuda/ implement it
// side by side. Primitives are pure virtual; the LoRA ops and randomized SVD have default implementations composed
// from primitives (composite.cc) that a backend overrides where fusion pays.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include "core/error.h"
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

struct SvdOptions {
  int64_t k = 0;            // singular triplets wanted
  bool randomized = false;  // Halko-Martinsson-Tropp range finder instead of a full SVD
  int64_t oversample = 8;   // extra columns of the random test matrix (randomized only)
  int powerIters = 4;       // subspace (power) iterations, each re-orthonormalised (randomized only)
  uint64_t seed = 0;
};

// One matrix of a batched SVD: m (not modified) → u, s, vt with k = u.cols.
struct SvdJob {
  View m, u, s, vt;
};

// Hyper-parameters of one fused AdamW step (see Backend::adamwStep).
struct AdamWParams { double lr; double beta1; double beta2; double eps; double weightDecay; int64_t step; };

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

  // ---- primitives -------------------------------------------------------------------------------------------
  virtual BufferPtr alloc(DType dtype, int64_t rows, int64_t cols) = 0;
  // Memory handed to JS as a tensor: called without the backend lock, it must not depend on the state of an op in
  // flight (CUDA: allocated on the backend's main stream, not on whichever stream an op is using).
  virtual BufferPtr allocTensor(DType dtype, int64_t rows, int64_t cols) { return alloc(dtype, rows, cols); }
  // dst = src, converting dtype (same shape).
  virtual void copy(const View& src, const View& dst) = 0;
  // c = alpha·op(a)·op(b) + beta·c. Any storage dtypes; computed in f64 when c is f64, else f32.
  virtual void gemm(bool transA, bool transB, double alpha, const View& a, const View& b, double beta,
                    const View& c) = 0;
  // Thin SVD truncated to u.cols triplets: m = u·diag(s)·vt, s descending. m is not modified.
  virtual void svdExact(const View& m, const View& u, const View& s, const View& vt) = 0;
  // Replace a (m×n, m ≥ n) by an orthonormal basis of its columns (thin QR's Q).
  virtual void orthonormalize(const View& a) = 0;
  // Fill with N(0, 1) from the counter-based generator in core/rng.h.
  virtual void fillGaussian(const View& a, uint64_t seed) = 0;
  // True when every element is finite.
  virtual bool allFinite(const View& a) = 0;
  // Fused AdamW (decoupled weight decay, bias correction with `step` ≥ 1): p, m, v are f32 (or all f64), same shape;
  // g any dtype (widened). p ← p − lr·(m̂/(√v̂ + eps) + wd·p).
  virtual void adamwStep(const View& p, const View& g, const View& m, const View& v, const AdamWParams& hp) = 0;
  // SGD with optional momentum (buf empty ⇒ none) and weight decay: buf ← μ·buf + (g + wd·p); p ← p − lr·buf.
  virtual void sgdStep(const View& p, const View& g, const View& buf, double lr, double momentum, double weightDecay) = 0;
  // Solve a·x = b for square a (n×n) by LU with partial pivoting (LAPACK gesv); b (n×m) ← x; a is overwritten.
  virtual void solve(const View& a, const View& b) = 0;

  // Waits until all work queued by this backend is done and reports asynchronous failures (the binding calls it
  // at the end of every op, so a Promise resolves only when a GPU stream has finished). No-op on the CPU.
  virtual void synchronize() {}
  // GEMMs on f32 inputs may use TF32 tensor cores (opt-in; ignored where there are none).
  virtual void setAllowTf32(bool) {}

  // ---- composites (defaults in composite.cc) ---------------------------------------------------------------
  // g += scale·dyᵀ·x, g in f32/f64, dy/x any dtype: the one-step gradient of a Linear layer.
  virtual void gradAccumulate(const View& g, const View& dy, const View& x, double scale);
  virtual void svd(const View& m, const SvdOptions& opt, const View& u, const View& s, const View& vt);
  virtual void randomizedSvd(const View& m, const SvdOptions& opt, const View& u, const View& s, const View& vt);
  // Many SVDs at once (an init touches hundreds of modules); job i uses seed opt.seed + i and k = its u.cols.
  // Default: one after another. CUDA overlaps them on several streams.
  virtual void svdBatched(const std::vector<SvdJob>& jobs, const SvdOptions& opt);
  // y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ; h (T×r, optional) receives x·Aᵀ for the backward pass.
  virtual void loraForward(const View& x, const View& w, const View& a, const View& b, double scale, const View& y,
                           const View& h);
  // dx = dy·W + s·(dy·B)·A, dA = s·(dy·B)ᵀ·x, dB = s·dyᵀ·h (h = x·Aᵀ, recomputed when empty). Empty outputs are skipped.
  virtual void loraBackward(const View& dy, const View& x, const View& w, const View& a, const View& b,
                            double scale, const View& h, const View& dx, const View& da, const View& db);

 private:
  std::mutex mutex_;
};

Backend& cpuBackend();
// The CUDA backend, loaded on first use; nullptr (with `why`) when no usable GPU/driver/libraries are found.
Backend* cudaBackend(std::string* why);
Backend& backendFor(Device d);
std::vector<BackendInfo> listBackends();

}  // namespace loraga
