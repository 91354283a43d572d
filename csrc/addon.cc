// Module entry: the table of exported functions, one per op. Each is implemented in csrc/binding/<stem>.cc
// (binding/ops.h lists them), which parses its arguments (binding/call.h) and calls the Backend (backend.h).
#include <napi.h>
#include "binding/ops.h"

namespace {
Napi::Object Module(Napi::Env env, Napi::Object exports) {
  using namespace loraga::binding;
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"init", Init},
      {"matmul", Matmul},
      {"gradAccumulate", GradAccumulate},
      {"sketchUpdate", SketchUpdate},
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
      {"allFinite", AllFinite},
      {"fillGaussian", FillGaussian},
      {"backends", Backends},
      {"setAllowTf32", SetAllowTf32},
      {"noop", Noop},
  };
  for (auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
  return exports;
}
}  // namespace

NODE_API_MODULE(loraga, Module)
