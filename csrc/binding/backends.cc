// What backends exist and why (not), TF32, registering the JS error classes, and the N-API overhead probe
// → backends.cc (listBackends), Backend::setAllowTf32.
#include "call.h"
#include "ops.h"

namespace loraga::binding {

// init(errors): lib/native.ts hands over lib/errors.ts so native failures throw the same typed classes.
Napi::Value Init(const Napi::CallbackInfo& info) {
  if (info[0].IsObject()) registerErrorClasses(info.Env(), info[0].As<Napi::Object>());
  return info.Env().Undefined();
}

Napi::Value Backends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto list = listBackends();
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

// setAllowTf32(on): lets f32 matmuls on the GPU use TF32 tensor cores.
Napi::Value SetAllowTf32(const Napi::CallbackInfo& info) {
  try {
    backendFor(Device::Cuda).setAllowTf32(info[0].ToBoolean());
  } catch (const Error& e) {
    throwJs(info.Env(), e.code, e.what());
  }
  return info.Env().Undefined();
}

// The cheapest possible call, for measuring N-API overhead in the benchmark.
Napi::Value Noop(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

}  // namespace loraga::binding
