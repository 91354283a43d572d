// Turning JS tensors into core Views, and running an op synchronously or on libuv's pool (returning a Promise).
#pragma once
#include <napi.h>
#include <functional>
#include <vector>
#include "../backend.h"

namespace loraga::binding {

// A JS tensor ({data: TypedArray, dtype, shape, device} or, on the GPU, {handle, dtype, shape, device}) as a View.
// N-D shapes flatten to [prod(leading), last], the layout of a Linear layer's [batch…, features] activations.
// `keep` collects what must stay alive while an async op runs.
View tensorArg(const Napi::Value& v, const char* what, std::vector<Napi::Reference<Napi::Value>>* keep);
// Same, but null/undefined gives an empty View (an output the caller does not want).
View optionalTensorArg(const Napi::Value& v, const char* what, std::vector<Napi::Reference<Napi::Value>>* keep);

// dtype and shape of a tensor-like object ({dtype, shape}) as a data-less View.
View layoutArg(const Napi::Object& o, const char* what);

// The backend that owns all of these views; mixing devices, or a device whose backend is unavailable, throws the
// typed JS error (LoraBackendError).
Backend& backendOf(Napi::Env env, std::initializer_list<View> views);

// Throws a JS error of the registered class for this code (LoraShapeError, …).
[[noreturn]] void throwJs(Napi::Env env, ErrorCode code, const std::string& msg);
Napi::Value makeJsError(Napi::Env env, ErrorCode code, const std::string& msg);

// Runs `fn` under the backend's lock: now (returning undefined) or on a worker thread (returning a Promise).
using OpFn = std::function<void()>;
Napi::Value runOp(Napi::Env env, bool async, Backend& be, OpFn fn, std::vector<Napi::Reference<Napi::Value>> keep);

void registerErrorClasses(Napi::Env env, Napi::Object classes);

}  // namespace loraga::binding
