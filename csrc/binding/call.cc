// Argument parsing, the memory-protecting checks, and the sync/async runner shared by every binding (call.h).
#include "call.h"
#include <climits>
#include <cmath>
#include <new>

namespace loraga::binding {

namespace {
// Where a passed zero-element tensor points when it has no memory of its own (parseTensor): never read or written.
alignas(64) unsigned char kNoElementsStorage[64];
void* const kNoElements = kNoElementsStorage;

bool parseDType(const Napi::Value& v, DType* out) {
  if (!v.IsString()) return false;
  const std::string s = v.As<Napi::String>();
  for (DType d : {DType::F32, DType::F64, DType::BF16, DType::F16})
    if (s == dtypeName(d)) return *out = d, true;
  return false;
}

// Bytes per element of the TypedArray kinds a tensor may be stored in (parseTensor refuses every other kind).
size_t typedArrayElementSize(napi_typedarray_type t) {
  switch (t) {
    case napi_float64_array: return 8;
    case napi_float32_array: return 4;
    default: return 2;
  }
}

bool typedArrayMatches(napi_typedarray_type t, DType d) {
  switch (d) {
    case DType::F32: return t == napi_float32_array;
    case DType::F64: return t == napi_float64_array;
    default: return t == napi_uint16_array;
  }
}
}  // namespace

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
  // [rows, cols] = [product of the leading dimensions, last]: every partial product stays at most 2^53 (exact in
  // a double, far from int64 overflow), so the conversions below are exact. A trailing zero does not make
  // [9e15, 9e15, 0] representable; [0, 2^32, 2^32] is (rows 0).
  constexpr double kMax = 9007199254740992.0;  // 2^53
  double lead = 1, last = 1;
  for (uint32_t i = 0; i < nd; ++i) {
    Napi::Value d = shape.Get(i);
    const double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1;
    // Each dimension a safe integer (< 2^53), as Number.isSafeInteger: [2^53, 0] has 0 elements but no exact size.
    if (!(x >= 0) || x != std::floor(x) || x >= kMax) throwJs(env(), ErrorCode::Shape, w + ": bad dimension in shape");
    if (i + 1 < nd || nd == 1)
      lead *= x;
    else
      last = x;
    if (lead > kMax) throwJs(env(), ErrorCode::Shape, w + ": shape has too many elements (more than 2^53)");
  }
  if (lead * last > kMax) throwJs(env(), ErrorCode::Shape, w + ": shape has too many elements (more than 2^53)");
  view.rows = int64_t(lead);
  view.cols = int64_t(last);
  // Bytes too: 2^53 elements of 8 bytes would pass the element bound but not size_t arithmetic on every platform.
  if (double(view.numel()) * double(dtypeSize(view.dtype)) > kMax)
    throwJs(env(), ErrorCode::Shape, w + ": shape needs more than 2^53 bytes");
  return view;
}

namespace {
// Our device handles carry this tag, so an External from elsewhere is never read as a DeviceTensor.
const napi_type_tag kDeviceTensorTag = {0x6c6f72616761ULL, 0x646576696365ULL};
}  // namespace

void tagDeviceHandle(Napi::Env env, const Napi::Value& handle) {
  napi_status st = napi_type_tag_object(env, handle, &kDeviceTensorTag);
  if (st != napi_ok) throwJs(env, ErrorCode::Internal, "deviceAlloc: could not tag the device handle");
}

DeviceTensor* deviceTensorOf(Napi::Env env, const Napi::Value& handle) {
  if (!handle.IsExternal()) return nullptr;
  bool ours = false;
  if (napi_check_object_type_tag(env, handle, &kDeviceTensorTag, &ours) != napi_ok || !ours) return nullptr;
  return handle.As<Napi::External<DeviceTensor>>().Data();
}

