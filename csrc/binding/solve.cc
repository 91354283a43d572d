// solve(a, b, async): b ← a⁻¹·b for square a (overwritten with its LU factors) → Backend::solve.
#include "call.h"
#include "ops.h"

namespace loraga::binding {

Napi::Value Solve(const Napi::CallbackInfo& info) {
  Call call(info, "solve", 2);
  const View a = call.tensor(0, "a"), b = call.tensor(1, "b", Access::ReadWrite);
  if (a.rows != a.cols || b.rows != a.rows)
    call.fail(ErrorCode::Shape,
              "a " + a.shapeStr() + " must be square and b " + b.shapeStr() + " must have as many rows as a");
  call.dtype(a, "a", {DType::F32, DType::F64});
  if (b.dtype != a.dtype)
    call.fail(ErrorCode::DType,
              std::string("a and b must have one dtype, got ") + dtypeName(a.dtype) + " and " + dtypeName(b.dtype));
  call.blasDims({a, b});
  return call.run([=](Backend& be) {
    if (!be.allFinite(a) || !be.allFinite(b)) fail(ErrorCode::Value, "solve: a or b holds NaN or Inf");
    be.solve(a, b);
  });
}

}  // namespace loraga::binding
