// svd(M, U, S, Vt, method, oversample, powerIters, seed, async) → Backend::svd;
// svdBatched([M…], [U…], [S…], [Vt…], method, oversample, powerIters, seed | [seed…], async) → Backend::svdBatched
// (job i draws with seed + i, or with its own seed from the list).
#include <algorithm>
#include <climits>
#include "call.h"
#include "ops.h"

namespace loraga::binding {

namespace {
SvdOptions svdOptions(Call& call, size_t first, bool withSeed = true) {
  SvdOptions opt;
  opt.method = SvdMethod(call.integerOr(first, "method", 0, 2, 0));  // SvdMethod: 0 exact, 1 randomized, 2 krylov
  opt.oversample = call.integerOr(first + 1, "oversample", 0, INT_MAX, 8);
  opt.powerIters = int(call.integerOr(first + 2, "powerIters", 0, 100, 4));
  if (withSeed) opt.seed = uint64_t(call.integerOr(first + 3, "seed", 0, kMaxSafeInteger, 0));
  return opt;
}

// U [m, k], S k elements, Vt [k, n] for M [m, n], 1 <= k <= min(m, n).
void svdShapes(Call& call, const View& m, const View& u, const View& s, const View& vt) {
  const int64_t k = u.cols, p = std::min(m.rows, m.cols);
  if (k < 1 || k > p)
    call.fail(ErrorCode::Shape, "k = " + std::to_string(k) + " must be in [1, min(m, n) = " + std::to_string(p) +
                                    "] for M " + m.shapeStr());
  call.shape(u, "U", m.rows, k);
  if (s.numel() != k) call.fail(ErrorCode::Shape, "S " + s.shapeStr() + " must hold k = " + std::to_string(k));
  call.shape(vt, "Vt", k, m.cols);
  call.blasDims({m, u, s, vt});
}
}  // namespace

Napi::Value Svd(const Napi::CallbackInfo& info) {
  Call call(info, "svd", 8);
  const View m = call.tensor(0, "M"), u = call.tensor(1, "U", Access::Write), s = call.tensor(2, "S", Access::Write),
             vt = call.tensor(3, "Vt", Access::Write);
  svdShapes(call, m, u, s, vt);
  SvdOptions opt = svdOptions(call, 4);
  opt.k = u.cols;
  return call.run([=](Backend& be) {
    if (!be.allFinite(m)) fail(ErrorCode::Value, "svd: M holds NaN or Inf");
    be.svd(m, opt, u, s, vt);
  });
}

Napi::Value SvdBatched(const Napi::CallbackInfo& info) {
  Call call(info, "svdBatched", 8);
  const std::vector<View> ms = call.tensorList(0, "M"), us = call.tensorList(1, "U", Access::Write),
                          ss = call.tensorList(2, "S", Access::Write), vts = call.tensorList(3, "Vt", Access::Write);
  if (us.size() != ms.size() || ss.size() != ms.size() || vts.size() != ms.size())
    call.fail(ErrorCode::Shape, "M, U, S and Vt lists differ in length");
  std::vector<SvdJob> jobs(ms.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    jobs[i] = SvdJob{ms[i], us[i], ss[i], vts[i]};
    svdShapes(call, ms[i], us[i], ss[i], vts[i]);
  }
  const bool perJob = info.Length() > 7 && info[7].IsArray();
  const SvdOptions opt = svdOptions(call, 4, !perJob);
  if (perJob) {
    const std::vector<int64_t> seeds = call.integerList(7, "seeds", 0, kMaxSafeInteger);
    if (seeds.size() != jobs.size()) call.fail(ErrorCode::Shape, "seeds and M lists differ in length");
    for (size_t i = 0; i < jobs.size(); ++i) jobs[i].seed = uint64_t(seeds[i]);
  } else {
    for (size_t i = 0; i < jobs.size(); ++i) jobs[i].seed = opt.seed + i;
  }
  // An async op's host outputs are already all or nothing: private copies, written back only when it succeeds.
  const bool outputsPrivate = call.isAsync() && call.device() == Device::Host;
  return call.run([=](Backend& be) {
    for (size_t i = 0; i < jobs.size(); ++i)
      if (!be.allFinite(jobs[i].m)) fail(ErrorCode::Value, "svdBatched: M[" + std::to_string(i) + "] holds NaN or Inf");
    if (jobs.size() < 2 || outputsPrivate) {
      if (!jobs.empty()) be.svdBatched(jobs, opt);
      return;
    }
    // All or nothing: a later job that fails (products that overflow are found only while it runs) must not leave
    // the earlier jobs' outputs written. The jobs write to scratch, copied out once all of them have succeeded.
    std::vector<SvdJob> staged = jobs;
    std::vector<BufferPtr> keep;
    const auto stage = [&](View& v) {
      keep.push_back(be.alloc(v.dtype, v.rows, v.cols));
      v = keep.back()->view;
    };
    for (SvdJob& j : staged) {
      stage(j.u);
      stage(j.s);
      stage(j.vt);
    }
    be.svdBatched(staged, opt);
    for (size_t i = 0; i < jobs.size(); ++i) {
      be.copy(staged[i].u, jobs[i].u);
      be.copy(staged[i].s, jobs[i].s);
      be.copy(staged[i].vt, jobs[i].vt);
    }
  });
}

}  // namespace loraga::binding
