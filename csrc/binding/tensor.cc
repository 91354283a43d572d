// The tensor housekeeping ops: copy (dtype conversion, host ↔ device), device memory, finiteness, the seeded
// Gaussian fill, and detaching library-owned host buffers → Backend::copy / allocTensor / allFinite / fillGaussian.
#include "call.h"
#include "ops.h"

namespace loraga::binding {

// copy(src, dst, async): dst = src converted to dst's dtype; host ↔ device copies go through the CUDA backend.
Napi::Value Copy(const Napi::CallbackInfo& info) {
  Call call(info, "copy", 2);
  const View src = call.tensor(0, "src"), dst = call.tensor(1, "dst");
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
  Napi::MemoryManagement::AdjustExternalMemory(env, int64_t(buf->view.bytes()));
  return Napi::External<Buffer>::New(env, buf.release(), [](Napi::Env e, Buffer* b) {
    if (b->view.data) Napi::MemoryManagement::AdjustExternalMemory(e, -int64_t(b->view.bytes()));
    delete b;
  });
}

// deviceFree(handle): frees the device memory now (Tensor.dispose()); the External itself is collected later.
Napi::Value DeviceFree(const Napi::CallbackInfo& info) {
  if (info[0].IsExternal()) {
    Buffer* b = info[0].As<Napi::External<Buffer>>().Data();
    if (b && b->view.data) {
      Napi::MemoryManagement::AdjustExternalMemory(info.Env(), -int64_t(b->view.bytes()));
      b->release();
    }
  }
  return info.Env().Undefined();
}

// fillGaussian(t, seed): t ← N(0, 1) from core/rng.h's counter-based generator (same values on every backend).
Napi::Value FillGaussian(const Napi::CallbackInfo& info) {
  Call call(info, "fillGaussian", Call::kSyncOnly);
  const View a = call.tensor(0, "tensor");
  const uint64_t seed = uint64_t(call.numberOr(1, 0));
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

// detach(arrayBuffer): releases the backing store of a buffer the library allocated (Tensor.dispose()).
Napi::Value Detach(const Napi::CallbackInfo& info) {
  if (info[0].IsArrayBuffer()) {
    Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
    if (!ab.IsDetached()) ab.Detach();
  }
  return info.Env().Undefined();
}

}  // namespace loraga::binding
