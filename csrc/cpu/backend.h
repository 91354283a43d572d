// CPU backend: OpenBLAS for matmul (multi-threaded), LAPACK (from OpenBLAS) for SVD, QR and LU. One file per op.
#pragma once
#include "../backend.h"

namespace loraga {

class CpuBackend final : public Backend {
 public:
  const char* name() const override { return "cpu"; }
  Device device() const override { return Device::Host; }
  BackendInfo info() override;                                                                 // backend.cc
  BufferPtr alloc(DType dtype, int64_t rows, int64_t cols) override;                           // backend.cc
  void copy(const View& src, const View& dst) override;                                        // tensor.cc
  void fillGaussianAt(const View& a, uint64_t seed, uint64_t first, int64_t stride) override;  // tensor.cc
  bool allFinite(const View& a) override;                                                      // tensor.cc
  void matmul(bool ta, bool tb, double alpha, const View& a, const View& b, double beta,
              const View& c) override;                                                                    // matmul.cc
  void svd(const View& m, const SvdOptions& opt, const View& u, const View& s, const View& vt) override;  // svd.cc
  void svdExact(const View& m, const View& u, const View& s, const View& vt) override;                    // svd.cc
  void orthonormalize(const View& a) override;                                       // orthonormalize.cc
  void solve(const View& a, const View& b) override;                                 // solve.cc
  void symmetricEigen(const View& c, double* w) override;                            // symmetric_eigen.cc
  void svdBatched(const std::vector<SvdJob>& jobs, const SvdOptions& opt) override;  // svd_batched.cc
  void gram(const View& a, const View& g, bool ofRows, double alpha) override;       // cholesky_qr.cc
  bool cholesky(const View& g, double maxCond, double minDiag) override;             // cholesky_qr.cc
  void triangularSolveRight(const View& r, const View& a) override;                  // cholesky_qr.cc
  void adamwStep(const View& p, const View& g, const View& m, const View& v, const View& out,
                 const AdamWParams& hp) override;                                             // optim.cc
  void sgdStep(const View& p, const View& g, const View& buf, const SgdParams& hp) override;  // optim.cc
};

// Host memory of `bytes`, or null: from `mapFrom` bytes its own mapping with transparent huge pages asked for (first
// touch faults once per 2 MiB, not per 4 KiB; zero-filled), below that calloc (`zeroed`) or malloc. hostFree needs
// the same size and mapFrom. For HostBuffer (scratch, from 4 MiB) and async ops' private copies (binding/hold.cc).
void* hostAlloc(size_t bytes, bool zeroed, size_t mapFrom);
void hostFree(void* p, size_t bytes, size_t mapFrom);
constexpr size_t kMapScratchFrom = size_t(4) << 20;

// Host scratch: calloc'd so fresh buffers are zero; allocation failure is a typed OOM error, never a crash.
class HostBuffer final : public Buffer {
 public:
  HostBuffer(DType dtype, int64_t rows, int64_t cols);
  ~HostBuffer() override;
};

}  // namespace loraga
