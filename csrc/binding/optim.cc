// adamwStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, step, out|null, async) → Backend::adamwStep (out: the
// new parameter written there, p only read; null: p updated in place);
// sgdStep(p, g, buf|null, lr, momentum, weightDecay, async) → Backend::sgdStep. Update rules: core/optim_rules.h.
#include "call.h"
#include "ops.h"

namespace loraga::binding {

namespace {
// p in f32/f64; every state tensor has p's dtype and element count; g has p's element count (any dtype).
void paramShapes(Call& call, const View& p, const View& g, std::initializer_list<View> state) {
  call.dtype(p, "parameter", {DType::F32, DType::F64});
  if (g.numel() != p.numel())
    call.fail(ErrorCode::Shape, "gradient " + g.shapeStr() + " does not match parameter " + p.shapeStr());
  for (const View& s : state) {
    if (s.empty()) continue;
    if (s.dtype != p.dtype)
      call.fail(ErrorCode::DType, std::string("optimizer state is ") + dtypeName(s.dtype) + " but the parameter is " +
                                      dtypeName(p.dtype) + " (they must match)");
    if (s.numel() != p.numel())
      call.fail(ErrorCode::Shape, "optimizer state " + s.shapeStr() + " does not match parameter " + p.shapeStr());
  }
}
}  // namespace

Napi::Value AdamwStep(const Napi::CallbackInfo& info) {
  Call call(info, "adamwStep", 11);
  const View out = call.optionalTensor(10, "out", Access::Write);
  const View p = call.tensor(0, "p", out.empty() ? Access::ReadWrite : Access::Read), g = call.tensor(1, "g");
  const View m = call.tensor(2, "m", Access::ReadWrite), v = call.tensor(3, "v", Access::ReadWrite);
  const AdamWParams hp{call.number(4, "lr"),          call.number(5, "beta1"),
                       call.number(6, "beta2"),       call.number(7, "eps"),
                       call.number(8, "weightDecay"), call.integer(9, "step", 1, kMaxSafeInteger)};
  paramShapes(call, p, g, {m, v, out});
  return call.run([=](Backend& be) { be.adamwStep(p, g, m, v, out.empty() ? p : out, hp); });
}

Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  Call call(info, "sgdStep", 6);
  const View p = call.tensor(0, "p", Access::ReadWrite), g = call.tensor(1, "g");
  const View buf = call.optionalTensor(2, "buf", Access::ReadWrite);
  const SgdParams hp{call.number(3, "lr"), call.number(4, "momentum"), call.number(5, "weightDecay")};
  paramShapes(call, p, g, {buf});
  return call.run([=](Backend& be) { be.sgdStep(p, g, buf, hp); });
}

}  // namespace loraga::binding
