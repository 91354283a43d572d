// Bindings for tensor housekeeping: dtype conversion, finiteness, freeing, and what backends exist.
#include "args.h"
#include "ops.h"

namespace loraga::binding {

// copy(src, dst, async): dst = src converted to dst's dtype; host ↔ device copies go through the CUDA backend.
Napi::Value Copy(const Napi::CallbackInfo& info) {
  const bool async = info.Length() > 2 && info[2].ToBoolean();
  std::vector<Napi::Reference<Napi::Value>> keep;
  auto* kp = async ? &keep : nullptr;
  View src = tensorArg(info[0], "copy src", kp), dst = tensorArg(info[1], "copy dst", kp);
  if (src.numel() != dst.numel())
    throwJs(info.Env(), ErrorCode::Shape, "copy: " + src.shapeStr() + " into " + dst.shapeStr());
  // Host ↔ device: the CUDA backend copies either way (the check only names the device side).
  Backend& be = src.device != dst.device ? backendOf(info.Env(), {src.device == Device::Cuda ? src : dst})
                                         : backendOf(info.Env(), {src, dst});
  return runOp(info.Env(), async, be, [&be, src, dst] { be.copy(src, dst); }, std::move(keep));
}

// deviceAlloc(dtype, shape): zeroed device memory as an External the JS Tensor holds; the External's finalizer
// frees it if the tensor is garbage-collected without dispose().
Napi::Value DeviceAlloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("dtype", info[0]);
  layout.Set("shape", info[1]);
  View v = layoutArg(layout, "deviceAlloc");
  BufferPtr buf;
  try {
    Backend& be = backendFor(Device::Cuda);
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

// setAllowTf32(on): lets f32 GEMMs on the GPU use TF32 tensor cores.
Napi::Value SetAllowTf32(const Napi::CallbackInfo& info) {
  try {
    backendFor(Device::Cuda).setAllowTf32(info[0].ToBoolean());
  } catch (const Error& e) {
    throwJs(info.Env(), e.code, e.what());
  }
  return info.Env().Undefined();
}

// fillGaussian(t, seed): t ← N(0, 1) from core/rng.h's counter-based generator (same values on every backend).
Napi::Value FillGaussian(const Napi::CallbackInfo& info) {
  View a = tensorArg(info[0], "fillGaussian", nullptr);
  const double seed = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0;
  Backend& be = backendOf(info.Env(), {a});
  return runOp(info.Env(), false, be, [&be, a, seed] { be.fillGaussian(a, uint64_t(seed)); }, {});
}

Napi::Value AllFinite(const Napi::CallbackInfo& info) {
  View a = tensorArg(info[0], "allFinite", nullptr);
  Backend& be = backendOf(info.Env(), {a});
  bool ok = false;
  runOp(info.Env(), false, be, [&] { ok = be.allFinite(a); }, {});
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

Napi::Value Backends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto list = listBackends();
  Napi::Array out = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", list[i].name);
    o.Set("available", list[i].available);
    o.Set("reason", list[i].reason);
    o.Set("deviceName", list[i].deviceName);
    o.Set("details", list[i].details);
    out.Set(uint32_t(i), o);
  }
  return out;
}

// The cheapest possible call, for measuring N-API overhead in the benchmark.
Napi::Value Noop(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

}  // namespace loraga::binding
