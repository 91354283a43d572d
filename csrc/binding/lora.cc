// loraForward(x, W, A, B, scale, y, h|null, async) → Backend::loraForward;
// loraBackward(dY, x, W, A, B, scale, h|null, dX|null, dA|null, dB|null, async) → Backend::loraBackward.
#include "call.h"
#include "ops.h"

namespace loraga::binding {

namespace {
// x [T, in], W [out, in], A [r, in], B [out, r].
void layerShapes(Call& call, const View& x, const View& w, const View& a, const View& b) {
  if (w.cols != x.cols || a.cols != x.cols || b.rows != w.rows || b.cols != a.rows)
    call.fail(ErrorCode::Shape, "x " + x.shapeStr() + ", W " + w.shapeStr() + ", A " + a.shapeStr() + ", B " +
                                    b.shapeStr() + " (need x [T, in], W [out, in], A [r, in], B [out, r])");
}
}  // namespace

Napi::Value LoraForward(const Napi::CallbackInfo& info) {
  Call call(info, "loraForward", 7);
  const View x = call.tensor(0, "x"), w = call.tensor(1, "W"), a = call.tensor(2, "A"), b = call.tensor(3, "B");
  const double s = call.number(4, "scale");
  const View y = call.tensor(5, "y", Access::Write), h = call.optionalTensor(6, "h", Access::Write);
  layerShapes(call, x, w, a, b);
  call.shape(y, "y", x.rows, w.rows);
  call.shape(h, "h", x.rows, a.rows);
  call.blasDims({x, w, a, b, y, h});
  return call.run([=](Backend& be) { be.loraForward(x, w, a, b, s, y, h); });
}

Napi::Value LoraBackward(const Napi::CallbackInfo& info) {
  Call call(info, "loraBackward", 10);
  const View dy = call.tensor(0, "dy"), x = call.tensor(1, "x"), w = call.tensor(2, "W"), a = call.tensor(3, "A");
  const View b = call.tensor(4, "B");
  const double s = call.number(5, "scale");
  const View h = call.optionalTensor(6, "h"), dx = call.optionalTensor(7, "dx", Access::Write);
  const View da = call.optionalTensor(8, "dA", Access::Write), db = call.optionalTensor(9, "dB", Access::Write);
  layerShapes(call, x, w, a, b);
  call.shape(dy, "dy", x.rows, w.rows);
  call.shape(h, "h", x.rows, a.rows);
  call.shape(dx, "dx", x.rows, x.cols);
  call.shape(da, "dA", a.rows, a.cols);
  call.shape(db, "dB", b.rows, b.cols);
  call.blasDims({dy, x, w, a, b, h, dx, da, db});
  return call.run([=](Backend& be) { be.loraBackward(dy, x, w, a, b, s, h, dx, da, db); });
}

}  // namespace loraga::binding
