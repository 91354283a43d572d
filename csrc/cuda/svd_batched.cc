// svdBatched on the GPU, for inits that touch hundreds of modules: jobs go round-robin to a few streams (each with its
// own cuBLAS/cuSOLVER handles), so one module's latency-bound QRs and small SVD overlap with other modules' GEMMs. The
// host never waits mid-batch: cuSOLVER info words are logged on the device and checked once at the end.
#include "backend.h"

namespace loraga::cuda {

namespace {
constexpr size_t kLanes = 4;

struct Event {
  cudaEvent_t e = nullptr;
  Event() { check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreate"); }
  ~Event() { cudaEventDestroy(e); }
};
}  // namespace

void CudaBackend::ensureLanes(size_t n) {
  while (lanes_.size() < n) {
    Lane l{};
    check(cudaStreamCreateWithFlags(&l.stream, cudaStreamNonBlocking), "cudaStreamCreate");
    check(libs_.blas.create(&l.blas), "cublasCreate");
    check(libs_.blas.setStream(l.blas, l.stream), "cublasSetStream");
    check(libs_.solver.create(&l.solver), "cusolverDnCreate");
    check(libs_.solver.setStream(l.solver, l.stream), "cusolverDnSetStream");
    lanes_.push_back(l);
  }
}

void CudaBackend::useLane(size_t i) {
  stream_ = lanes_[i].stream;
  blas_ = lanes_[i].blas;
  solver_ = lanes_[i].solver;
}

void CudaBackend::svdBatched(const std::vector<SvdJob>& jobs, const SvdOptions& opt) {
  enter();
  if (jobs.size() < 2) return Backend::svdBatched(jobs, opt);
  const size_t lanes = std::min(kLanes, jobs.size());
  ensureLanes(lanes);
  // Info words: the randomized SVD does 2·powerIters + 1 QRs and one small SVD per job, the Krylov SVD up to 5 per
  // block and one small SVD; exact SVD one. (Past the cap a factorisation is checked at once, with a host sync.)
  const int64_t cap = int64_t(jobs.size()) * (5 * (int64_t(opt.powerIters) + 1) + 4);
  BufferPtr log = alloc(DType::F32, cap, 1);  // zeroed on lane 0
  Event ready;
  check(cudaEventRecord(ready.e, lanes_[0].stream), "cudaEventRecord");
  for (size_t l = 1; l < lanes; ++l) check(cudaStreamWaitEvent(lanes_[l].stream, ready.e, 0), "cudaStreamWaitEvent");
  infoLog_ = static_cast<int*>(log->view.data);
  infoCap_ = cap;
  infoCount_ = 0;
  std::vector<Event> done(lanes);
  auto join = [&] {  // lane 0 waits for every other lane, so synchronize() covers the whole batch
    useLane(0);
    infoLog_ = nullptr;
    for (size_t l = 1; l < lanes; ++l) {
      cudaEventRecord(done[l].e, lanes_[l].stream);
      cudaStreamWaitEvent(lanes_[0].stream, done[l].e, 0);
    }
  };
  try {
    for (size_t i = 0; i < jobs.size(); ++i) {
      useLane(i % lanes);
      svdJob(jobs[i], opt);
    }
  } catch (...) {
    join();
    throw;
  }
  const int64_t logged = infoCount_;
  join();
  std::vector<int> infos(size_t(std::max<int64_t>(logged, 1)));
  if (logged > 0) {
    check(cudaMemcpyAsync(infos.data(), log->view.data, size_t(logged) * sizeof(int), cudaMemcpyDeviceToHost,
                          lanes_[0].stream),
          "info log");
    check(cudaStreamSynchronize(lanes_[0].stream), "svdBatched");
  }
  for (int64_t i = 0; i < logged; ++i)
    if (infos[size_t(i)] != 0)
      fail(infos[size_t(i)] > 0 ? ErrorCode::Value : ErrorCode::Internal,
           "svdBatched: a cuSOLVER factorisation reported info " + std::to_string(infos[size_t(i)]) +
               " (SVD not converged or bad argument)");
}

}  // namespace loraga::cuda
