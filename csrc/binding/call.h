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
// holds exactly what its shape needs (element counts that cannot overflow), that operands' shapes agree, the
// BLAS/LAPACK int range, one device for all operands, liveness (disposed tensors), that nothing an op writes
// overlaps another operand, that read-only tensors are not written, and finite, in-range numbers. lib/ checks
// user-level meaning first and names what users wrote; this layer exists because the raw binding stays reachable
// from JS. Backends do not check again (backend.h). Who owns what while an op runs: hold.h.
#pragma once
#include <napi.h>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>
#include "../backend.h"
#include "hold.h"

namespace loraga::binding {

using OpFn = std::function<void()>;

constexpr int64_t kMaxSafeInteger = 9007199254740991;  // 2^53 - 1: JS numbers are exact integers up to here

// What an op does with a tensor argument: only Write/ReadWrite arguments may be read-only-checked, copied back
// (async) and must not overlap any other operand.
enum class Access { Read, Write, ReadWrite };

class Call {
 public:
  // `asyncArg`: index of the boolean that asks for a Promise (absent or false: run now); kSyncOnly for ops that
  // always run now.
  static constexpr size_t kSyncOnly = size_t(-1);
  Call(const Napi::CallbackInfo& info, const char* op, size_t asyncArg);

  Napi::Env env() const { return info_.Env(); }

  // A JS tensor ({_data: TypedArray, dtype, shape, device} or, on the GPU, {handle, dtype, shape, device}) as a View.
  // N-D shapes flatten to [prod(leading), last], the layout of a Linear layer's [batch…, features] activations.
  View tensor(size_t i, const char* name, Access access = Access::Read);
  // null/undefined is an empty View (an output the caller does not want).
  View optionalTensor(size_t i, const char* name, Access access = Access::Read);
  // An array of tensors (svdBatched); `name` gets the index appended in messages.
  std::vector<View> tensorList(size_t i, const char* name, Access access = Access::Read);
  // dtype and shape of a {dtype, shape} object as a data-less View.
  View layout(const Napi::Value& v, const char* name);
  // A finite number argument, required.
  double number(size_t i, const char* name);
  // A finite number argument, `dflt` when absent (undefined).
  double numberOr(size_t i, double dflt);
  // An integer argument in [lo, hi] (both within ±2^53), `dflt` when absent (undefined).
  int64_t integerOr(size_t i, const char* name, int64_t lo, int64_t hi, int64_t dflt);
  // The same, required.
  int64_t integer(size_t i, const char* name, int64_t lo, int64_t hi);
  // An array of such integers (svdBatched's per-job seeds).
  std::vector<int64_t> integerList(size_t i, const char* name, int64_t lo, int64_t hi);
  bool flag(size_t i) const;
  // Whether the op runs on a worker thread (its host tensors are then private copies, hold.h).
  bool isAsync() const { return async_; }

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
    checkArgsUnchanged();
    return runOp(
        env(), async_, be, [&be, fn] { fn(be); }, std::move(hold_));
  }

 private:
  int64_t integerOf(const Napi::Value& v, const char* name, int64_t lo, int64_t hi);
  // One tensor argument as parsed: where its memory was, for the overlap and unchanged-buffer checks.
  struct Arg {
    std::string what;
    Access access;
    Device device;
    const uint8_t* begin;  // the caller's memory (not the async private copy)
    size_t bytes;
    Napi::TypedArray array;  // host arguments: re-read by checkArgsUnchanged (valid during the call)
  };
  static Napi::Value runOp(Napi::Env env, bool async, Backend& be, OpFn fn, std::unique_ptr<Hold> hold);
  std::string what(const char* name) const { return std::string(op_) + " " + name; }
  View layoutOf(const Napi::Value& v, const std::string& what);
  View parseTensor(const Napi::Value& v, const std::string& what, Access access);
  // Before running: no host argument's buffer was detached or resized while later arguments were read (their
  // getters can run JS), and nothing written overlaps another operand.
  void checkArgsUnchanged() const;

  const Napi::CallbackInfo& info_;
  const char* op_;
  bool async_;
  std::vector<View> views_;  // every tensor parsed: one backend must own them all
  std::vector<Arg> args_;
  std::unique_ptr<Hold> hold_ = std::make_unique<Hold>();  // pins and private copies, until the op is done
};

// A device tensor's JS handle: an External carrying our type tag (tagDeviceHandle), else nullptr.
void tagDeviceHandle(Napi::Env env, const Napi::Value& handle);
DeviceTensor* deviceTensorOf(Napi::Env env, const Napi::Value& handle);

// Typed JS errors (errors.cc): the classes lib/errors.ts registers through the addon's `init` export, per env.
void registerErrorClasses(Napi::Env env, Napi::Object classes);
Napi::Value makeJsError(Napi::Env env, ErrorCode code, const std::string& msg);
[[noreturn]] void throwJs(Napi::Env env, ErrorCode code, const std::string& msg);

}  // namespace loraga::binding