View Call::parseTensor(const Napi::Value& v, const std::string& w, Access access) {
  View view = layoutOf(v, w);
  Napi::Object o = v.As<Napi::Object>();
  const bool writes = access != Access::Read;
  if (writes && o.Get("_readonly").ToBoolean())
    throwJs(env(), ErrorCode::Value,
            w + ": tensor is read-only (it borrows memory loraga does not own: a caller's array or a file's bytes). "
                "Pass { writable: true } to Tensor.from to allow writes into it, or write into a clone()");
  Napi::Value dev = o.Get("device");
  const std::string device = dev.IsString() ? std::string(dev.As<Napi::String>()) : "cpu";
  Arg arg{w, access, Device::Host, nullptr, view.bytes(), Napi::TypedArray()};
  if (device == "cpu") {
    Napi::Value data = o.Get("_data");  // the plain field behind Tensor.data (a getter is slow to call from C++)
    if (!data.IsTypedArray()) throwJs(env(), ErrorCode::Disposed, w + ": tensor was disposed");
    Napi::TypedArray ta = data.As<Napi::TypedArray>();
    if (!typedArrayMatches(ta.TypedArrayType(), view.dtype))
      throwJs(env(), ErrorCode::DType, w + ": storage does not match dtype " + dtypeName(view.dtype));
    napi_value abv = nullptr;
    size_t length = 0, offset = 0;
    void* ptr = nullptr;
    bool isAb = false;
    napi_typedarray_type type;
    if (napi_get_typedarray_info(env(), ta, &type, &length, &ptr, &abv, &offset) != napi_ok ||
        napi_is_arraybuffer(env(), abv, &isAb) != napi_ok || !isAb)
      throwJs(env(), ErrorCode::Layout,
              w + ": shared memory (SharedArrayBuffer) is not accepted: another thread could change it under the op");
    if (Napi::ArrayBuffer(env(), abv).IsDetached())
      throwJs(env(), ErrorCode::Disposed, w + ": its buffer was detached (transferred) by its owner");
    if (ta.ByteLength() != view.bytes())
      throwJs(env(), ErrorCode::Shape,
              w + ": buffer holds " + std::to_string(ta.ByteLength()) + " bytes but shape " + view.shapeStr() +
                  " needs " + std::to_string(view.bytes()));
    arg.begin = static_cast<const uint8_t*>(ptr);
    arg.array = ta;
    view.data = ptr;
    view.device = Device::Host;
    if (async_) view.data = hold_->snapshot(ta, ptr, view.bytes(), writes, w);
  } else if (device == "cuda") {
    Napi::Value h = o.Get("handle");
    DeviceTensor* t = deviceTensorOf(env(), h);
    if (!t || !t->live()) throwJs(env(), ErrorCode::Disposed, w + ": device tensor was disposed");
    const View& mem = t->buf->view;
    if (mem.bytes() != view.bytes() || mem.dtype != view.dtype)
      throwJs(env(), ErrorCode::Shape, w + ": device buffer does not match shape " + view.shapeStr());
    hold_->pin(h, t);  // from here on a dispose() only asks for the free (hold.h)
    view.data = mem.data;
    view.device = Device::Cuda;
    arg.device = Device::Cuda;
    arg.begin = static_cast<const uint8_t*>(mem.data);
  } else {
    throwJs(env(), ErrorCode::Backend, w + ": unknown device '" + device + "'");
  }
  // A tensor that was passed is never "omitted": a zero-element one may have no memory (V8 gives an empty buffer a
  // null data pointer), and a null View reads as an absent optional tensor everywhere (Call::shape skips its check,
  // composites skip its product): y = [0, 3] for x = [2, 0] was written as 2×3 through a null pointer.
  if (view.data == nullptr) view.data = kNoElements;
  args_.push_back(arg);
  views_.push_back(view);
  return view;
}

