// Every function the addon exports (addon.cc's table), one file per op stem: binding/<stem>.cc.
#pragma once
#include <napi.h>

namespace loraga::binding {
Napi::Value Matmul(const Napi::CallbackInfo& info);          // matmul.cc
Napi::Value GradAccumulate(const Napi::CallbackInfo& info);  // grad_accumulate.cc
Napi::Value SketchUpdate(const Napi::CallbackInfo& info);    // sketch_update.cc
Napi::Value Svd(const Napi::CallbackInfo& info);             // svd.cc
Napi::Value SvdBatched(const Napi::CallbackInfo& info);      // svd.cc
Napi::Value Orthonormalize(const Napi::CallbackInfo& info);  // orthonormalize.cc
Napi::Value LoraForward(const Napi::CallbackInfo& info);     // lora.cc
Napi::Value LoraBackward(const Napi::CallbackInfo& info);    // lora.cc
Napi::Value AdamwStep(const Napi::CallbackInfo& info);       // optim.cc
Napi::Value SgdStep(const Napi::CallbackInfo& info);         // optim.cc
Napi::Value Solve(const Napi::CallbackInfo& info);           // solve.cc
Napi::Value Copy(const Napi::CallbackInfo& info);            // tensor.cc
Napi::Value DeviceAlloc(const Napi::CallbackInfo& info);     // tensor.cc
Napi::Value DeviceFree(const Napi::CallbackInfo& info);      // tensor.cc
Napi::Value AllFinite(const Napi::CallbackInfo& info);       // tensor.cc
Napi::Value FillGaussian(const Napi::CallbackInfo& info);    // tensor.cc
Napi::Value Backends(const Napi::CallbackInfo& info);        // backends.cc
Napi::Value SetAllowTf32(const Napi::CallbackInfo& info);    // backends.cc
Napi::Value Noop(const Napi::CallbackInfo& info);            // backends.cc
Napi::Value Init(const Napi::CallbackInfo& info);            // backends.cc
}  // namespace loraga::binding
