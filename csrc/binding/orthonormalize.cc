// orthonormalize(A, cholQr, async): A ← an orthonormal basis of its columns (rows >= cols) → Backend::orthonormalize
// (Householder QR) or Backend::orthonormalizeCholQr (CholeskyQR2 with its Householder fallback).
#include "call.h"
#include "ops.h"

namespace loraga::binding {

Napi::Value Orthonormalize(const Napi::CallbackInfo& info) {
  Call call(info, "orthonormalize", 2);
  const View a = call.tensor(0, "A", Access::ReadWrite);
  if (a.rows < a.cols) call.fail(ErrorCode::Shape, "needs rows >= cols, got " + a.shapeStr());
  call.blasDims({a});
  const bool cholQr = call.flag(1);
  return call.run([=](Backend& be) {
    if (cholQr)
      be.orthonormalizeCholQr(a, 2);
    else
      be.orthonormalize(a);
  });
}

}  // namespace loraga::binding