void Call::checkArgsUnchanged() const {
  for (const Arg& a : args_) {
    if (a.device != Device::Host) continue;
    void* ptr = nullptr;
    napi_value abv = nullptr;
    size_t length = 0, offset = 0;
    napi_typedarray_type type;
    bool detached = true;
    if (napi_get_typedarray_info(env(), a.array, &type, &length, &ptr, &abv, &offset) == napi_ok)
      napi_is_detached_arraybuffer(env(), abv, &detached);
    // The length as it is now: Napi::TypedArray::ByteLength() is the one cached when the argument was parsed, and
    // a resizable ArrayBuffer shrunk in place (by a later argument's getter) keeps its data pointer but not its
    // memory.
    if (detached || ptr != a.begin || length * typedArrayElementSize(type) != a.bytes)
      fail(ErrorCode::Disposed, a.what + ": its buffer was detached or resized while the arguments were being read");
  }
  for (size_t i = 0; i < args_.size(); ++i)
    for (size_t j = i + 1; j < args_.size(); ++j) {
      const Arg &x = args_[i], &y = args_[j];
      if (x.access == Access::Read && y.access == Access::Read) continue;
      if (x.device != y.device || x.bytes == 0 || y.bytes == 0) continue;
      if (x.begin < y.begin + y.bytes && y.begin < x.begin + x.bytes)
        fail(ErrorCode::Value, x.what + " and " + y.what +
                                   " overlap in memory (an op's outputs must not share "
                                   "memory with its other operands)");
    }
}

View Call::tensor(size_t i, const char* name, Access access) { return parseTensor(info_[i], what(name), access); }

View Call::optionalTensor(size_t i, const char* name, Access access) {
  if (info_[i].IsNull() || info_[i].IsUndefined()) return View{};
  return tensor(i, name, access);
}

std::vector<View> Call::tensorList(size_t i, const char* name, Access access) {
  if (!info_[i].IsArray()) fail(ErrorCode::Shape, std::string("expected an array of tensors for ") + name);
  Napi::Array list = info_[i].As<Napi::Array>();
  std::vector<View> out;
  for (uint32_t j = 0; j < list.Length(); ++j)
    out.push_back(parseTensor(list.Get(j), what(name) + "[" + std::to_string(j) + "]", access));
  return out;
}

double Call::number(size_t i, const char* name) {
  const double x = info_.Length() > i && info_[i].IsNumber() ? info_[i].As<Napi::Number>().DoubleValue() : NAN;
  if (!std::isfinite(x)) fail(ErrorCode::Value, std::string(name) + ": expected a finite number");
  return x;
}

double Call::numberOr(size_t i, double dflt) {
  if (info_.Length() <= i || info_[i].IsUndefined()) return dflt;
  if (!info_[i].IsNumber() || !std::isfinite(info_[i].As<Napi::Number>().DoubleValue()))
    fail(ErrorCode::Value, "argument " + std::to_string(i) + ": expected a finite number");
  return info_[i].As<Napi::Number>().DoubleValue();
}

int64_t Call::integerOr(size_t i, const char* name, int64_t lo, int64_t hi, int64_t dflt) {
  if (info_.Length() <= i || info_[i].IsUndefined()) return dflt;
  return integerOf(info_[i], name, lo, hi);
}

std::vector<int64_t> Call::integerList(size_t i, const char* name, int64_t lo, int64_t hi) {
  if (info_.Length() <= i || !info_[i].IsArray())
    fail(ErrorCode::Value, std::string(name) + ": expected an array of integers");
  Napi::Array list = info_[i].As<Napi::Array>();
  std::vector<int64_t> out;
  for (uint32_t j = 0; j < list.Length(); ++j)
    out.push_back(integerOf(list.Get(j), (std::string(name) + "[" + std::to_string(j) + "]").c_str(), lo, hi));
  return out;
}

