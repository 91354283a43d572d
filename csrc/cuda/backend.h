// CUDA backend: one device, one stream, one cuBLAS and one cuSOLVER handle bound to that stream (svdBatched adds
// lanes). Every op enqueues on the stream; the binding calls synchronize() at the end of each op, on the worker
// thread for async ops. One file per op: cuda/<op>.cc, with its kernels in cuda/<op>.cu (launchers: kernels.h).
#pragma once
#include "../backend.h"
#include "libs.h"

namespace loraga::cuda {

// Maps a failed runtime/library status to a typed error (allocation failures → OutOfMemory).
void check(cudaError_t e, const char* what);
void check(cublasStatus_t s, const char* what);
void check(cusolverStatus_t s, const char* what);

class CudaBackend final : public Backend {
 public:
  // Finds driver, device and libraries; returns nullptr with a precise reason when any is missing.
  static CudaBackend* create(std::string* why);

  const char* name() const override { return "cuda"; }
  Device device() const override { return Device::Cuda; }
  BackendInfo info() override;
  void synchronize() override;
  void setAllowTf32(bool on) override { tf32_ = on; }

  BufferPtr alloc(DType dtype, int64_t rows, int64_t cols) override;        // tensor.cc: on the current stream
  BufferPtr allocTensor(DType dtype, int64_t rows, int64_t cols) override;  // tensor.cc: on the main stream
  void copy(const View& src, const View& dst) override;                     // tensor.cc: either side may be host
  void fillGaussianAt(const View& a, uint64_t seed, uint64_t first, int64_t stride) override;  // tensor.cc
  bool allFinite(const View& a) override;                                                      // tensor.cc
  void matmul(bool ta, bool tb, double alpha, const View& a, const View& b, double beta,
              const View& c) override;                                                  // matmul.cc
  void svdExact(const View& m, const View& u, const View& s, const View& vt) override;  // svd.cc
  void svdBatched(const std::vector<SvdJob>& jobs, const SvdOptions& opt) override;     // svd_batched.cc
  void orthonormalize(const View& a) override;                                          // orthonormalize.cc
  void solve(const View& a, const View& b) override;                                    // solve.cc
  void symmetricEigen(const View& c, double* w) override;                               // symmetric_eigen.cc
  void gram(const View& a, const View& g, bool ofRows, double alpha) override;          // cholesky_qr.cc
  bool cholesky(const View& g, double maxCond, double minDiag) override;                // cholesky_qr.cc
  void triangularSolveRight(const View& r, const View& a) override;                     // cholesky_qr.cc
  void loraForward(const View& x, const View& w, const View& a, const View& b, double scale, const View& y,
                   const View& h) override;  // lora.cc
  void adamwStep(const View& p, const View& g, const View& m, const View& v, const View& out,
                 const AdamWParams& hp) override;                                             // optim.cc
  void sgdStep(const View& p, const View& g, const View& buf, const SgdParams& hp) override;  // optim.cc

  // Helpers shared by the .cc files of this backend.
  cudaStream_t stream() const { return stream_; }
  int deviceIndex() const { return device_; }
  const Libs& libs() const { return libs_; }
  cublasHandle_t blas() const { return blas_; }
  cusolverDnHandle_t solver() const { return solver_; }
  void enter();  // binds this thread to our device (libuv workers start unbound)
  View asDtype(const View& v, DType t, BufferPtr* hold);  // v itself, or a converted device copy held in *hold
  // dst(rows×cols, row-major) = src(cols×rows, row-major)ᵀ, f32/f64 only (cublas geam; tensor.cc).
  void transpose(const View& src, const View& dst);
  // A cuSOLVER devInfo: synchronises and returns it, or, inside svdBatched, logs it for one check at the end
  // (returning 0) so the host never waits on a single stream mid-batch (backend.cc).
  int readInfo(const int* dInfo);

 private:
  // A stream with its own cuBLAS and cuSOLVER handles. Lane 0 is the backend's stream; svdBatched adds more and
  // points stream_/blas_/solver_ at one lane at a time.
  struct Lane {
    cudaStream_t stream;
    cublasHandle_t blas;
    cusolverDnHandle_t solver;
  };
  void ensureLanes(size_t n);
  void useLane(size_t i);

  CudaBackend() = default;
  std::vector<Lane> lanes_;
  cudaStream_t mainStream_ = nullptr;  // lanes_[0].stream, readable without the lock
  int* infoLog_ = nullptr;
  int64_t infoCap_ = 0, infoCount_ = 0;
  Libs libs_;
  int device_ = 0;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  cusolverDnHandle_t solver_ = nullptr;
  bool tf32_ = false;
  std::string deviceName_, details_;
};

// Device memory from the stream-ordered allocator: freed on the stream, so scratch can be let go of right after
// the kernels that use it are queued.
class DeviceBuffer final : public Buffer {
 public:
  DeviceBuffer(CudaBackend& be, cudaStream_t stream, DType dtype, int64_t rows, int64_t cols);
  ~DeviceBuffer() override { release(); }
  void release() override;

 private:
  cudaStream_t stream_;
  int device_;
};

}  // namespace loraga::cuda
