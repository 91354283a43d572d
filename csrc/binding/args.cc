#include "args.h"
#include <cmath>
#include <new>

namespace loraga::binding {

namespace {
Napi::FunctionReference& errorClass(ErrorCode c) {
  static Napi::FunctionReference classes[int(ErrorCode::Internal) + 1];
  return classes[int(c)];
}

DType parseDType(Napi::Env env, const Napi::Value& v, const char* what) {
  if (v.IsString()) {
    std::string s = v.As<Napi::String>();
    if (s == "f32") return DType::F32;
    if (s == "f64") return DType::F64;
    if (s == "bf16") return DType::BF16;
    if (s == "f16") return DType::F16;
  }
  throwJs(env, ErrorCode::DType, std::string(what) + ": unknown dtype");
}

bool typedArrayMatches(napi_typedarray_type t, DType d) {
  switch (d) {
    case DType::F32: return t == napi_float32_array;
    case DType::F64: return t == napi_float64_array;
    default: return t == napi_uint16_array;
  }
}
}  // namespace

void registerErrorClasses(Napi::Env env, Napi::Object classes) {
  const std::pair<ErrorCode, const char*> names[] = {
      {ErrorCode::Shape, "LoraShapeError"},     {ErrorCode::DType, "LoraDTypeError"},
      {ErrorCode::Value, "LoraValueError"},     {ErrorCode::Backend, "LoraBackendError"},
      {ErrorCode::OutOfMemory, "LoraOutOfMemoryError"}, {ErrorCode::Layout, "LoraLayoutError"},
      {ErrorCode::Disposed, "LoraDisposedError"}, {ErrorCode::Internal, "LoraError"}};
  for (auto& [code, name] : names) {
    Napi::Value f = classes.Get(name);
    if (f.IsFunction()) errorClass(code) = Napi::Persistent(f.As<Napi::Function>());
  }
}

Napi::Value makeJsError(Napi::Env env, ErrorCode code, const std::string& msg) {
  auto& cls = errorClass(code);
  if (!cls.IsEmpty()) return cls.New({Napi::String::New(env, msg)});
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, errorCodeName(code)));
  return e.Value();
}

void throwJs(Napi::Env env, ErrorCode code, const std::string& msg) {
  throw Napi::Error(env, makeJsError(env, code, msg));
}

View layoutArg(const Napi::Object& o, const char* what) {
  Napi::Env env = o.Env();
  View view;
  view.dtype = parseDType(env, o.Get("dtype"), what);
  Napi::Value shapeV = o.Get("shape");
  if (!shapeV.IsArray()) throwJs(env, ErrorCode::Shape, std::string(what) + ": shape must be an array");
  Napi::Array shape = shapeV.As<Napi::Array>();
  const uint32_t nd = shape.Length();
  if (nd < 1) throwJs(env, ErrorCode::Shape, std::string(what) + ": a scalar is not a matrix");
  int64_t lead = 1, last = 1;
  for (uint32_t i = 0; i < nd; ++i) {
    Napi::Value d = shape.Get(i);
    double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1;
    if (!(x >= 0) || x != std::floor(x) || x > 9.0e15)
      throwJs(env, ErrorCode::Shape, std::string(what) + ": bad dimension in shape");
    if (i + 1 < nd || nd == 1) lead *= int64_t(x);
    if (i + 1 == nd && nd > 1) last = int64_t(x);
  }
  view.rows = lead;
  view.cols = last;
  return view;
}

