// gradAccumulate(G, dY, X, scale, async): G += scale·dYᵀ·X with fp32/f64 accumulation → Backend::gradAccumulate.
#include "call.h"
#include "ops.h"

namespace loraga::binding {

Napi::Value GradAccumulate(const Napi::CallbackInfo& info) {
  Call call(info, "gradAccumulate", 4);
  const View g = call.tensor(0, "G", Access::ReadWrite), dy = call.tensor(1, "dY"), x = call.tensor(2, "X");
  const double scale = call.numberOr(3, 1.0);
  call.dtype(g, "G (the accumulator)", {DType::F32, DType::F64});
  if (dy.rows != x.rows)
    call.fail(ErrorCode::Shape, "dY " + dy.shapeStr() + " and X " + x.shapeStr() + " have different token counts");
  call.shape(g, "G", dy.cols, x.cols);
  call.blasDims({g, dy, x});
  return call.run([=](Backend& be) {
    if (!be.allFinite(dy) || !be.allFinite(x)) fail(ErrorCode::Value, "gradAccumulate: dY or X holds NaN or Inf");
    be.gradAccumulate(g, dy, x, scale);
  });
}

}  // namespace loraga::binding
