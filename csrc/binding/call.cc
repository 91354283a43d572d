// Argument parsing, the memory-protecting checks, and the sync/async runner shared by every binding (call.h).
#include "call.h"
#include <climits>
#include <cmath>
#include <new>

namespace loraga::binding {

namespace {
Napi::FunctionReference& errorClass(ErrorCode c) {
  static Napi::FunctionReference classes[int(ErrorCode::Internal) + 1];
  return classes[int(c)];
}

bool parseDType(const Napi::Value& v, DType* out) {
  if (!v.IsString()) return false;
  const std::string s = v.As<Napi::String>();
  for (DType d : {DType::F32, DType::F64, DType::BF16, DType::F16})
    if (s == dtypeName(d)) return *out = d, true;
  return false;
}

bool typedArrayMatches(napi_typedarray_type t, DType d) {
  switch (d) {
    case DType::F32: return t == napi_float32_array;
    case DType::F64: return t == napi_float64_array;
    default: return t == napi_uint16_array;
  }
}
}  // namespace

// ---- typed errors ------------------------------------------------------------------------------------------------

void registerErrorClasses(Napi::Env env, Napi::Object classes) {
  const std::pair<ErrorCode, const char*> names[] = {{ErrorCode::Shape, "LoraShapeError"},
                                                     {ErrorCode::DType, "LoraDTypeError"},
                                                     {ErrorCode::Value, "LoraValueError"},
                                                     {ErrorCode::Backend, "LoraBackendError"},
                                                     {ErrorCode::OutOfMemory, "LoraOutOfMemoryError"},
                                                     {ErrorCode::Layout, "LoraLayoutError"},
                                                     {ErrorCode::Disposed, "LoraDisposedError"},
                                                     {ErrorCode::Internal, "LoraError"}};
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

// ---- parsing -----------------------------------------------------------------------------------------------------

Call::Call(const Napi::CallbackInfo& info, const char* op, size_t asyncArg)
    : info_(info), op_(op), async_(asyncArg != kSyncOnly && info.Length() > asyncArg && info[asyncArg].ToBoolean()) {}

void Call::fail(ErrorCode code, const std::string& msg) const { throwJs(env(), code, std::string(op_) + ": " + msg); }

View Call::layout(const Napi::Value& v, const char* name) { return layoutOf(v, what(name)); }

View Call::layoutOf(const Napi::Value& v, const std::string& w) {
  if (!v.IsObject()) throwJs(env(), ErrorCode::Shape, w + ": expected a Tensor");
  Napi::Object o = v.As<Napi::Object>();
  View view;
  if (!parseDType(o.Get("dtype"), &view.dtype)) throwJs(env(), ErrorCode::DType, w + ": unknown dtype");
  Napi::Value shapeV = o.Get("shape");
  if (!shapeV.IsArray()) throwJs(env(), ErrorCode::Shape, w + ": shape must be an array");
  Napi::Array shape = shapeV.As<Napi::Array>();
  const uint32_t nd = shape.Length();
  if (nd < 1) throwJs(env(), ErrorCode::Shape, w + ": a scalar is not a matrix");
  // Element counts stay below 2^53 (exact in a double, far below int64 overflow) whatever the dimensions.
  double lead = 1, last = 1;
  for (uint32_t i = 0; i < nd; ++i) {
    Napi::Value d = shape.Get(i);
    const double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1;
    if (!(x >= 0) || x != std::floor(x) || x > 9.0e15) throwJs(env(), ErrorCode::Shape, w + ": bad dimension in shape");
    if (i + 1 < nd || nd == 1) lead *= x;
    if (i + 1 == nd && nd > 1) last = x;
  }
  if (lead * last > 9.0e15) throwJs(env(), ErrorCode::Shape, w + ": shape has too many elements");
  view.rows = int64_t(lead);
  view.cols = int64_t(last);
  return view;
}

View Call::parseTensor(const Napi::Value& v, const std::string& w) {
  View view = layoutOf(v, w);
  Napi::Object o = v.As<Napi::Object>();
  Napi::Value dev = o.Get("device");
  const std::string device = dev.IsString() ? std::string(dev.As<Napi::String>()) : "cpu";
  if (device == "cpu") {
    Napi::Value data = o.Get("_data");  // the plain field behind Tensor.data (a getter is slow to call from C++)
    if (!data.IsTypedArray()) throwJs(env(), ErrorCode::Disposed, w + ": tensor was disposed");
    Napi::TypedArray ta = data.As<Napi::TypedArray>();
    if (!typedArrayMatches(ta.TypedArrayType(), view.dtype))
      throwJs(env(), ErrorCode::DType, w + ": storage does not match dtype " + dtypeName(view.dtype));
    if (ta.ByteLength() != view.bytes())
      throwJs(env(), ErrorCode::Shape,
              w + ": buffer holds " + std::to_string(ta.ByteLength()) + " bytes but shape " + view.shapeStr() +
                  " needs " + std::to_string(view.bytes()));
    view.data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    view.device = Device::Host;
    if (async_) keep_.push_back(Napi::Persistent(data));
  } else if (device == "cuda") {
    Napi::Value h = o.Get("handle");
    if (!h.IsExternal()) throwJs(env(), ErrorCode::Disposed, w + ": device tensor was disposed");
    Buffer* buf = h.As<Napi::External<Buffer>>().Data();
    if (!buf || !buf->view.data) throwJs(env(), ErrorCode::Disposed, w + ": device tensor was disposed");
    if (buf->view.bytes() != view.bytes() || buf->view.dtype != view.dtype)
      throwJs(env(), ErrorCode::Shape, w + ": device buffer does not match shape " + view.shapeStr());
    view.data = buf->view.data;
    view.device = Device::Cuda;
    if (async_) keep_.push_back(Napi::Persistent(h));
  } else {
    throwJs(env(), ErrorCode::Backend, w + ": unknown device '" + device + "'");
  }
  views_.push_back(view);
  return view;
}

View Call::tensor(size_t i, const char* name) { return parseTensor(info_[i], what(name)); }

View Call::optionalTensor(size_t i, const char* name) {
  if (info_[i].IsNull() || info_[i].IsUndefined()) return View{};
  return tensor(i, name);
}

std::vector<View> Call::tensorList(size_t i, const char* name) {
  if (!info_[i].IsArray()) fail(ErrorCode::Shape, std::string("expected an array of tensors for ") + name);
  Napi::Array list = info_[i].As<Napi::Array>();
  std::vector<View> out;
  for (uint32_t j = 0; j < list.Length(); ++j)
    out.push_back(parseTensor(list.Get(j), what(name) + "[" + std::to_string(j) + "]"));
  return out;
}

double Call::number(size_t i, const char* name) {
  if (info_.Length() <= i || !info_[i].IsNumber()) fail(ErrorCode::Value, std::string(name) + ": expected a number");
  return info_[i].As<Napi::Number>().DoubleValue();
}

double Call::numberOr(size_t i, double dflt) const {
  return info_.Length() > i && info_[i].IsNumber() ? info_[i].As<Napi::Number>().DoubleValue() : dflt;
}

bool Call::flag(size_t i) const { return info_.Length() > i && info_[i].ToBoolean(); }

// ---- checks ------------------------------------------------------------------------------------------------------

void Call::shape(const View& v, const char* name, int64_t rows, int64_t cols) {
  if (v.data == nullptr && v.rows == 0) return;  // an omitted optional output
  if (v.rows != rows || v.cols != cols)
    fail(ErrorCode::Shape, std::string(name) + " is " + v.shapeStr() + ", expected [" + std::to_string(rows) + ", " +
                               std::to_string(cols) + "]");
}

void Call::dtype(const View& v, const char* name, std::initializer_list<DType> allowed) {
  std::string list;
  for (DType d : allowed) {
    if (v.dtype == d) return;
    list += std::string(list.empty() ? "" : " or ") + dtypeName(d);
  }
  fail(ErrorCode::DType, std::string(name) + " must be " + list + ", got " + dtypeName(v.dtype));
}

void Call::blasDims(std::initializer_list<View> views) {
  for (const View& v : views)
    if (v.rows > INT_MAX || v.cols > INT_MAX)
      fail(ErrorCode::Shape, "a dimension of " + v.shapeStr() + " exceeds the BLAS int range (2^31 - 1)");
}

Device Call::device() const {
  for (const View& v : views_)
    if (v.device != views_[0].device)
      fail(ErrorCode::Backend, "tensors are on different devices (cpu and cuda): move them with toDevice/toHost");
  return views_.empty() ? Device::Host : views_[0].device;
}

Backend& Call::backendOn(Device d) const {
  try {
    return backendFor(d);
  } catch (const Error& e) {
    throwJs(env(), e.code, e.what());
  }
}

// ---- running -----------------------------------------------------------------------------------------------------

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
  OpWorker(Napi::Env env, Backend& be, OpFn fn, Keep keep)
      : Napi::AsyncWorker(env, "loraga:op"),
        be_(be),
        fn_(std::move(fn)),
        keep_(std::move(keep)),
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
  Keep keep_;
  Napi::Promise::Deferred deferred_;
  ErrorCode code_ = ErrorCode::Internal;
};
}  // namespace

Napi::Value Call::runOp(Napi::Env env, bool async, Backend& be, OpFn fn, Keep keep) {
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
