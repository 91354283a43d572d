// Bindings for matmul, gradAccumulate, svd and orthonormalize: parse, validate, hand to the backend.
#include <algorithm>
#include "args.h"
#include "ops.h"

namespace loraga::binding {

namespace {
using Keep = std::vector<Napi::Reference<Napi::Value>>;

double num(const Napi::CallbackInfo& info, size_t i, double dflt) {
  return info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : dflt;
}
}  // namespace

// matmul(a, b, c, transA, transB, alpha, beta, async): c = alpha·op(a)·op(b) + beta·c
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  const bool async = info[7].ToBoolean();
  Keep keep;
  Keep* kp = async ? &keep : nullptr;  // sync calls need no persistent references
  View a = tensorArg(info[0], "matmul a", kp), b = tensorArg(info[1], "matmul b", kp);
  View c = tensorArg(info[2], "matmul out", kp);
  const bool ta = info[3].ToBoolean(), tb = info[4].ToBoolean();
  const double alpha = num(info, 5, 1.0), beta = num(info, 6, 0.0);
  const int64_t m = ta ? a.cols : a.rows, k = ta ? a.rows : a.cols, kb = tb ? b.cols : b.rows;
  const int64_t n = tb ? b.rows : b.cols;
  if (k != kb)
    throwJs(info.Env(), ErrorCode::Shape, "matmul: inner dimensions differ: op(a) is " + std::to_string(m) + "x" +
                                              std::to_string(k) + ", op(b) is " + std::to_string(kb) + "x" +
                                              std::to_string(n));
  if (c.rows != m || c.cols != n)
    throwJs(info.Env(), ErrorCode::Shape, "matmul: out is " + c.shapeStr() + " but the product is [" +
                                              std::to_string(m) + ", " + std::to_string(n) + "]");
  Backend& be = backendOf(info.Env(), {a, b, c});
  return runOp(info.Env(), async, be, [&be, ta, tb, alpha, a, b, beta, c] {
    be.gemm(ta, tb, alpha, a, b, beta, c);
  }, std::move(keep));
}

// gradAccumulate(g, dy, x, scale, async): g += scale·dyᵀ·x (fp32/f64 accumulation)
Napi::Value GradAccumulate(const Napi::CallbackInfo& info) {
  const bool async = info[4].ToBoolean();
  Keep keep;
  Keep* kp = async ? &keep : nullptr;  // sync calls need no persistent references
  View g = tensorArg(info[0], "gradAccumulate G", kp), dy = tensorArg(info[1], "gradAccumulate dY", kp);
  View x = tensorArg(info[2], "gradAccumulate X", kp);
  const double scale = num(info, 3, 1.0);
  if (g.dtype != DType::F32 && g.dtype != DType::F64)
    throwJs(info.Env(), ErrorCode::DType, std::string("gradAccumulate: G must be f32 or f64 (the accumulator), got ") +
                                              dtypeName(g.dtype));
  if (dy.rows != x.rows || g.rows != dy.cols || g.cols != x.cols)
    throwJs(info.Env(), ErrorCode::Shape, "gradAccumulate: G " + g.shapeStr() + ", dY " + dy.shapeStr() + ", X " +
                                              x.shapeStr() + " (need G [out, in], dY [T, out], X [T, in])");
  Backend& be = backendOf(info.Env(), {g, dy, x});
  return runOp(info.Env(), async, be, [&be, g, dy, x, scale] {
    if (!be.allFinite(dy) || !be.allFinite(x)) fail(ErrorCode::Value, "gradAccumulate: dY or X holds NaN or Inf");
    be.gradAccumulate(g, dy, x, scale);
  }, std::move(keep));
}

namespace {
SvdOptions svdOptions(const Napi::CallbackInfo& info, size_t first) {
  SvdOptions opt;
  opt.randomized = info[first].ToBoolean();
  opt.oversample = int64_t(num(info, first + 1, 8));
  opt.powerIters = int(num(info, first + 2, 4));
  opt.seed = uint64_t(num(info, first + 3, 0));
  if (opt.oversample < 0 || opt.powerIters < 0 || opt.powerIters > 100)
    throwJs(info.Env(), ErrorCode::Value, "svd: oversample must be >= 0 and powerIters in [0, 100]");
  return opt;
}

void checkSvdShapes(Napi::Env env, const View& m, const View& u, const View& s, const View& vt) {
  const int64_t k = u.cols, p = std::min(m.rows, m.cols);
  if (k < 1 || k > p)
    throwJs(env, ErrorCode::Shape, "svd: k = " + std::to_string(k) + " must be in [1, min(m, n) = " +
                                       std::to_string(p) + "] for M " + m.shapeStr());
  if (u.rows != m.rows || s.numel() != k || vt.rows != k || vt.cols != m.cols)
    throwJs(env, ErrorCode::Shape, "svd: outputs U " + u.shapeStr() + ", S " + s.shapeStr() + ", Vt " +
                                       vt.shapeStr() + " do not fit M " + m.shapeStr() + " at k = " +
                                       std::to_string(k));
}
}  // namespace

