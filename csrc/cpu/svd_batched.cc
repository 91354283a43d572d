// svdBatched on the host, for inits that touch hundreds of modules: the jobs are shared out to one thread per core,
// each running its modules' SVDs with single-threaded BLAS. One module's products (e.g. 1024×1024 by 1024×33) are
// too small to keep several BLAS threads busy, and its QR and small SVD are sequential; whole modules side by side
// are not. OpenBLAS runs single-threaded for the batch (blas_threads.h).
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>
#include "backend.h"
#include "blas_threads.h"

namespace loraga {

void CpuBackend::svdBatched(const std::vector<SvdJob>& jobs, const SvdOptions& opt) {
  const size_t workers = std::min<size_t>(jobs.size(), std::max(1, openblas_get_num_threads()));
  if (workers < 2) return Backend::svdBatched(jobs, opt);
  BlasThreads one(1);
  std::atomic<size_t> next{0};
  std::exception_ptr first;
  std::mutex firstLock;
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < jobs.size();) {
      try {
        svdJob(jobs[i], opt);
      } catch (...) {
        std::lock_guard<std::mutex> g(firstLock);
        if (!first) first = std::current_exception();
        next = jobs.size();  // the batch has failed: start no more jobs
      }
    }
  };
  std::vector<std::thread> pool;
  try {
    for (size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  } catch (...) {  // no thread could be started: the jobs still run, on this one
  }
  work();
  for (std::thread& t : pool) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace loraga
