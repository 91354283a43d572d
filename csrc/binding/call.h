// The one argument-parsing layer every binding uses, and the one way an op runs (now, or on libuv's pool behind a
// Promise). A binding function is its parse and its call:
//
//   Napi::Value Matmul(const Napi::CallbackInfo& info) {   // matmul(a, b, c, transA, transB, alpha, beta, async)
//     Call call(info, "matmul", 7);                         // the op's name for messages; where the async flag is
//     View a = call.tensor(0, "a"), b = call.tensor(1, "b"), c = call.tensor(2, "out");
//     ... call.shape(c, "out", m, n) ...
//     return call.run([=](Backend& be) { be.matmul(ta, tb, alpha, a, b, beta, c); });
//   }
//
// What is checked here, and only here: what protects memory and the process — JS types, dtype tags, that a buffer
// holds exactly what its shape needs, that operands' shapes agree, the BLAS/LAPACK int range, one device for all
// operands, liveness (disposed tensors). lib/ checks user-level meaning first and names what users wrote; this layer
// exists because the raw binding stays reachable from JS. Backends do not check again (backend.h).
#pragma once
#include <napi.h>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>
#include "../backend.h"

namespace loraga::binding {

using Keep = std::vector<Napi::Reference<Napi::Value>>;
using OpFn = std::function<void()>;

class Call {
 public:
  // `asyncArg`: index of the boolean that asks for a Promise (absent or false: run now); kSyncOnly for ops that
  // always run now.
  static constexpr size_t kSyncOnly = size_t(-1);
  Call(const Napi::CallbackInfo& info, const char* op, size_t asyncArg);

  Napi::Env env() const { return info_.Env(); }

  // A JS tensor ({_data: TypedArray, dtype, shape, device} or, on the GPU, {handle, dtype, shape, device}) as a View.
  // N-D shapes flatten to [prod(leading), last], the layout of a Linear layer's [batch…, features] activations.
  View tensor(size_t i, const char* name);
  // null/undefined is an empty View (an output the caller does not want).
  View optionalTensor(size_t i, const char* name);
  // An array of tensors (svdBatched); `name` gets the index appended in messages.
  std::vector<View> tensorList(size_t i, const char* name);
  // dtype and shape of a {dtype, shape} object as a data-less View.
  View layout(const Napi::Value& v, const char* name);
  // A number argument, required.
  double number(size_t i, const char* name);
  // A number argument, `dflt` when absent or not a number.
  double numberOr(size_t i, double dflt) const;
  bool flag(size_t i) const;

  // v has exactly rows×cols (empty optional views pass): "<op>: <name> is [r, c], expected [rows, cols]".
  void shape(const View& v, const char* name, int64_t rows, int64_t cols);
  // v.dtype is one of `allowed`.
  void dtype(const View& v, const char* name, std::initializer_list<DType> allowed);
  // Each dimension fits the int that BLAS, LAPACK, cuBLAS and cuSOLVER take.
  void blasDims(std::initializer_list<View> views);
  [[noreturn]] void fail(ErrorCode code, const std::string& msg) const;  // "<op>: msg"

  // The device of every tensor parsed so far (mixed devices: LoraBackendError).
  Device device() const;
  // The backend serving `d` (unavailable: LoraBackendError with the reason).
  Backend& backendOn(Device d) const;

  // Runs fn(backend) under the backend's lock, on the backend that owns the tensors (run) or on `d`'s (runOn):
  // now (returning undefined) or on a worker thread (returning a Promise that settles once the work, GPU stream
  // included, is done). Errors become the typed JS error classes.
  template <class Fn>
  Napi::Value run(Fn fn) {
    return runOn(device(), std::move(fn));
  }
  template <class Fn>
  Napi::Value runOn(Device d, Fn fn) {
    Backend& be = backendOn(d);
    return runOp(
        env(), async_, be, [&be, fn] { fn(be); }, std::move(keep_));
  }

 private:
  static Napi::Value runOp(Napi::Env env, bool async, Backend& be, OpFn fn, Keep keep);
  std::string what(const char* name) const { return std::string(op_) + " " + name; }
  View layoutOf(const Napi::Value& v, const std::string& what);
  View parseTensor(const Napi::Value& v, const std::string& what);

  const Napi::CallbackInfo& info_;
  const char* op_;
  bool async_;
  std::vector<View> views_;  // every tensor parsed: one backend must own them all
  Keep keep_;                // what must stay alive while an async op runs
};

// Typed JS errors: the classes lib/errors.ts registers through the addon's `init` export.
void registerErrorClasses(Napi::Env env, Napi::Object classes);
Napi::Value makeJsError(Napi::Env env, ErrorCode code, const std::string& msg);
[[noreturn]] void throwJs(Napi::Env env, ErrorCode code, const std::string& msg);

}  // namespace loraga::binding