int64_t Call::integerOf(const Napi::Value& v, const char* name, int64_t lo, int64_t hi) {
  const double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  // Compared as doubles before any conversion: a float→int conversion out of range is undefined behaviour.
  if (!(x >= double(lo) && x <= double(hi)) || x != std::floor(x))
    fail(ErrorCode::Value,
         std::string(name) + ": expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return int64_t(x);
}

int64_t Call::integer(size_t i, const char* name, int64_t lo, int64_t hi) {
  if (info_.Length() <= i || info_[i].IsUndefined()) fail(ErrorCode::Value, std::string(name) + ": required");
  return integerOr(i, name, lo, hi, 0);
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

// Runs fn, turning every C++ failure into (code, message); false when it failed.
bool runCaught(Backend& be, const OpFn& fn, ErrorCode* code, std::string* msg) {
  try {
    runLocked(be, fn);
    return true;
  } catch (const Error& e) {
    *code = e.code, *msg = e.what();
  } catch (const std::bad_alloc&) {
    *code = ErrorCode::OutOfMemory, *msg = "out of host memory";
  } catch (const std::exception& e) {
    *code = ErrorCode::Internal, *msg = e.what();
  }
  return false;
}

// An op on libuv's pool behind a Promise, with the plain N-API calls rather than Napi::AsyncWorker: the completion
// must never throw a C++ exception, also when the environment is being torn down (a worker thread terminated with
// ops in flight), where every call into JS fails.
struct AsyncOp {
  Backend& be;
  OpFn fn;
  std::unique_ptr<Hold> hold;
  napi_deferred deferred = nullptr;
  napi_async_work work = nullptr;
  bool ok = false;
  ErrorCode code = ErrorCode::Internal;
  std::string msg;

  static void execute(napi_env, void* data) {
    auto* op = static_cast<AsyncOp*>(data);
    op->ok = runCaught(op->be, op->fn, &op->code, &op->msg);
  }

  static void complete(napi_env env, napi_status status, void* data) {
    std::unique_ptr<AsyncOp> op(static_cast<AsyncOp*>(data));
    napi_handle_scope scope = nullptr;
    if (status == napi_ok && napi_open_handle_scope(env, &scope) == napi_ok) {
      try {
        if (op->ok) {
          const std::string lost = op->hold->writeBack();
          if (!lost.empty())
            op->ok = false, op->code = ErrorCode::Disposed,
            op->msg = "the buffer of " + lost + " was detached or resized while the op ran: its result is lost";
        }
        napi_value result;
        if (op->ok) {
          napi_get_undefined(env, &result);
          napi_resolve_deferred(env, op->deferred, result);
        } else {
          napi_reject_deferred(env, op->deferred, makeJsError(Napi::Env(env), op->code, op->msg));
        }
      } catch (...) {  // the environment is going away: nobody is left to tell
      }
      napi_close_handle_scope(env, scope);
    }
    op->hold.reset();  // unpins device memory (a dispose() during the op frees it now)
    napi_delete_async_work(env, op->work);
  }
};
}  // namespace

Napi::Value Call::runOp(Napi::Env env, bool async, Backend& be, OpFn fn, std::unique_ptr<Hold> hold) {
  if (async) {
    auto op = std::make_unique<AsyncOp>(AsyncOp{be, std::move(fn), std::move(hold)});
    napi_value promise, name;
    NAPI_THROW_IF_FAILED(env, napi_create_promise(env, &op->deferred, &promise), Napi::Value());
    NAPI_THROW_IF_FAILED(env, napi_create_string_utf8(env, "loraga:op", NAPI_AUTO_LENGTH, &name), Napi::Value());
    NAPI_THROW_IF_FAILED(
        env, napi_create_async_work(env, nullptr, name, AsyncOp::execute, AsyncOp::complete, op.get(), &op->work),
        Napi::Value());
    NAPI_THROW_IF_FAILED(env, napi_queue_async_work(env, op->work), Napi::Value());
    op.release();  // complete() owns it now
    return Napi::Value(env, promise);
  }
  ErrorCode code;
  std::string msg;
  if (!runCaught(be, fn, &code, &msg)) throwJs(env, code, msg);
  return env.Undefined();
}

}  // namespace loraga::binding
