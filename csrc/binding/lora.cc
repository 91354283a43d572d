// Bindings for the LoRA layer ops: shapes checked here, math in Backend::loraForward / loraBackward.
#include "args.h"
#include "ops.h"

namespace loraga::binding {

namespace {
using Keep = std::vector<Napi::Reference<Napi::Value>>;

// x [T, in], W [out, in], A [r, in], B [out, r]
void checkLayer(Napi::Env env, const char* op, const View& x, const View& w, const View& a, const View& b) {
  if (w.cols != x.cols || a.cols != x.cols || b.rows != w.rows || b.cols != a.rows)
    throwJs(env, ErrorCode::Shape, std::string(op) + ": x " + x.shapeStr() + ", W " + w.shapeStr() + ", A " +
                                       a.shapeStr() + ", B " + b.shapeStr() +
                                       " (need x [T, in], W [out, in], A [r, in], B [out, r])");
}
void checkOut(Napi::Env env, const char* op, const char* name, const View& v, int64_t rows, int64_t cols) {
  if (v.data == nullptr && v.rows == 0) return;
  if (v.rows != rows || v.cols != cols)
    throwJs(env, ErrorCode::Shape, std::string(op) + ": " + name + " is " + v.shapeStr() + ", expected [" +
                                       std::to_string(rows) + ", " + std::to_string(cols) + "]");
}
}  // namespace

// loraForward(x, W, A, B, scale, y, h|null, async)
Napi::Value LoraForward(const Napi::CallbackInfo& info) {
  const bool async = info[7].ToBoolean();
  Keep keep;
  Keep* kp = async ? &keep : nullptr;  // sync calls need no persistent references
  View x = tensorArg(info[0], "loraForward x", kp), w = tensorArg(info[1], "loraForward W", kp);
  View a = tensorArg(info[2], "loraForward A", kp), b = tensorArg(info[3], "loraForward B", kp);
  const double s = info[4].As<Napi::Number>().DoubleValue();
  View y = tensorArg(info[5], "loraForward y", kp), h = optionalTensorArg(info[6], "loraForward h", kp);
  Napi::Env env = info.Env();
  checkLayer(env, "loraForward", x, w, a, b);
  checkOut(env, "loraForward", "y", y, x.rows, w.rows);
  checkOut(env, "loraForward", "h", h, x.rows, a.rows);
  Backend& be = backendOf(info.Env(), {x, w, a, b, y, h});
  return runOp(env, async, be, [&be, x, w, a, b, s, y, h] { be.loraForward(x, w, a, b, s, y, h); },
               std::move(keep));
}

// loraBackward(dy, x, W, A, B, scale, h|null, dx|null, dA|null, dB|null, async)
Napi::Value LoraBackward(const Napi::CallbackInfo& info) {
  const bool async = info[10].ToBoolean();
  Keep keep;
  Keep* kp = async ? &keep : nullptr;  // sync calls need no persistent references
  View dy = tensorArg(info[0], "loraBackward dy", kp), x = tensorArg(info[1], "loraBackward x", kp);
  View w = tensorArg(info[2], "loraBackward W", kp), a = tensorArg(info[3], "loraBackward A", kp);
  View b = tensorArg(info[4], "loraBackward B", kp);
  const double s = info[5].As<Napi::Number>().DoubleValue();
  View h = optionalTensorArg(info[6], "loraBackward h", kp);
  View dx = optionalTensorArg(info[7], "loraBackward dx", kp);
  View da = optionalTensorArg(info[8], "loraBackward dA", kp);
  View db = optionalTensorArg(info[9], "loraBackward dB", kp);
  Napi::Env env = info.Env();
  checkLayer(env, "loraBackward", x, w, a, b);
  checkOut(env, "loraBackward", "dy", dy, x.rows, w.rows);
  checkOut(env, "loraBackward", "h", h, x.rows, a.rows);
  checkOut(env, "loraBackward", "dx", dx, x.rows, x.cols);
  checkOut(env, "loraBackward", "dA", da, a.rows, a.cols);
  checkOut(env, "loraBackward", "dB", db, b.rows, b.cols);
  Backend& be = backendOf(info.Env(), {dy, x, w, a, b, h, dx, da, db});
  return runOp(env, async, be, [&be, dy, x, w, a, b, s, h, dx, da, db] {
    be.loraBackward(dy, x, w, a, b, s, h, dx, da, db);
  }, std::move(keep));
}

}  // namespace loraga::binding
