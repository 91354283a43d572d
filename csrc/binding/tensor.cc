// The tensor housekeeping ops: copy (dtype conversion, host ↔ device), device memory, finiteness and the seeded
// Gaussian fill → Backend::copy / allocTensor / allFinite / fillGaussian. Who owns device memory: hold.h.
#include "call.h"
#include "ops.h"

namespace loraga::binding {

// copy(src, dst, async): dst = src converted to dst's dtype; host ↔ device copies go through the CUDA backend.
Napi::Value Copy(const Napi::CallbackInfo& info) {
  Call call(info, "copy", 2);
  const View src = call.tensor(0, "src"), dst = call.tensor(1, "dst", Access::Write);
  if (src.numel() != dst.numel()) call.fail(ErrorCode::Shape, src.shapeStr() + " into " + dst.shapeStr());
  // Host ↔ device: the CUDA backend copies either way.
  const Device d = src.device == dst.device ? src.device : Device::Cuda;
  return call.runOn(d, [=](Backend& be) { be.copy(src, dst); });
}

// deviceAlloc(dtype, shape): zeroed device memory as an External the JS Tensor holds; the External's finalizer
// frees it if the tensor is garbage-collected without dispose().
Napi::Value DeviceAlloc(const Napi::CallbackInfo& info) {
  Call call(info, "deviceAlloc", Call::kSyncOnly);
  Napi::Env env = info.Env();
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("dtype", info[0]);
  layout.Set("shape", info[1]);
  const View v = call.layout(layout, "tensor");
  Backend& be = call.backendOn(Device::Cuda);
  BufferPtr buf;
  try {
    buf = be.allocTensor(v.dtype, v.rows, v.cols);
  } catch (const Error& e) {
    throwJs(env, e.code, e.what());
  }
  // Tell V8 about the GPU memory so that garbage collection (and with it the finalizer fallback) keeps pace with
  // device allocations, not only with the tiny JS objects that hold them.
  const int64_t bytes = int64_t(buf->view.bytes());
  Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
  auto* t = new DeviceTensor{std::move(buf)};
  Napi::External<DeviceTensor> h = Napi::External<DeviceTensor>::New(env, t, [bytes](Napi::Env e, DeviceTensor* d) {
    if (!d->freeAsked) Napi::MemoryManagement::AdjustExternalMemory(e, -bytes);
    delete d;  // no op holds it: ops keep the handle alive while they run
  });
  tagDeviceHandle(env, h);
  return h;
}

// deviceFree(handle): frees the device memory now (Tensor.dispose()), or when the last op using it is done; the
// External itself is collected later.
Napi::Value DeviceFree(const Napi::CallbackInfo& info) {
  DeviceTensor* t = deviceTensorOf(info.Env(), info[0]);
  if (t && !t->freeAsked) {
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(), -int64_t(t->buf->view.bytes()));
    t->askFree();
  }
  return info.Env().Undefined();
}

// fillGaussian(t, seed): t ← N(0, 1) from core/rng.h's counter-based generator (same values on every backend).
Napi::Value FillGaussian(const Napi::CallbackInfo& info) {
  Call call(info, "fillGaussian", Call::kSyncOnly);
  const View a = call.tensor(0, "tensor", Access::Write);
  const uint64_t seed = uint64_t(call.integerOr(1, "seed", 0, kMaxSafeInteger, 0));
  return call.run([=](Backend& be) { be.fillGaussian(a, seed); });
}

// allFinite(t): true when no element is NaN or ±Inf.
Napi::Value AllFinite(const Napi::CallbackInfo& info) {
  Call call(info, "allFinite", Call::kSyncOnly);
  const View a = call.tensor(0, "tensor");
  bool ok = false;
  bool* out = &ok;  // a sync call: the lambda runs before this returns
  call.run([=](Backend& be) { *out = be.allFinite(a); });
  return Napi::Boolean::New(info.Env(), ok);
}

}  // namespace loraga::binding
