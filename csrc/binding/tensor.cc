// Bindings for tensor housekeeping: dtype conversion, finiteness, freeing, and what backends exist.
#include "args.h"
#include "ops.h"

namespace loraga::binding {

// copy(src, dst): dst = src converted to dst's dtype
Napi::Value Copy(const Napi::CallbackInfo& info) {
  std::vector<Napi::Reference<Napi::Value>> keep;
  View src = tensorArg(info[0], "copy src", &keep), dst = tensorArg(info[1], "copy dst", &keep);
  if (src.numel() != dst.numel())
    throwJs(info.Env(), ErrorCode::Shape, "copy: " + src.shapeStr() + " into " + dst.shapeStr());
  Backend& be = backendOf({src, dst});
  return runOp(info.Env(), false, be, [&be, src, dst] { be.copy(src, dst); }, {});
}

Napi::Value AllFinite(const Napi::CallbackInfo& info) {
  View a = tensorArg(info[0], "allFinite", nullptr);
  Backend& be = backendOf({a});
  bool ok = false;
  runOp(info.Env(), false, be, [&] { ok = be.allFinite(a); }, {});
  return Napi::Boolean::New(info.Env(), ok);
}

// detach(arrayBuffer): releases the backing store of a buffer the library allocated (Tensor.dispose()).
Napi::Value Detach(const Napi::CallbackInfo& info) {
  if (info[0].IsArrayBuffer()) {
    Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
    if (!ab.IsDetached()) ab.Detach();
  }
  return info.Env().Undefined();
}

Napi::Value Backends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto list = listBackends();
  Napi::Array out = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", list[i].name);
    o.Set("available", list[i].available);
    o.Set("reason", list[i].reason);
    o.Set("deviceName", list[i].deviceName);
    o.Set("details", list[i].details);
    out.Set(uint32_t(i), o);
  }
  return out;
}

// The cheapest possible call, for measuring N-API overhead in the benchmark.
Napi::Value Noop(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

}  // namespace loraga::binding
