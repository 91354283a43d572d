// Module entry: the table of exported functions. Each points at csrc/binding/<group>.cc, which calls Backend.
#include <napi.h>
#include "binding/args.h"
#include "binding/ops.h"

namespace {
Napi::Value Init(const Napi::CallbackInfo& info) {
  if (info[0].IsObject()) loraga::binding::registerErrorClasses(info.Env(), info[0].As<Napi::Object>());
  return info.Env().Undefined();
}

Napi::Object Module(Napi::Env env, Napi::Object exports) {
  using namespace loraga::binding;
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"init", Init},
      {"matmul", Matmul},
      {"gradAccumulate", GradAccumulate},
      {"svd", Svd},
      {"svdBatched", SvdBatched},
      {"orthonormalize", Orthonormalize},
      {"loraForward", LoraForward},
      {"loraBackward", LoraBackward},
      {"adamwStep", AdamwStep},
      {"sgdStep", SgdStep},
      {"solve", Solve},
      {"copy", Copy},
      {"deviceAlloc", DeviceAlloc},
      {"deviceFree", DeviceFree},
      {"setAllowTf32", SetAllowTf32},
      {"allFinite", AllFinite},
      {"fillGaussian", FillGaussian},
      {"detach", Detach},
      {"backends", Backends},
      {"noop", Noop},
  };
  for (auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
  return exports;
}
}  // namespace

NODE_API_MODULE(loraga, Module)
