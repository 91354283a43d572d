// Every function the addon exports, grouped by the file that implements it.
#pragma once
#include <napi.h>

namespace loraga::binding {
// linalg.cc
Napi::Value Matmul(const Napi::CallbackInfo& info);
Napi::Value GradAccumulate(const Napi::CallbackInfo& info);
Napi::Value Svd(const Napi::CallbackInfo& info);
Napi::Value SvdBatched(const Napi::CallbackInfo& info);
Napi::Value Orthonormalize(const Napi::CallbackInfo& info);
// lora.cc
Napi::Value LoraForward(const Napi::CallbackInfo& info);
Napi::Value LoraBackward(const Napi::CallbackInfo& info);
// optim.cc
Napi::Value AdamwStep(const Napi::CallbackInfo& info);
Napi::Value SgdStep(const Napi::CallbackInfo& info);
Napi::Value Solve(const Napi::CallbackInfo& info);
// tensor.cc
Napi::Value Copy(const Napi::CallbackInfo& info);
Napi::Value DeviceAlloc(const Napi::CallbackInfo& info);
Napi::Value DeviceFree(const Napi::CallbackInfo& info);
Napi::Value SetAllowTf32(const Napi::CallbackInfo& info);
Napi::Value AllFinite(const Napi::CallbackInfo& info);
Napi::Value FillGaussian(const Napi::CallbackInfo& info);
Napi::Value Detach(const Napi::CallbackInfo& info);
Napi::Value Backends(const Napi::CallbackInfo& info);
Napi::Value Noop(const Napi::CallbackInfo& info);
}  // namespace loraga::binding
