// orthonormalize(A, async): A ← the Q of its thin QR (rows >= cols) → Backend::orthonormalize.
#include "call.h"
#include "ops.h"

namespace loraga::binding {

Napi::Value Orthonormalize(const Napi::CallbackInfo& info) {
  Call call(info, "orthonormalize", 1);
  const View a = call.tensor(0, "A", Access::ReadWrite);
  if (a.rows < a.cols) call.fail(ErrorCode::Shape, "needs rows >= cols, got " + a.shapeStr());
  call.blasDims({a});
  return call.run([=](Backend& be) { be.orthonormalize(a); });
}

}  // namespace loraga::binding
