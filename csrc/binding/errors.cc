// Typed JS errors: the classes lib/errors.ts hands over through the addon's `init` export, kept per environment
// (main thread and each worker thread load the addon into their own napi_env; a reference made in one must never
// be used or deleted from another, nor by a static destructor after Node has freed the environment).
#include <utility>
#include "call.h"

namespace loraga::binding {

namespace {
struct EnvData {
  Napi::FunctionReference classes[int(ErrorCode::Internal) + 1];
};

// This environment's data, created on first use; Node deletes it when the environment is torn down.
EnvData& envData(Napi::Env env) {
  EnvData* d = env.GetInstanceData<EnvData>();
  if (!d) {
    d = new EnvData;
    env.SetInstanceData(d);
  }
  return *d;
}
}  // namespace

void registerErrorClasses(Napi::Env env, Napi::Object classes) {
  const std::pair<ErrorCode, const char*> names[] = {{ErrorCode::Shape, "LoraShapeError"},
                                                     {ErrorCode::DType, "LoraDTypeError"},
                                                     {ErrorCode::Value, "LoraValueError"},
                                                     {ErrorCode::Backend, "LoraBackendError"},
                                                     {ErrorCode::OutOfMemory, "LoraOutOfMemoryError"},
                                                     {ErrorCode::Layout, "LoraLayoutError"},
                                                     {ErrorCode::Disposed, "LoraDisposedError"},
                                                     {ErrorCode::Internal, "LoraError"}};
  EnvData& d = envData(env);
  for (auto& [code, name] : names) {
    Napi::Value f = classes.Get(name);
    if (f.IsFunction()) d.classes[int(code)] = Napi::Persistent(f.As<Napi::Function>());
  }
}

Napi::Value makeJsError(Napi::Env env, ErrorCode code, const std::string& msg) {
  Napi::FunctionReference& cls = envData(env).classes[int(code)];
  if (!cls.IsEmpty()) {
    try {
      return cls.New({Napi::String::New(env, msg)});
    } catch (const Napi::Error&) {
      // A registered class that cannot be constructed (init() is reachable from JS; its exception is cleared by
      // now): the plain Error below, so that a sync op still throws and an async op's Promise still settles.
    }
  }
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, errorCodeName(code)));
  return e.Value();
}

void throwJs(Napi::Env env, ErrorCode code, const std::string& msg) {
  throw Napi::Error(env, makeJsError(env, code, msg));
}

}  // namespace loraga::binding
