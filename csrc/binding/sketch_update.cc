// sketchUpdate(X, dY, seed, Y, E, W | null, Z | null, async): one batch into a streaming sketch of G = Σ dYᵀ·X
// (lib/init/sketch.ts) → Backend::sketchUpdate.
#include "call.h"
#include "ops.h"

namespace loraga::binding {

Napi::Value SketchUpdate(const Napi::CallbackInfo& info) {
  Call call(info, "sketchUpdate", 7);
  const View x = call.tensor(0, "X"), dy = call.tensor(1, "dY");
  // The test matrices' seeds are seed·8 + 1 … 5, which stay exact JS integers (Tensor.randn draws them too).
  const uint64_t seed = uint64_t(call.integer(2, "seed", 0, (kMaxSafeInteger - 5) / 8));
  const View y = call.tensor(3, "Y", Access::ReadWrite), e = call.tensor(4, "E", Access::ReadWrite);
  const View w = call.optionalTensor(5, "W", Access::ReadWrite), z = call.optionalTensor(6, "Z", Access::ReadWrite);
  if (dy.rows != x.rows)
    call.fail(ErrorCode::Shape, "dY " + dy.shapeStr() + " and X " + x.shapeStr() + " have different token counts");
  call.dtype(y, "Y", {DType::F32, DType::F64});
  for (const auto& [v, name] : {std::pair{e, "E"}, std::pair{w, "W"}, std::pair{z, "Z"}})
    if (v.data && v.dtype != y.dtype) call.fail(ErrorCode::DType, std::string(name) + " must have Y's dtype");
  const int64_t k = y.cols;
  if (k < 1 || e.cols < 1) call.fail(ErrorCode::Shape, "Y and E need at least one column");
  call.shape(y, "Y", dy.cols, k);
  call.shape(e, "E", dy.cols, e.cols);
  call.shape(w, "W", k, x.cols);
  if (z.data && z.rows != z.cols) call.fail(ErrorCode::Shape, "Z " + z.shapeStr() + " must be square");
  call.blasDims({x, dy, y, e, w, z});
  return call.run([=](Backend& be) {
    if (!be.allFinite(dy) || !be.allFinite(x)) fail(ErrorCode::Value, "sketchUpdate: dY or X holds NaN or Inf");
    be.sketchUpdate(x, dy, seed, y, e, w, z);
  });
}

}  // namespace loraga::binding
