// OpenBLAS's thread count is process-wide. Code that runs its own threads, each calling BLAS single-threaded
// (svdBatched's module workers; matmul's and gram's splits, matmul.cc and cholesky_qr.cc), sets it to 1 meanwhile and
// restores it after: no other CPU op runs at the same time (every op holds the backend's lock, binding/call.cc).
#pragma once
#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

extern "C" {
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);
}

namespace loraga {

// Restores OpenBLAS's thread count however the scope ends.
struct BlasThreads {
  int saved;
  explicit BlasThreads(int n) : saved(openblas_get_num_threads()) { openblas_set_num_threads(n); }
  ~BlasThreads() { openblas_set_num_threads(saved); }
  BlasThreads(const BlasThreads&) = delete;
  BlasThreads& operator=(const BlasThreads&) = delete;
};

// How many threads our own splits (matmul, gram, the Gaussian fill) use on this thread; 0: OpenBLAS's count.
int splitWidth();
void setSplitWidth(int n);
// The threads work of our own may use here: splitWidth(), else OpenBLAS's count (1 inside svdBatched's workers).
inline int ownThreads() { return splitWidth() > 0 ? splitWidth() : openblas_get_num_threads(); }

// f(part, lo, hi) over [0, n) in at most `parts` contiguous pieces (part = 0, 1, …), bounds on multiples of `align`
// (as even as that allows), each on a thread of its own; this thread runs piece 0, and any no thread could be
// started for. f must not throw (BLAS calls and plain loops): an exception on a thread of its own would terminate.
template <class F>
void parallelParts(int64_t n, int parts, int64_t align, const F& f) {
  const int64_t step = std::max<int64_t>(align, (n / std::max(parts, 1) + align - 1) / align * align);
  std::vector<std::thread> pool;
  pool.reserve(size_t(parts));
  int part = 1;  // pieces from `part` on, which no thread could be started for, run on this one
  try {
    for (; part * step < n; ++part)
      pool.emplace_back([&f, part, lo = part * step, hi = std::min(n, (part + 1) * step)] { f(part, lo, hi); });
  } catch (...) {
  }
  f(0, 0, std::min(n, step));
  for (; part * step < n; ++part) f(part, part * step, std::min(n, (part + 1) * step));
  for (std::thread& t : pool) t.join();
}

// While alive, on this thread: OpenBLAS single-threaded, and skinny products still split over the cores OpenBLAS
// had. For the randomized and Krylov SVDs, whose time is skinny products of M plus small factorizations: OpenBLAS's
// idle threads spin (sched_yield) for a while after every threaded call, and the small calls between the products
// kept them spinning on the cores the split's threads needed (2 cores: the Krylov SVD of the init benchmark's
// modules took longer with 2 threads than with 1, 90 vs 81 ms).
class SplitScope {
 public:
  SplitScope() : width_(openblas_get_num_threads()), saved_(splitWidth()), one_(1) { setSplitWidth(width_); }
  ~SplitScope() { setSplitWidth(saved_); }
  SplitScope(const SplitScope&) = delete;
  SplitScope& operator=(const SplitScope&) = delete;

 private:
  int width_, saved_;
  BlasThreads one_;
};

}  // namespace loraga