// svd(m, u, s, vt, randomized, oversample, powerIters, seed, async)
Napi::Value Svd(const Napi::CallbackInfo& info) {
  const bool async = info[8].ToBoolean();
  Keep keep;
  Keep* kp = async ? &keep : nullptr;  // sync calls need no persistent references
  View m = tensorArg(info[0], "svd M", kp), u = tensorArg(info[1], "svd U", kp);
  View s = tensorArg(info[2], "svd S", kp), vt = tensorArg(info[3], "svd Vt", kp);
  checkSvdShapes(info.Env(), m, u, s, vt);
  SvdOptions opt = svdOptions(info, 4);
  opt.k = u.cols;
  Backend& be = backendOf(info.Env(), {m, u, s, vt});
  return runOp(info.Env(), async, be, [&be, m, opt, u, s, vt] {
    if (!be.allFinite(m)) fail(ErrorCode::Value, "svd: M holds NaN or Inf");
    be.svd(m, opt, u, s, vt);
  }, std::move(keep));
}

// svdBatched([m…], [u…], [s…], [vt…], randomized, oversample, powerIters, seed, async): job i uses seed + i
Napi::Value SvdBatched(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool async = info[8].ToBoolean();
  Keep keep;
  Keep* kp = async ? &keep : nullptr;
  for (int i = 0; i < 4; ++i)
    if (!info[i].IsArray()) throwJs(env, ErrorCode::Shape, "svdBatched: expected arrays of tensors");
  Napi::Array ms = info[0].As<Napi::Array>(), us = info[1].As<Napi::Array>(), ss = info[2].As<Napi::Array>(),
              vts = info[3].As<Napi::Array>();
  const uint32_t n = ms.Length();
  if (us.Length() != n || ss.Length() != n || vts.Length() != n)
    throwJs(env, ErrorCode::Shape, "svdBatched: M, U, S and Vt lists differ in length");
  std::vector<SvdJob> jobs(n);
  for (uint32_t i = 0; i < n; ++i) {
    SvdJob& j = jobs[i];
    j.m = tensorArg(ms.Get(i), "svdBatched M", kp);
    j.u = tensorArg(us.Get(i), "svdBatched U", kp);
    j.s = tensorArg(ss.Get(i), "svdBatched S", kp);
    j.vt = tensorArg(vts.Get(i), "svdBatched Vt", kp);
    checkSvdShapes(env, j.m, j.u, j.s, j.vt);
    if (j.m.device != jobs[0].m.device) throwJs(env, ErrorCode::Backend, "svdBatched: matrices on different devices");
  }
  SvdOptions opt = svdOptions(info, 4);
  if (n == 0) return async ? runOp(env, true, cpuBackend(), [] {}, {}) : env.Undefined();
  Backend& be = backendOf(env, {jobs[0].m, jobs[0].u, jobs[0].s, jobs[0].vt});
  for (const SvdJob& j : jobs) backendOf(env, {jobs[0].m, j.m, j.u, j.s, j.vt});  // all on one device
  return runOp(env, async, be, [&be, jobs, opt] {
    for (size_t i = 0; i < jobs.size(); ++i)
      if (!be.allFinite(jobs[i].m)) fail(ErrorCode::Value, "svdBatched: M[" + std::to_string(i) + "] holds NaN or Inf");
    be.svdBatched(jobs, opt);
  }, std::move(keep));
}

// orthonormalize(a, async): a ← Q of its thin QR
Napi::Value Orthonormalize(const Napi::CallbackInfo& info) {
  const bool async = info[1].ToBoolean();
  Keep keep;
  Keep* kp = async ? &keep : nullptr;  // sync calls need no persistent references
  View a = tensorArg(info[0], "orthonormalize A", kp);
  if (a.rows < a.cols) throwJs(info.Env(), ErrorCode::Shape, "orthonormalize: needs rows >= cols, got " + a.shapeStr());
  Backend& be = backendOf(info.Env(), {a});
  return runOp(info.Env(), async, be, [&be, a] { be.orthonormalize(a); }, std::move(keep));
}

}  // namespace loraga::binding
