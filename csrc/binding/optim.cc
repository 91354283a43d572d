// Bindings for the fused optimizer steps and the small dense solve: parse, validate, hand to the backend.
#include "args.h"
#include "ops.h"

namespace loraga::binding {

namespace {
using Keep = std::vector<Napi::Reference<Napi::Value>>;

double numArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsNumber())
    throwJs(info.Env(), ErrorCode::Value, std::string(what) + ": expected a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

// p in f32/f64; every state tensor has p's dtype and element count; g has p's element count (any dtype).
void checkParam(Napi::Env env, const char* op, const View& p, const View& g, std::initializer_list<View> state) {
  if (p.dtype != DType::F32 && p.dtype != DType::F64)
    throwJs(env, ErrorCode::DType, std::string(op) + ": parameter must be f32 or f64, got " + dtypeName(p.dtype));
  if (g.numel() != p.numel())
    throwJs(env, ErrorCode::Shape, std::string(op) + ": gradient " + g.shapeStr() + " does not match parameter " +
                                       p.shapeStr());
  for (const View& s : state) {
    if (s.empty()) continue;
    if (s.dtype != p.dtype)
      throwJs(env, ErrorCode::DType, std::string(op) + ": optimizer state is " + dtypeName(s.dtype) +
                                         " but the parameter is " + dtypeName(p.dtype) + " (they must match)");
    if (s.numel() != p.numel())
      throwJs(env, ErrorCode::Shape, std::string(op) + ": optimizer state " + s.shapeStr() +
                                         " does not match parameter " + p.shapeStr());
  }
}
}  // namespace

// adamwStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, step, async)
Napi::Value AdamwStep(const Napi::CallbackInfo& info) {
  const bool async = info[10].ToBoolean();
  Keep keep;
  Keep* kp = async ? &keep : nullptr;
  View p = tensorArg(info[0], "adamwStep p", kp), g = tensorArg(info[1], "adamwStep g", kp);
  View m = tensorArg(info[2], "adamwStep m", kp), v = tensorArg(info[3], "adamwStep v", kp);
  AdamWParams hp{numArg(info, 4, "adamwStep lr"),  numArg(info, 5, "adamwStep beta1"),
                 numArg(info, 6, "adamwStep beta2"), numArg(info, 7, "adamwStep eps"),
                 numArg(info, 8, "adamwStep weightDecay"), int64_t(numArg(info, 9, "adamwStep step"))};
  Napi::Env env = info.Env();
  checkParam(env, "adamwStep", p, g, {m, v});
  if (hp.step < 1) throwJs(env, ErrorCode::Value, "adamwStep: step must be >= 1, got " + std::to_string(hp.step));
  Backend& be = backendOf(info.Env(), {p, g, m, v});
  return runOp(env, async, be, [&be, p, g, m, v, hp] { be.adamwStep(p, g, m, v, hp); }, std::move(keep));
}

// sgdStep(p, g, buf|null, lr, momentum, weightDecay, async)
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  const bool async = info[6].ToBoolean();
  Keep keep;
  Keep* kp = async ? &keep : nullptr;
  View p = tensorArg(info[0], "sgdStep p", kp), g = tensorArg(info[1], "sgdStep g", kp);
  View buf = optionalTensorArg(info[2], "sgdStep buf", kp);
  const double lr = numArg(info, 3, "sgdStep lr"), mu = numArg(info, 4, "sgdStep momentum");
  const double wd = numArg(info, 5, "sgdStep weightDecay");
  Napi::Env env = info.Env();
  checkParam(env, "sgdStep", p, g, {buf});
  Backend& be = backendOf(info.Env(), {p, g, buf});
  return runOp(env, async, be, [&be, p, g, buf, lr, mu, wd] { be.sgdStep(p, g, buf, lr, mu, wd); }, std::move(keep));
}

// solve(a, b, async): b ← a⁻¹·b, a overwritten
Napi::Value Solve(const Napi::CallbackInfo& info) {
  const bool async = info[2].ToBoolean();
  Keep keep;
  Keep* kp = async ? &keep : nullptr;
  View a = tensorArg(info[0], "solve a", kp), b = tensorArg(info[1], "solve b", kp);
  Napi::Env env = info.Env();
  if (a.rows != a.cols || b.rows != a.rows)
    throwJs(env, ErrorCode::Shape, "solve: a " + a.shapeStr() + " must be square and b " + b.shapeStr() +
                                       " must have as many rows as a");
  if (a.dtype != b.dtype || (a.dtype != DType::F32 && a.dtype != DType::F64))
    throwJs(env, ErrorCode::DType, std::string("solve: a and b must both be f32 or both f64, got ") +
                                       dtypeName(a.dtype) + " and " + dtypeName(b.dtype));
  Backend& be = backendOf(info.Env(), {a, b});
  return runOp(env, async, be, [&be, a, b] {
    if (!be.allFinite(a) || !be.allFinite(b)) fail(ErrorCode::Value, "solve: a or b holds NaN or Inf");
    be.solve(a, b);
  }, std::move(keep));
}

}  // namespace loraga::binding