View tensorArg(const Napi::Value& v, const char* what, std::vector<Napi::Reference<Napi::Value>>* keep) {
  Napi::Env env = v.Env();
  if (!v.IsObject()) throwJs(env, ErrorCode::Shape, std::string(what) + ": expected a Tensor");
  Napi::Object o = v.As<Napi::Object>();
  View view = layoutArg(o, what);
  Napi::Value dev = o.Get("device");
  std::string device = dev.IsString() ? std::string(dev.As<Napi::String>()) : "cpu";
  if (device == "cpu") {
    Napi::Value data = o.Get("_data");  // the plain field behind Tensor.data (a getter is slow to call from C++)
    if (!data.IsTypedArray()) throwJs(env, ErrorCode::Disposed, std::string(what) + ": tensor was disposed");
    Napi::TypedArray ta = data.As<Napi::TypedArray>();
    if (!typedArrayMatches(ta.TypedArrayType(), view.dtype))
      throwJs(env, ErrorCode::DType, std::string(what) + ": storage does not match dtype " + dtypeName(view.dtype));
    if (ta.ByteLength() != view.bytes())
      throwJs(env, ErrorCode::Shape, std::string(what) + ": buffer holds " + std::to_string(ta.ByteLength()) +
                                         " bytes but shape " + view.shapeStr() + " needs " +
                                         std::to_string(view.bytes()));
    view.data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    view.device = Device::Host;
    if (keep) keep->push_back(Napi::Persistent(data));
  } else if (device == "cuda") {
    Napi::Value h = o.Get("handle");
    if (!h.IsExternal()) throwJs(env, ErrorCode::Disposed, std::string(what) + ": device tensor was disposed");
    Buffer* buf = h.As<Napi::External<Buffer>>().Data();
    if (!buf || !buf->view.data)
      throwJs(env, ErrorCode::Disposed, std::string(what) + ": device tensor was disposed");
    if (buf->view.bytes() != view.bytes() || buf->view.dtype != view.dtype)
      throwJs(env, ErrorCode::Shape, std::string(what) + ": device buffer does not match shape " + view.shapeStr());
    view.data = buf->view.data;
    view.device = Device::Cuda;
    if (keep) keep->push_back(Napi::Persistent(h));
  } else {
    throwJs(env, ErrorCode::Backend, std::string(what) + ": unknown device '" + device + "'");
  }
  return view;
}

View optionalTensorArg(const Napi::Value& v, const char* what, std::vector<Napi::Reference<Napi::Value>>* keep) {
  if (v.IsNull() || v.IsUndefined()) return View{};
  return tensorArg(v, what, keep);
}

Backend& backendOf(Napi::Env env, std::initializer_list<View> views) {
  bool any = false;
  Device d = Device::Host;
  for (const View& v : views) {
    if (v.data == nullptr && v.rows == 0 && v.cols == 0) continue;  // an omitted optional output
    if (any && v.device != d)
      throwJs(env, ErrorCode::Backend, "tensors are on different devices (cpu and cuda): move them with toDevice/toHost");
    d = v.device;
    any = true;
  }
  try {
    return backendFor(d);
  } catch (const Error& e) {
    throwJs(env, e.code, e.what());
  }
}

namespace {
// Runs fn under the backend's lock and waits for the work it queued (a GPU op is done only when its stream is);
// on failure still drains the stream so no kernel writes into the caller's buffers after the error is reported.
void runLocked(Backend& be, const OpFn& fn) {
  std::lock_guard<std::mutex> lock(be.mutex());
  try {
    fn();
  } catch (...) {
    try {
      be.synchronize();
    } catch (...) {  // the first error is the one worth reporting
    }
    throw;
  }
  be.synchronize();
}

class OpWorker final : public Napi::AsyncWorker {
 public:
  OpWorker(Napi::Env env, Backend& be, OpFn fn, std::vector<Napi::Reference<Napi::Value>> keep)
      : Napi::AsyncWorker(env, "loraga:op"), be_(be), fn_(std::move(fn)), keep_(std::move(keep)),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      runLocked(be_, fn_);
    } catch (const Error& e) {
      code_ = e.code;
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = ErrorCode::OutOfMemory;
      SetError("out of host memory");
    } catch (const std::exception& e) {
      code_ = ErrorCode::Internal;
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(makeJsError(Env(), code_, e.Message())); }

 private:
  Backend& be_;
  OpFn fn_;
  std::vector<Napi::Reference<Napi::Value>> keep_;
  Napi::Promise::Deferred deferred_;
  ErrorCode code_ = ErrorCode::Internal;
};
}  // namespace

Napi::Value runOp(Napi::Env env, bool async, Backend& be, OpFn fn, std::vector<Napi::Reference<Napi::Value>> keep) {
  if (async) {
    auto* w = new OpWorker(env, be, std::move(fn), std::move(keep));
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  }
  try {
    runLocked(be, fn);
  } catch (const Error& e) {
    throwJs(env, e.code, e.what());
  } catch (const std::bad_alloc&) {
    throwJs(env, ErrorCode::OutOfMemory, "out of host memory");
  }
  return env.Undefined();
}

}  // namespace loraga::binding
